import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import Webex
import WebexSandbox

@Suite("Sandbox inspection and control endpoints")
struct SandboxControlTests {
    @Test func meetingsAndRequestsAreServedAsJSON() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect(email: "mr.okafor@school.example")
            let meeting = try await server.client().createMeeting(MeetingsTests.lesson(tag: "penpals-9"), accessToken: tokens.accessToken)

            let (meetingsJSON, meetingsResponse) = try await HTTP.send("GET", server.base + "/sandbox/meetings")
            #expect(meetingsResponse.statusCode == 200)
            let list = try #require(JSONSerialization.jsonObject(with: Data(meetingsJSON.utf8)) as? [[String: Any]])
            #expect(list.count == 1)
            #expect(list.first?["id"] as? String == meeting.id)
            #expect(list.first?["hostEmail"] as? String == "mr.okafor@school.example")
            #expect(list.first?["createdWithToken"] as? String == tokens.accessToken)

            let (requestsJSON, _) = try await HTTP.send("GET", server.base + "/sandbox/requests")
            let requests = try #require(JSONSerialization.jsonObject(with: Data(requestsJSON.utf8)) as? [[String: Any]])
            let post = try #require(requests.last { $0["path"] as? String == "/v1/meetings" })
            #expect(post["status"] as? Int == 200)
            #expect((post["headers"] as? [String: String])?["authorization"] == "Bearer \(tokens.accessToken)")

            let (page, _) = try await HTTP.send("GET", server.base + "/sandbox")
            #expect(page.contains(meeting.id))

            let (_, reset) = try await HTTP.send("POST", server.base + "/sandbox/reset")
            #expect(reset.statusCode == 204)
            #expect(await server.sandbox.meetings().isEmpty)
            #expect(await server.sandbox.requestLog().isEmpty)
            // Tokens survive a reset, so connected nodes stay connected.
            _ = try await server.client().createMeeting(MeetingsTests.lesson(), accessToken: tokens.accessToken)
        }
    }

    @Test func malformedFaultsAreRefused() async throws {
        try await SandboxServer.with { server in
            for body in [#"{"endpoint": "POST /v1/meetings"}"#, #"{"endpoint": "nonsense", "status": 500}"#, #"{"status": 500}"#, "[]"] {
                let (_, response) = try await HTTP.send("POST", server.base + "/sandbox/faults", json: body)
                #expect(response.statusCode == 400, "\(body)")
            }
        }
    }

    @Test func unknownAPIPathsAnswerWebexErrors() async throws {
        try await SandboxServer.with { server in
            let (body, response) = try await HTTP.send("GET", server.base + "/v1/rooms")
            #expect(response.statusCode == 404)
            #expect(response.value(forHTTPHeaderField: "trackingid") != nil)
            #expect(body.contains("\"message\""))
        }
    }

    @Test func listFiltersAreValidated() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let auth = ["Authorization": "Bearer \(tokens.accessToken)"]
            for query in ["max=0", "max=101", "from=yesterday", "from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z"] {
                let (_, response) = try await HTTP.send("GET", server.base + "/v1/meetings?" + query, headers: auth)
                #expect(response.statusCode == 400, "\(query)")
            }
            let (body, ok) = try await HTTP.send("GET", server.base + "/v1/meetings?from=2030-01-01&max=100", headers: auth)
            #expect(ok.statusCode == 200)
            #expect(body == #"{"items":[]}"#)
        }
    }
}
