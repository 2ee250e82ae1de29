import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import Webex
import WebexSandbox

@Suite("Updating a meeting with PUT against the sandbox")
struct UpdateMeetingTests {
    /// The lesson moved a day later, longer, retitled and retagged.
    static func moved(tag: String = "penpals-1-r2") -> NewWebexMeeting {
        NewWebexMeeting(
            title: "Pen pals: Year 5 meets Klasse 5b (moved)",
            start: Times.utc(2 * 86_400 + 1_800),
            end: Times.utc(2 * 86_400 + 1_800 + 60 * 60),
            timezone: "UTC",
            integrationTag: tag
        )
    }

    /// The PUTs the sandbox has logged, oldest first.
    static func puts(_ server: SandboxServer) async -> [SandboxRequest] {
        await server.sandbox.requestLog().filter { $0.method == "PUT" }
    }

    @Test func anUpdateReplacesTitleTimesAndTagsAndKeepsIdAndLink() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect(email: "ms.garcia@school.example")
            let client = server.client()
            var original = MeetingsTests.lesson(tag: "penpals-1")
            original.timezone = "Europe/Zurich"
            let created = try await client.createMeeting(original, accessToken: tokens.accessToken)
            let change = Self.moved()

            let updated = try await client.updateMeeting(id: created.id, change, accessToken: tokens.accessToken)
            #expect(updated.id == created.id)
            #expect(updated.webLink == created.webLink)
            #expect(updated.hostEmail == "ms.garcia@school.example")
            #expect(updated.title == change.title)
            #expect(updated.start == change.start)
            #expect(updated.end == change.end)
            #expect(updated.timezone == "UTC")
            #expect(updated.integrationTags == ["penpals-1-r2"])

            // WebEx holds what the PUT answered.
            let fetched = try await client.meeting(id: created.id, accessToken: tokens.accessToken)
            #expect(fetched == updated)
            let stored = try #require(await server.sandbox.meetings().only)
            #expect(stored.id == created.id)
            #expect(stored.createdWithToken == tokens.accessToken)

            // Found by its new tag and new window only.
            let window = (from: Date(), to: Date().addingTimeInterval(3 * 86_400))
            let byNewTag = try await client.meetings(
                integrationTag: "penpals-1-r2", from: window.from, to: window.to, accessToken: tokens.accessToken
            )
            #expect(byNewTag == [updated])
            let byOldTag = try await client.meetings(
                integrationTag: "penpals-1", from: window.from, to: window.to, accessToken: tokens.accessToken
            )
            #expect(byOldTag.isEmpty)

