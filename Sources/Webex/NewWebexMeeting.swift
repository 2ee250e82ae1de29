/// What the node asks WebEx to schedule.
///
/// Carries one integration tag (`penpals-<invitation id>`) so that after any
/// doubt the node can find the meeting again instead of creating a second one.
public struct NewWebexMeeting: Sendable, Equatable {
    /// At most 128 characters.
    public var title: String
    /// RFC 3339 with offset, e.g. `2026-11-25T13:00:00+01:00`.
    public var start: String
    public var end: String
    /// IANA zone the offsets above belong to; optional.
    public var timezone: String?
    /// Sent as `integrationTags: [integrationTag]`; at most 64 characters.
    public var integrationTag: String
    /// Makes the meeting a series: an RFC 2445 recurrence rule such as
    /// `FREQ=WEEKLY;INTERVAL=1;COUNT=10`, sent as `recurrence`; `start` and
    /// `end` are then those of the first meeting. Nil (not sent) for a one-off
    /// meeting; an update without it makes a series a one-off again.
    public var recurrence: String?

    public init(
        title: String,
        start: String,
        end: String,
        timezone: String? = nil,
        integrationTag: String,
        recurrence: String? = nil
    ) {
        self.title = title
        self.start = start
        self.end = end
        self.timezone = timezone
        self.integrationTag = integrationTag
        self.recurrence = recurrence
    }
}

extension NewWebexMeeting: Encodable {
    private enum CodingKeys: String, CodingKey {
        case title, start, end, timezone, integrationTags, recurrence
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(title, forKey: .title)
        try container.encode(start, forKey: .start)
        try container.encode(end, forKey: .end)
        try container.encodeIfPresent(timezone, forKey: .timezone)
        try container.encode([integrationTag], forKey: .integrationTags)
        try container.encodeIfPresent(recurrence, forKey: .recurrence)
    }
}
