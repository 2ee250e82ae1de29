import Webex

/// A token store in memory that remembers every save, for tests.
actor MemoryTokenStore: WebexTokenStore {
    private(set) var tokens: WebexTokens?
    private(set) var saves: [WebexTokens?] = []

    init(_ tokens: WebexTokens? = nil) {
        self.tokens = tokens
    }

    func loadTokens() async throws -> WebexTokens? {
        tokens
    }

    func saveTokens(_ tokens: WebexTokens?) async throws {
        self.tokens = tokens
        saves.append(tokens)
    }
}
