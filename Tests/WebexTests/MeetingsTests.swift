import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import Webex
import WebexSandbox

@Suite("Meetings against the sandbox")
struct MeetingsTests {
    static func lesson(tag: String = "penpals-1", start: TimeInterval = 86_400, minutes: Double = 45) -> NewWebexMeeting {
        NewWebexMeeting(
            title: "Pen pals: Year 5 meets Klasse 5b",
            start: Times.utc(start),
            end: Times.utc(start + minutes * 60),
            integrationTag: tag
        )
    }

    @Test func createListAndDeleteAMeeting() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect(email: "ms.garcia@school.example")
            let client = server.client()
            let new = Self.lesson(tag: "penpals-42")
            let meeting = try await client.createMeeting(new, accessToken: tokens.accessToken)

            #expect(meeting.id.count == 32 && meeting.id.allSatisfy(\.isHexDigit))
            #expect(meeting.webLink == server.base + "/meet/" + meeting.id)
            #expect(meeting.hostEmail == "ms.garcia@school.example")
            #expect(meeting.title == new.title)
            #expect(meeting.start == new.start)
            #expect(meeting.end == new.end)
            #expect(meeting.integrationTags == ["penpals-42"])

            let stored = try #require(await server.sandbox.meetings().first)
            #expect(stored.createdWithToken == tokens.accessToken)
            #expect(stored.hostEmail == "ms.garcia@school.example")

            let (page, pageResponse) = try await HTTP.send("GET", meeting.webLink)
            #expect(pageResponse.statusCode == 200)
            #expect(page.contains("Sandbox meeting Pen pals: Year 5 meets Klasse 5b"))

            _ = try await client.createMeeting(Self.lesson(tag: "penpals-43"), accessToken: tokens.accessToken)
            let found = try await client.meetings(
                integrationTag: "penpals-42", from: Date(), to: Date().addingTimeInterval(2 * 86_400),
                accessToken: tokens.accessToken
            )
            #expect(found == [meeting])

            try await client.deleteMeeting(id: meeting.id, accessToken: tokens.accessToken)
            do {
                _ = try await client.meeting(id: meeting.id, accessToken: tokens.accessToken)
                Issue.record("a deleted meeting was still there")
            } catch WebexError.rejected(let status, _) {
                #expect(status == 404)
            }
            let after = try await client.meetings(
                integrationTag: "penpals-42", from: Date(), to: Date().addingTimeInterval(2 * 86_400),
                accessToken: tokens.accessToken
            )
            #expect(after.isEmpty)
        }
    }

    @Test func createSendsTheSpecFieldsWithTheBearerToken() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            var new = Self.lesson(tag: "penpals-7")
            new.timezone = "UTC"
            _ = try await server.client().createMeeting(new, accessToken: tokens.accessToken)
            let post = try #require(await server.sandbox.requestLog().last { $0.path == "/v1/meetings" })
            #expect(post.method == "POST")
            #expect(post.headers["authorization"] == "Bearer \(tokens.accessToken)")
            #expect(post.headers["content-type"] == "application/json")
            let body = try #require(JSONSerialization.jsonObject(with: Data(post.body.utf8)) as? [String: Any])
            #expect(body["title"] as? String == new.title)
            #expect(body["start"] as? String == new.start)
            #expect(body["end"] as? String == new.end)
            #expect(body["timezone"] as? String == "UTC")
            #expect(body["integrationTags"] as? [String] == ["penpals-7"])
        }
    }

    @Test func aMeetingIsAnsweredInItsTimeZone() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            // 15 January next year, 09:00 in Zurich (winter, +01:00) is 08:00 UTC.
            let year = Calendar(identifier: .gregorian).component(.year, from: Date()) + 1
            let new = NewWebexMeeting(
                title: "Zone", start: "\(year)-01-15T08:00:00Z", end: "\(year)-01-15T08:30:00Z",
                timezone: "Europe/Zurich", integrationTag: "penpals-tz"
            )
            let meeting = try await server.client().createMeeting(new, accessToken: tokens.accessToken)
            #expect(meeting.start == "\(year)-01-15T09:00:00+01:00")
            #expect(meeting.end == "\(year)-01-15T09:30:00+01:00")
            #expect(meeting.timezone == "Europe/Zurich")
        }
    }

    @Test func listingShowsOnlyTheTokenUsersMeetingsInTheWindow() async throws {
        try await SandboxServer.with { server in
            let garcia = try await server.connect(email: "ms.garcia@school.example")
            let weber = try await server.connect(email: "herr.weber@schule.example")
            let client = server.client()
            let mine = try await client.createMeeting(Self.lesson(tag: "penpals-1"), accessToken: garcia.accessToken)
            _ = try await client.createMeeting(Self.lesson(tag: "penpals-1"), accessToken: weber.accessToken)
            _ = try await client.createMeeting(Self.lesson(tag: "penpals-1", start: 10 * 86_400), accessToken: garcia.accessToken)

            let found = try await client.meetings(
                integrationTag: "penpals-1", from: Date(), to: Date().addingTimeInterval(2 * 86_400),
                accessToken: garcia.accessToken
            )
            #expect(found == [mine])
            #expect(found.first?.hostEmail == "ms.garcia@school.example")

            // Someone else's meeting can be neither read nor deleted.
            do {
                try await client.deleteMeeting(id: mine.id, accessToken: weber.accessToken)
                Issue.record("another user deleted the meeting")
            } catch WebexError.rejected(let status, _) {
                #expect(status == 404)
            }
            #expect(await server.sandbox.meetings().count == 3)
        }
    }

    @Test func deletingAnUnknownMeetingIs404() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            do {
                try await server.client().deleteMeeting(id: "0123456789abcdef0123456789abcdef", accessToken: tokens.accessToken)
                Issue.record("deleting an unknown meeting succeeded")
            } catch WebexError.rejected(let status, let message) {
                #expect(status == 404)
                #expect(!message.isEmpty)
            }
        }
    }

    @Test func missingOrInvalidBearerIsUnauthorized() async throws {
        try await SandboxServer.with { server in
            let client = server.client()
            for token in ["", "not-a-token"] {
                do {
                    _ = try await client.createMeeting(Self.lesson(), accessToken: token)
                    Issue.record("a meeting was created with token '\(token)'")
                } catch WebexError.unauthorized(let message) {
                    #expect(message.contains("access token"))
                }
            }
            let (body, response) = try await HTTP.send("GET", server.base + "/v1/meetings")
            #expect(response.statusCode == 401)
            let trackingID = try #require(response.value(forHTTPHeaderField: "trackingid"))
            let json = try #require(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(json["trackingId"] as? String == trackingID)
            #expect(json["message"] is String)
            #expect((json["errors"] as? [[String: Any]])?.first?["description"] is String)
            #expect(await server.sandbox.meetings().isEmpty)
        }
    }

    @Test func expiredAccessTokenIsUnauthorized() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            try await server.fault(#"{"expire_access_tokens": true}"#)
            do {
                _ = try await server.client().createMeeting(Self.lesson(), accessToken: tokens.accessToken)
                Issue.record("an expired token was accepted")
            } catch WebexError.unauthorized {
            }
        }
    }
}