            // One PUT, to the meeting's path, with the bearer token and every field of the meeting.
            let put = try #require(await Self.puts(server).only)
            #expect(put.path == "/v1/meetings/" + created.id)
            #expect(put.status == 200)
            #expect(put.headers["authorization"] == "Bearer \(tokens.accessToken)")
            #expect(put.headers["content-type"] == "application/json")
            let body = try #require(JSONSerialization.jsonObject(with: Data(put.body.utf8)) as? [String: Any])
            #expect(Set(body.keys) == ["title", "start", "end", "timezone", "integrationTags"])
            #expect(body["title"] as? String == change.title)
            #expect(body["start"] as? String == change.start)
            #expect(body["end"] as? String == change.end)
            #expect(body["timezone"] as? String == "UTC")
            #expect(body["integrationTags"] as? [String] == ["penpals-1-r2"])
        }
    }

    @Test func theTimeZoneIsReplacedAndALeftOutOneBecomesUTC() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let client = server.client()
            var original = MeetingsTests.lesson()
            original.timezone = "Europe/Zurich"
            let created = try await client.createMeeting(original, accessToken: tokens.accessToken)
            #expect(created.timezone == "Europe/Zurich")
            var change = Self.moved()
            change.timezone = "UTC"
            // An explicit UTC is answered by that name (not Foundation's "GMT").
            #expect(try await client.updateMeeting(id: created.id, change, accessToken: tokens.accessToken).timezone == "UTC")
            let zurich = try await client.updateMeeting(id: created.id, original, accessToken: tokens.accessToken)
            #expect(zurich.timezone == "Europe/Zurich")
            change.timezone = nil
            let updated = try await client.updateMeeting(id: created.id, change, accessToken: tokens.accessToken)
            #expect(updated.timezone == "UTC")
            #expect(updated.start == change.start)
        }
    }

    @Test func updatingAnUnknownMeetingIs404() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            do {
                _ = try await server.client().updateMeeting(
                    id: "0123456789abcdef0123456789abcdef", Self.moved(), accessToken: tokens.accessToken
                )
                Issue.record("updating an unknown meeting succeeded")
            } catch WebexError.rejected(let status, let message) {
                #expect(status == 404)
                #expect(!message.isEmpty)
            }
            #expect(await Self.puts(server).map(\.status) == [404])
            #expect(await server.sandbox.meetings().isEmpty)
        }
    }

    @Test func anotherUsersOrADeletedMeetingIs404AndUnchanged() async throws {
        try await SandboxServer.with { server in
            let garcia = try await server.connect(email: "ms.garcia@school.example")
            let weber = try await server.connect(email: "herr.weber@schule.example")
            let client = server.client()
            let mine = try await client.createMeeting(MeetingsTests.lesson(), accessToken: garcia.accessToken)
            do {
                _ = try await client.updateMeeting(id: mine.id, Self.moved(), accessToken: weber.accessToken)
                Issue.record("another user updated the meeting")
            } catch WebexError.rejected(let status, _) {
                #expect(status == 404)
            }
            #expect(try await client.meeting(id: mine.id, accessToken: garcia.accessToken) == mine)

            try await client.deleteMeeting(id: mine.id, accessToken: garcia.accessToken)
            do {
                _ = try await client.updateMeeting(id: mine.id, Self.moved(), accessToken: garcia.accessToken)
                Issue.record("a deleted meeting was updated")
            } catch WebexError.rejected(let status, _) {
                #expect(status == 404)
            }
            #expect(await server.sandbox.meetings().isEmpty)
        }
    }

    @Test func updatesNeedAValidBearer() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let client = server.client()
            let created = try await client.createMeeting(MeetingsTests.lesson(), accessToken: tokens.accessToken)
            for token in ["", "not-a-token"] {
                do {
                    _ = try await client.updateMeeting(id: created.id, Self.moved(), accessToken: token)
                    Issue.record("a meeting was updated with token '\(token)'")
                } catch WebexError.unauthorized(let message) {
                    #expect(message.contains("access token"))
                }
            }
            #expect(try await client.meeting(id: created.id, accessToken: tokens.accessToken) == created)
        }
    }

    /// Every rule a create is checked against applies to an update, with the same 400 and message.
    @Test(arguments: ValidationTests.cases)
    func anInvalidUpdateIsRejectedWith400AndChangesNothing(_ testCase: ValidationTests.Case) async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let client = server.client()
            let created = try await client.createMeeting(MeetingsTests.lesson(), accessToken: tokens.accessToken)
            do {
                _ = try await client.updateMeeting(id: created.id, testCase.meeting, accessToken: tokens.accessToken)
                Issue.record("\(testCase.name) was accepted")
            } catch WebexError.rejected(let status, let message) {
                #expect(status == 400)
                #expect(message.contains(testCase.message), "message: \(message)")
            }
            #expect(try await client.meeting(id: created.id, accessToken: tokens.accessToken) == created)
        }
    }

    @Test func aBodyThatIsNotAMeetingIs400() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let created = try await server.client().createMeeting(MeetingsTests.lesson(), accessToken: tokens.accessToken)
            let (body, response) = try await HTTP.send(
                "PUT", server.base + "/v1/meetings/" + created.id,
                headers: ["Authorization": "Bearer \(tokens.accessToken)"], json: "[1, 2]"
            )
            #expect(response.statusCode == 400)
            let trackingID = try #require(response.value(forHTTPHeaderField: "trackingid"))
            let json = try #require(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(json["trackingId"] as? String == trackingID)
            #expect((json["message"] as? String)?.contains("JSON meeting object") == true)
        }
    }

    @Test func a503OnUpdatesIsAServerErrorAndALaterUpdateSucceeds() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let client = server.client()
            let created = try await client.createMeeting(MeetingsTests.lesson(), accessToken: tokens.accessToken)
            try await server.fault(#"{"endpoint": "PUT /v1/meetings/{meetingId}", "status": 503}"#)

            // The fault selects updates only: a GET of the same meeting is not touched.
            #expect(try await client.meeting(id: created.id, accessToken: tokens.accessToken) == created)
            do {
                _ = try await client.updateMeeting(id: created.id, Self.moved(), accessToken: tokens.accessToken)
                Issue.record("the 503 fault did not fire")
            } catch let error as WebexError {
                #expect(error == .server(status: 503, message: "Sandbox fault: HTTP 503"))
                #expect(error.isRetryable)
            }
            #expect(try await client.meeting(id: created.id, accessToken: tokens.accessToken) == created)

            // The fault was used up: the retry goes through.
            let updated = try await client.updateMeeting(id: created.id, Self.moved(), accessToken: tokens.accessToken)
            #expect(updated.title == Self.moved().title)
            #expect(await Self.puts(server).map(\.status) == [503, 200])
        }
    }

    @Test func a429OnUpdatesCarriesRetryAfter() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let client = server.client()
            let created = try await client.createMeeting(MeetingsTests.lesson(), accessToken: tokens.accessToken)
            try await server.fault(#"{"endpoint": "PUT /v1/meetings/{meetingId}", "status": 429, "retry_after": 4}"#)
            do {
                _ = try await client.updateMeeting(id: created.id, Self.moved(), accessToken: tokens.accessToken)
                Issue.record("the 429 fault did not fire")
            } catch WebexError.rateLimited(let retryAfter, let status, _) {
                #expect(retryAfter == 4)
                #expect(status == 429)
            }
        }
    }

    @Test func aSlowUpdateTimesOutAsTransport() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let created = try await server.client().createMeeting(MeetingsTests.lesson(), accessToken: tokens.accessToken)
            try await server.fault(#"{"endpoint": "PUT /v1/meetings/{meetingId}", "delay_ms": 3000}"#)
            do {
                _ = try await server.client(timeout: 1).updateMeeting(id: created.id, Self.moved(), accessToken: tokens.accessToken)
                Issue.record("the delayed update did not time out")
            } catch WebexError.transport {
            }
        }
    }

    /// WebEx applied the update but the answer was lost: sending it again gives the same meeting.
    @Test func anUpdateWhoseAnswerWasLostIsSafeToSendAgain() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let client = server.client()
            let created = try await client.createMeeting(MeetingsTests.lesson(), accessToken: tokens.accessToken)
            try await server.fault(#"{"endpoint": "PUT /v1/meetings/{meetingId}", "answer_delay_ms": 3000}"#)
            do {
                _ = try await server.client(timeout: 1).updateMeeting(id: created.id, Self.moved(), accessToken: tokens.accessToken)
                Issue.record("the held-back answer did not time out")
            } catch WebexError.transport {
            }
            let applied = try await client.meeting(id: created.id, accessToken: tokens.accessToken)
            #expect(applied.title == Self.moved().title)
            let again = try await client.updateMeeting(id: created.id, Self.moved(), accessToken: tokens.accessToken)
            #expect(again == applied)
            #expect(await server.sandbox.meetings().count == 1)
        }
    }
}

extension Array {
    /// The one element, or nil when there are none or several.
    fileprivate var only: Element? { count == 1 ? first : nil }
}
