import Foundation

/// Where a node finds WebEx and how it identifies itself there.
///
/// Kept apart from the client so a node can point at the real WebEx
/// (`https://webexapis.com/v1`) or at the sandbox without code changes.
public struct WebexSettings: Sendable, Equatable {
    /// Base of the REST API, without a trailing slash, e.g. `https://webexapis.com/v1`.
    public var apiBase: URL
    /// The OAuth consent page the teacher is sent to, e.g. `https://webexapis.com/v1/authorize`.
    public var authorizeURL: URL
    /// The integration's client id.
    public var clientID: String
    /// The integration's client secret; never logged.
    public var clientSecret: String

    public init(apiBase: URL, authorizeURL: URL, clientID: String, clientSecret: String) {
        self.apiBase = apiBase
        self.authorizeURL = authorizeURL
        self.clientID = clientID
        self.clientSecret = clientSecret
    }
}

extension WebexSettings: CustomStringConvertible {
    /// Leaves the client secret out, so settings can be logged safely.
    public var description: String {
        "WebexSettings(apiBase: \(apiBase.absoluteString), authorizeURL: \(authorizeURL.absoluteString), clientID: \(clientID))"
    }
}
