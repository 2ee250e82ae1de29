import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import Webex

/// Numbers in WebEx's answers that are out of range or of the wrong type are a
/// refused answer with a clear error, never a trap (a lifetime of 1e308 seconds
/// made a date every later conversion trapped on; a `Retry-After` of 1e30 trapped
/// in the quota message).
@Suite("Out-of-range numbers from WebEx are refused answers")
struct HostileAnswerTests {
    static func tokenAnswer(_ json: String) throws -> TokenAnswer {
        let answer = try JSONDecoder().decode(TokenAnswer.self, from: Data(json.utf8))
        try answer.check()
        return answer
    }

    @Test(arguments: ["1e308", "-1", "0", "315532800000", "1e400"])
    func anAccessTokenLifetimeOutOfRangeIsRefused(_ lifetime: String) throws {
        do {
            _ = try Self.tokenAnswer(#"{"access_token": "a", "expires_in": \#(lifetime), "refresh_token": "r"}"#)
            Issue.record("expires_in \(lifetime) was taken")
        } catch WebexError.badResponse(let message) {
            #expect(message.contains("expires_in"))
        } catch is DecodingError {
            // 1e400 is not even a Double: refused by the reader itself.
            #expect(lifetime == "1e400")
        }
    }

    @Test func aRefreshLifetimeOutOfRangeIsRefused() throws {
        #expect(throws: WebexError.self) {
            _ = try Self.tokenAnswer(#"{"access_token": "a", "expires_in": 1209600, "refresh_token": "r", "refresh_token_expires_in": 1e300}"#)
        }
    }

    @Test func aLifetimeOfTheWrongTypeIsRefused() {
        #expect(throws: (any Error).self) {
            _ = try Self.tokenAnswer(#"{"access_token": "a", "expires_in": "soon"}"#)
        }
    }

    @Test func anOrdinaryTokenAnswerIsTaken() throws {
        let answer = try Self.tokenAnswer(#"{"access_token": "a", "expires_in": 1209599, "refresh_token": "r", "refresh_token_expires_in": 7776000}"#)
        let tokens = answer.tokens(refreshToken: "r", now: Date(timeIntervalSince1970: 0))
        #expect(tokens.expiresAt == Date(timeIntervalSince1970: 1_209_599))
    }

    static func answer(status: Int, retryAfter: String) -> WebexErrorAnswer {
        let url = URL(string: "http://127.0.0.1:1/v1/meetings")!
        let headers = HTTPURLResponse(url: url, statusCode: status, httpVersion: "HTTP/1.1", headerFields: ["Retry-After": retryAfter])!
        return WebexErrorAnswer(status: status, headers: headers, body: Data(), now: Date(timeIntervalSince1970: 1_800_000_000))
    }

    // "Thu, 03\u{360}Dec …": a combining mark after a digit made DateFormatter trap (found by Tests/Fuzz/WebexError).
    @Test(arguments: ["1e30", "-5", "inf", "nan", "soon", "Fri, 01 Jan 9999 00:00:00 GMT", String(repeating: "9", count: 400),
                      "Thu, 03\u{360}Dec 1013 06:00:00 GMT", "Thu, 03 Déc 2026 06:00:00 GMT"])
    func aRetryAfterOutOfRangeIsARefusedAnswer(_ header: String) {
        let error = Self.answer(status: 429, retryAfter: header).error(isTokenRequest: false)
        guard case .badResponse(let message) = error else {
            Issue.record("Retry-After \(header.prefix(20)) gave \(error)")
            return
        }
        #expect(message.contains("Retry-After"))
        // The description (logged, shown to the teacher) is made without trapping.
        #expect(!error.localizedDescription.isEmpty)
    }

    @Test func aRetryAfterInRangeIsBelieved() {
        #expect(Self.answer(status: 429, retryAfter: "86400").error(isTokenRequest: false)
            == .rateLimited(retryAfter: 86_400, status: 429, message: HTTPURLResponse.localizedString(forStatusCode: 429)))
        #expect(Self.answer(status: 423, retryAfter: "Fri, 15 Jan 2027 08:00:00 GMT").retryAfter != nil)
    }
}
