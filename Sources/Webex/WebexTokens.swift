import Foundation

/// The OAuth tokens of one classroom's WebEx account.
///
/// Expiry is kept as absolute dates (not WebEx's relative `expires_in`) so the
/// tokens stay meaningful after they were stored and loaded again.
public struct WebexTokens: Codable, Sendable, Equatable {
    public var accessToken: String
    public var expiresAt: Date
    public var refreshToken: String
    public var refreshExpiresAt: Date?
    public var scope: String?

    public init(accessToken: String, expiresAt: Date, refreshToken: String, refreshExpiresAt: Date? = nil, scope: String? = nil) {
        self.accessToken = accessToken
        self.expiresAt = expiresAt
        self.refreshToken = refreshToken
        self.refreshExpiresAt = refreshExpiresAt
        self.scope = scope
    }
}

extension WebexTokens: CustomStringConvertible {
    /// Never shows the tokens themselves, so a stray `\(tokens)` cannot leak them.
    public var description: String {
        "WebexTokens(expiresAt: \(expiresAt), refreshExpiresAt: \(refreshExpiresAt.map { "\($0)" } ?? "nil"), scope: \(scope ?? "nil"))"
    }
}

extension WebexTokens: CustomDebugStringConvertible {
    public var debugDescription: String { description }
}
