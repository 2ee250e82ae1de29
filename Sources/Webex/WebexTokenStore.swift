/// Where a node keeps its classroom's WebEx tokens.
///
/// The node encrypts them at rest; `WebexAccount` only loads and saves them.
public protocol WebexTokenStore: Sendable {
    /// The stored tokens, or nil when WebEx is not connected.
    func loadTokens() async throws -> WebexTokens?
    /// Stores the tokens; nil means disconnected (e.g. after `invalid_grant`).
    func saveTokens(_ tokens: WebexTokens?) async throws
}
