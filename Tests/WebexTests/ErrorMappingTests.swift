import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import Webex
import WebexSandbox

@Suite("WebEx failures become the WebexError a node acts on")
struct ErrorMappingTests {
    @Test func rateLimitCarriesRetryAfter() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            try await server.fault(#"{"endpoint": "POST /v1/meetings", "status": 429, "count": 1, "retry_after": 7}"#)
            do {
                _ = try await server.client().createMeeting(MeetingsTests.lesson(), accessToken: tokens.accessToken)
                Issue.record("the 429 fault did not fire")
            } catch WebexError.rateLimited(let retryAfter, let status, _) {
                #expect(retryAfter == 7)
                #expect(status == 429)
            }
            // The fault was used up: the next call goes through.
            _ = try await server.client().createMeeting(MeetingsTests.lesson(), accessToken: tokens.accessToken)
        }
    }

    @Test func lockedIsRateLimitedToo() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            try await server.fault(#"{"endpoint": "GET /v1/meetings", "status": 423, "retry_after": 2}"#)
            do {
                _ = try await server.client().meetings(
                    integrationTag: "t", from: Date(), to: Date().addingTimeInterval(60), accessToken: tokens.accessToken
                )
                Issue.record("the 423 fault did not fire")
            } catch let error as WebexError {
                #expect(error == .rateLimited(retryAfter: 2, status: 423, message: "Sandbox fault: HTTP 423"))
                #expect(error.isRetryable)
            }
        }
    }

    @Test func serverErrorsAreRetryable() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            try await server.fault(#"{"endpoint": "DELETE /v1/meetings/{meetingId}", "status": 503}"#)
            do {
                try await server.client().deleteMeeting(id: "abc", accessToken: tokens.accessToken)
                Issue.record("the 503 fault did not fire")
            } catch WebexError.server(let status, _) {
                #expect(status == 503)
            }
        }
    }

    @Test func aSlowAnswerTimesOutAsTransport() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            try await server.fault(#"{"endpoint": "POST /v1/meetings", "delay_ms": 3000}"#)
            do {
                _ = try await server.client(timeout: 1).createMeeting(MeetingsTests.lesson(), accessToken: tokens.accessToken)
                Issue.record("the delayed call did not time out")
            } catch WebexError.transport {
            }
        }
    }

    @Test func noServerIsTransport() async throws {
        let client = WebexClient(settings: WebexSettings(
            apiBase: URL(string: "http://127.0.0.1:9/v1")!,
            authorizeURL: URL(string: "http://127.0.0.1:9/v1/authorize")!,
            clientID: "c", clientSecret: "s"
        ), timeout: 5)
        do {
            _ = try await client.refresh(refreshToken: "r")
            Issue.record("a call to a closed port succeeded")
        } catch WebexError.transport {
        }
    }

    @Test func theDailyQuotaAnswers429() async throws {
        try await SandboxServer.with(meetingsPerDay: 2) { server in
            let tokens = try await server.connect()
            let client = server.client()
            _ = try await client.createMeeting(MeetingsTests.lesson(), accessToken: tokens.accessToken)
            // A refused request counts too, as with WebEx.
            var bad = MeetingsTests.lesson()
            bad.title = ""
            _ = try? await client.createMeeting(bad, accessToken: tokens.accessToken)
            do {
                _ = try await client.createMeeting(MeetingsTests.lesson(), accessToken: tokens.accessToken)
                Issue.record("the quota was not enforced")
            } catch WebexError.rateLimited(let retryAfter, let status, _) {
                #expect(status == 429)
                #expect((retryAfter ?? 0) > 86_000)
            }
        }
    }

    @Test func errorBodiesAreReadInBothShapes() throws {
        func error(_ status: Int, _ body: String, token: Bool = false, headers: [String: String] = [:]) -> WebexError {
            let response = HTTPURLResponse(url: URL(string: "http://x")!, statusCode: status, httpVersion: nil, headerFields: headers)!
            return WebexErrorAnswer(status: status, headers: response, body: Data(body.utf8)).error(isTokenRequest: token)
        }
        #expect(error(400, #"{"message":"The input parameters contain invalid items.","errors":[{"description":"Title too long."}],"trackingId":"T"}"#)
            == .rejected(status: 400, message: "The input parameters contain invalid items.: Title too long."))
        #expect(error(400, #"{"message":"Same.","errors":[{"description":"Same."}]}"#) == .rejected(status: 400, message: "Same."))
        #expect(error(400, #"{"error":"invalid_grant","error_description":"gone"}"#, token: true) == .invalidGrant("gone"))
        #expect(error(400, #"{"message":"POST failed: error = '(invalid_grant) expired'","errors":[]}"#, token: true)
            == .invalidGrant("POST failed: error = '(invalid_grant) expired'"))
        #expect(error(429, "not json", headers: ["Retry-After": "12"])
            == .rateLimited(retryAfter: 12, status: 429, message: HTTPURLResponse.localizedString(forStatusCode: 429)))
        #expect(error(502, "") == .server(status: 502, message: HTTPURLResponse.localizedString(forStatusCode: 502)))
        #expect(error(401, #"{"message":"expired"}"#) == .unauthorized("expired"))
    }

    @Test func tokensNeverShowInDescriptions() {
        let tokens = WebexTokens(accessToken: "SECRET-A", expiresAt: Date(), refreshToken: "SECRET-R")
        #expect(!"\(tokens)".contains("SECRET"))
        #expect(!String(reflecting: tokens).contains("SECRET"))
        let settings = WebexSettings(
            apiBase: URL(string: "http://x/v1")!, authorizeURL: URL(string: "http://x/v1/authorize")!,
            clientID: "c", clientSecret: "SECRET-S"
        )
        #expect(!"\(settings)".contains("SECRET"))
    }
}
