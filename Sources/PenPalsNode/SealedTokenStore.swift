import Foundation
import PenPalsCore
import PenPalsStore
import Webex

/// Keeps the classroom's WebEx tokens in its database, encrypted with a key
/// derived from the node key (libsodium `crypto_secretbox`).
struct SealedTokenStore: WebexTokenStore {
    let store: NodeStore
    let box: SecretBox
    let now: @Sendable () -> Date

    func loadTokens() async throws -> WebexTokens? {
        guard let sealed = try await store.read({ try $0.sealedWebexTokens() }) else { return nil }
        return try JSONDecoder().decode(WebexTokens.self, from: try box.open(sealed))
    }

    func saveTokens(_ tokens: WebexTokens?) async throws {
        let sealed = try tokens.map { box.seal(try JSONEncoder().encode($0)) }
        let time = now()
        try await store.write { try $0.saveSealedWebexTokens(sealed, now: time) }
    }
}
