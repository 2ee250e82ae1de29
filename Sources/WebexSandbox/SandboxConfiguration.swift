import Foundation

/// The fixed settings of one sandbox: its one OAuth client and WebEx's limits.
struct SandboxConfiguration: Sendable {
    var clientID: String
    var clientSecret: String
    /// Shown on the consent page: "<appName> wants to schedule meetings for you".
    var appName: String
    var accessTokenLifetime: TimeInterval
    /// WebEx: 90 days.
    var refreshTokenLifetime: TimeInterval = 7_776_000
    var codeLifetime: TimeInterval = 600
    /// WebEx: a regular user may create 100 meetings per 24 hours, failed requests included.
    var meetingsPerDay: Int
    /// Scopes the consent page accepts.
    static let knownScopes: Set<String> = [
        "meeting:schedules_read", "meeting:schedules_write",
        "meeting:participants_read", "meeting:preferences_read",
        "spark:kms", "spark:people_read",
    ]
}
