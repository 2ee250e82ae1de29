/// A meeting as WebEx returns it: the subset of the spec's meeting object the node uses.
///
/// Decoding ignores every other field of WebEx's large meeting object, so
/// additions on WebEx's side never break the node.
public struct WebexMeeting: Codable, Sendable, Equatable {
    public var id: String
    public var title: String
    /// Start as WebEx returns it (ISO 8601 with offset).
    public var start: String
    public var end: String
    public var timezone: String?
    /// The link participants open to join.
    public var webLink: String
    public var hostEmail: String?
    public var integrationTags: [String]?
    /// The RFC 2445 recurrence rule of a meeting series (e.g.
    /// `FREQ=WEEKLY;INTERVAL=1;COUNT=10`); nil for a one-off meeting, whose
    /// answer has no `recurrence`.
    public var recurrence: String?

    public init(
        id: String,
        title: String,
        start: String,
        end: String,
        timezone: String? = nil,
        webLink: String,
        hostEmail: String? = nil,
        integrationTags: [String]? = nil,
        recurrence: String? = nil
    ) {
        self.id = id
        self.title = title
        self.start = start
        self.end = end
        self.timezone = timezone
        self.webLink = webLink
        self.hostEmail = hostEmail
        self.integrationTags = integrationTags
        self.recurrence = recurrence
    }
}
