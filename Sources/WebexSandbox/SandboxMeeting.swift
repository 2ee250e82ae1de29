import Foundation

/// A meeting the sandbox holds, with what a test needs to check who made it.
///
/// Beyond WebEx's fields it records `createdWithToken`, so a test can prove a
/// meeting was created with the sending classroom's own access token.
public struct SandboxMeeting: Codable, Sendable, Equatable {
    public var id: String
    public var meetingNumber: String
    public var title: String
    /// As answered to the creator: minute precision, in the meeting's zone.
    public var start: String
    public var end: String
    public var timezone: String
    public var webLink: String
    public var hostEmail: String
    public var hostDisplayName: String
    public var integrationTags: [String]
    /// The series' RFC 2445 rule, e.g. `FREQ=WEEKLY;INTERVAL=1;COUNT=10`, as
    /// the last create or update gave it; nil for a one-off meeting.
    public var recurrence: String?
    /// The access token of the `POST /v1/meetings` that created it.
    public var createdWithToken: String
    public var createdAt: Date
    public var startDate: Date
    public var endDate: Date
    var password: String
    var hostKey: String
    var siteUrl: String

    enum CodingKeys: String, CodingKey {
        case id, meetingNumber, title, start, end, timezone, webLink, hostEmail, hostDisplayName
        case integrationTags, recurrence, createdWithToken, createdAt, startDate, endDate, password, hostKey, siteUrl
    }
}
