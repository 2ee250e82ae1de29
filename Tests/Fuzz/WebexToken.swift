import Foundation
import PenPalsCore
@testable import Webex

// WebEx's answer at /access_token, read as WebexClient.tokenRequest reads it (its
// decode, then TokenAnswer.check), then the tokens made of it: every date of a checked
// answer is one the node writes (GET /api/status shows expires_at) and stores (the
// sealed token file is JSON) without trouble.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let answer = try? client.decode(TokenAnswer.self, from: input(bytes, size)), (try? answer.check()) != nil else { return 0 }
    let tokens = answer.tokens(refreshToken: answer.refreshToken ?? "the refresh token kept", now: FuzzNodes.now)
    _ = Timestamp.format(tokens.expiresAt)
    _ = tokens.refreshExpiresAt.map(Timestamp.format)
    let stored = try? JSONEncoder().encode(tokens)
    require(stored.flatMap { try? JSONDecoder().decode(WebexTokens.self, from: $0) } == tokens, "stored tokens read back otherwise")
    return 0
}

private let client = WebexClient(settings: WebexSettings(apiBase: URL(string: "https://webexapis.com/v1")!,
                                                         authorizeURL: URL(string: "https://webexapis.com/v1/authorize")!,
                                                         clientID: "fuzz", clientSecret: "fuzz"))
