import Foundation
import Logging
import Testing
import Webex
import WebexSandbox

@Suite("WebexAccount keeps a classroom's token fresh")
struct WebexAccountTests {
    static var logger: Logger {
        var logger = Logger(label: "webex-account-test")
        logger.logLevel = .error
        return logger
    }

    static func account(_ server: SandboxServer, store: MemoryTokenStore, now: @escaping @Sendable () -> Date = Date.init) -> WebexAccount {
        WebexAccount(client: server.client(), store: store, now: now, logger: logger)
    }

    static func listAnything(_ server: SandboxServer) -> @Sendable (String) async throws -> [WebexMeeting] {
        { token in
            try await server.client().meetings(
                integrationTag: "penpals-x", from: Date(), to: Date().addingTimeInterval(3600), accessToken: token
            )
        }
    }

    @Test func connectStoresTheTokens() async throws {
        try await SandboxServer.with { server in
            let store = MemoryTokenStore()
            let account = Self.account(server, store: store)
            #expect(try await account.isConnected() == false)
            let code = try await server.consent()
            try await account.connect(code: code, redirectURI: SandboxServer.redirectURI)
            #expect(try await account.isConnected())
            let stored = try #require(await store.tokens)
            let used = try await account.withAccessToken { $0 }
            #expect(used == stored.accessToken)
            #expect(await server.refreshCount() == 0)
        }
    }

    @Test func withoutTokensItIsNotConnected() async throws {
        try await SandboxServer.with { server in
            let account = Self.account(server, store: MemoryTokenStore())
            do {
                _ = try await account.withAccessToken { $0 }
                Issue.record("a token was handed out without a connection")
            } catch WebexError.notConnected {
            }
        }
    }

    @Test func aTokenExpiringWithinFiveMinutesIsRefreshedBeforeTheCall() async throws {
        try await SandboxServer.with { server in
            var tokens = try await server.connect()
            tokens.expiresAt = Date().addingTimeInterval(4 * 60)
            let store = MemoryTokenStore(tokens)
            let account = Self.account(server, store: store)

            let used = try await account.withAccessToken { $0 }
            #expect(used != tokens.accessToken)
            #expect(await server.refreshCount() == 1)
            let stored = try #require(await store.tokens)
            #expect(stored.accessToken == used)
            #expect(stored.refreshToken == tokens.refreshToken)

            // The fresh token is used as is, without another refresh.
            _ = try await account.withAccessToken(Self.listAnything(server))
            #expect(await server.refreshCount() == 1)
        }
    }

    @Test func aClockPastExpiryAlsoRefreshes() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let later: @Sendable () -> Date = { Date().addingTimeInterval(15 * 86_400) }
            let account = Self.account(server, store: MemoryTokenStore(tokens), now: later)
            let used = try await account.withAccessToken { $0 }
            #expect(used != tokens.accessToken)
            #expect(await server.refreshCount() == 1)
        }
    }

    @Test func concurrentCallersShareOneRefresh() async throws {
        try await SandboxServer.with { server in
            var tokens = try await server.connect()
            tokens.expiresAt = Date().addingTimeInterval(-60)
            let account = Self.account(server, store: MemoryTokenStore(tokens))
            let list = Self.listAnything(server)

            let used = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        try await account.withAccessToken { token in
                            _ = try await list(token)
                            return token
                        }
                    }
                }
                var used: [String] = []
                for try await token in group { used.append(token) }
                return used
            }
            #expect(used.count == 10)
            #expect(Set(used).count == 1)
            #expect(used.first != tokens.accessToken)
            #expect(await server.refreshCount() == 1)
        }
    }

    @Test func a401LeadsToOneRefreshAndOneRetry() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let account = Self.account(server, store: MemoryTokenStore(tokens))
            // WebEx revoked the access token early; our copy still looks valid for 14 days.
            try await server.fault(#"{"expire_access_tokens": true}"#)

            let meeting = try await account.withAccessToken { token in
                try await server.client().createMeeting(MeetingsTests.lesson(), accessToken: token)
            }
            #expect(!meeting.id.isEmpty)
            let posts = await server.sandbox.requestLog().filter { $0.method == "POST" && $0.path == "/v1/meetings" }
            #expect(posts.map(\.status) == [401, 200])
            #expect(await server.refreshCount() == 1)
        }
    }

    @Test func a401AfterTheRetryIsThrown() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let account = Self.account(server, store: MemoryTokenStore(tokens))
            let calls = Counter()
            do {
                _ = try await account.withAccessToken { _ -> Int in
                    await calls.increment()
                    throw WebexError.unauthorized("still no")
                }
                Issue.record("the second 401 was swallowed")
            } catch WebexError.unauthorized {
            }
            #expect(await calls.value == 2)
            #expect(await server.refreshCount() == 1)
        }
    }

    @Test func aRevokedRefreshTokenDisconnects() async throws {
        try await SandboxServer.with { server in
            var tokens = try await server.connect()
            tokens.expiresAt = Date().addingTimeInterval(-60)
            let store = MemoryTokenStore(tokens)
            let account = Self.account(server, store: store)
            try await server.fault(#"{"revoke_refresh_tokens": true}"#)

            do {
                _ = try await account.withAccessToken { $0 }
                Issue.record("a revoked refresh token still worked")
            } catch WebexError.invalidGrant(let message) {
                #expect(!message.isEmpty)
            }
            #expect(await store.tokens == nil)
            #expect(await store.saves.last == .some(nil))
            #expect(try await account.isConnected() == false)
            do {
                _ = try await account.withAccessToken { $0 }
                Issue.record("a token was handed out after invalid_grant")
            } catch WebexError.notConnected {
            }
        }
    }

    @Test func anInvalidRefreshTokenDisconnectsConcurrentCallersOnce() async throws {
        try await SandboxServer.with { server in
            let store = MemoryTokenStore(WebexTokens(
                accessToken: "old", expiresAt: Date().addingTimeInterval(-1), refreshToken: "bogus"
            ))
            let account = Self.account(server, store: store)
            let results = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        do {
                            _ = try await account.withAccessToken { $0 }
                            return false
                        } catch WebexError.invalidGrant {
                            return true
                        } catch {
                            return false
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results == Array(repeating: true, count: 5))
            #expect(await server.refreshCount() == 1)
            #expect(await store.saves == [nil])
        }
    }
}

/// Counts calls from concurrent code.
actor Counter {
    private(set) var value = 0
    func increment() { value += 1 }
}
