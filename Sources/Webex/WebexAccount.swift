import Foundation
import Logging

/// A classroom's WebEx account: hands out a fresh access token to each call.
///
/// WebEx access tokens live 14 days and refresh tokens 90; a node that runs for
/// months must refresh on its own and must not let concurrent jobs each
/// refresh (they would race to store different tokens). So the account:
/// - refreshes a token that expires within 5 minutes before using it;
/// - lets concurrent callers share one refresh (single flight);
/// - answers a 401 from an operation with one refresh and one retry;
/// - on `invalid_grant` clears the stored tokens and throws `.invalidGrant`,
///   so the dashboard shows that the classroom must connect again.
public actor WebexAccount {
    /// How long before expiry a token is refreshed, so it never expires mid-call.
    public static let refreshMargin: TimeInterval = 5 * 60

    private let client: WebexClient
    private let store: any WebexTokenStore
    private let now: @Sendable () -> Date
    private let logger: Logger

    /// Tokens as last loaded or obtained; valid only once `loaded` is true.
    private var tokens: WebexTokens?
    private var loaded = false
    /// Tokens obtained but not yet stored because the store failed; retried.
    private var unsaved = false
    /// The refresh in flight, shared by every caller that needs it.
    private var refreshing: Task<WebexTokens, any Error>?
    /// Numbers refreshes, so a refresh abandoned by `connect` cannot clear a newer one.
    private var refreshGeneration = 0

    /// - Parameters:
    ///   - client: the REST client for this node's WebEx integration.
    ///   - store: where the tokens are kept between runs.
    ///   - now: the clock; tests move it to make tokens look expired.
    ///   - logger: never receives tokens, codes or secrets.
    public init(
        client: WebexClient,
        store: any WebexTokenStore,
        now: @escaping @Sendable () -> Date = Date.init,
        logger: Logger
    ) {
        self.client = client
        self.store = store
        self.now = now
        self.logger = logger
    }

    /// Exchanges the consent code for tokens and stores them.
    public func connect(code: String, redirectURI: String) async throws {
        let obtained = try await client.exchangeCode(code, redirectURI: redirectURI)
        // A refresh of the previous account's tokens must not overwrite these.
        refreshing?.cancel()
        refreshing = nil
        tokens = obtained
        loaded = true
        try await persist(obtained)
        logger.info("WebEx connected", metadata: ["webex.scope": "\(obtained.scope ?? "")"])
    }

    /// Whether tokens are stored (they may still turn out to be revoked).
    public func isConnected() async throws -> Bool {
        try await currentTokens() != nil
    }

    /// Runs `operation` with a fresh access token.
    ///
    /// If WebEx answers the operation with `.unauthorized`, the token is
    /// refreshed once and the operation runs once more.
    public func withAccessToken<T: Sendable>(_ operation: @Sendable (String) async throws -> T) async throws -> T {
        let token = try await freshAccessToken()
        do {
            return try await operation(token)
        } catch WebexError.unauthorized(let message) {
            logger.notice("WebEx refused the access token, refreshing once", metadata: ["webex.message": "\(message)"])
            let renewed = try await refreshedTokens(replacing: token)
            return try await operation(renewed.accessToken)
        }
    }

    // MARK: - Tokens

    private func currentTokens() async throws -> WebexTokens? {
        if !loaded {
            let stored = try await store.loadTokens()
            // Another caller may have connected or refreshed while we loaded.
            if !loaded {
                tokens = stored
                loaded = true
            }
        }
        return tokens
    }

    private func freshAccessToken() async throws -> String {
        if let refreshing {
            return try await refreshing.value.accessToken
        }
        guard let current = try await currentTokens() else { throw WebexError.notConnected }
        if unsaved { try? await persist(current) }
        if isFresh(current) { return current.accessToken }
        return try await refreshedTokens(replacing: current.accessToken).accessToken
    }

    private func isFresh(_ tokens: WebexTokens) -> Bool {
        tokens.expiresAt.timeIntervalSince(now()) > Self.refreshMargin
    }

    /// New tokens for a caller whose access token `stale` is expiring or was refused.
    ///
    /// No suspension point lies between looking for a running refresh and
    /// starting one, so concurrent callers always join the same refresh.
    private func refreshedTokens(replacing stale: String) async throws -> WebexTokens {
        if let refreshing {
            return try await refreshing.value
        }
        guard let current = tokens else { throw WebexError.notConnected }
        if current.accessToken != stale, isFresh(current) {
            // Someone else refreshed since the caller took its token.
            return current
        }
        refreshGeneration += 1
        let generation = refreshGeneration
        let task = Task { try await self.performRefresh(using: current.refreshToken, generation: generation) }
        refreshing = task
        return try await task.value
    }

    private func performRefresh(using refreshToken: String, generation: Int) async throws -> WebexTokens {
        defer {
            if generation == refreshGeneration { refreshing = nil }
        }
        logger.debug("Refreshing the WebEx access token")
        do {
            let renewed = try await client.refresh(refreshToken: refreshToken)
            // `connect` cancels a refresh of the tokens it replaces.
            try Task.checkCancellation()
            tokens = renewed
            // The new token works even if the store fails; it is stored again later.
            try? await persist(renewed)
            logger.info("WebEx access token refreshed", metadata: ["webex.expires_at": "\(renewed.expiresAt)"])
            return renewed
        } catch WebexError.invalidGrant(let message) {
            // Tokens from a `connect` that happened meanwhile are not the refused ones.
            try Task.checkCancellation()
            logger.warning("WebEx refused the refresh token; the classroom must connect again",
                           metadata: ["webex.message": "\(message)"])
            tokens = nil
            unsaved = false
            do {
                try await store.saveTokens(nil)
            } catch {
                // Still disconnected in memory; after a restart the refusal comes again and clears them.
                logger.error("Cannot clear the stored WebEx tokens", metadata: ["error": "\(error)"])
            }
            throw WebexError.invalidGrant(message)
        }
    }

    /// Stores tokens; on failure they stay in memory and are stored on a later call.
    private func persist(_ tokens: WebexTokens) async throws {
        do {
            try await store.saveTokens(tokens)
            unsaved = false
        } catch {
            unsaved = true
            logger.error("Cannot store the WebEx tokens", metadata: ["error": "\(error)"])
            throw error
        }
    }
}
