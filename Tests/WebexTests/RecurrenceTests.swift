import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import Webex
import WebexSandbox

@Suite("Meeting series (recurrence) against the sandbox")
struct RecurrenceTests {
    static let weekly = "FREQ=WEEKLY;INTERVAL=1;COUNT=10"

    /// The lesson as a series of `rule`.
    static func series(_ rule: String?, tag: String = "penpals-1") -> NewWebexMeeting {
        var meeting = MeetingsTests.lesson(tag: tag)
        meeting.recurrence = rule
        return meeting
    }

    /// The JSON object of a logged request's body.
    static func body(of request: SandboxRequest) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
    }

    /// The meeting as the sandbox answers `GET /v1/meetings/{id}`, as raw JSON.
    static func rawMeeting(_ id: String, server: SandboxServer, accessToken: String) async throws -> [String: Any] {
        let (body, response) = try await HTTP.send(
            "GET", server.base + "/v1/meetings/" + id, headers: ["Authorization": "Bearer \(accessToken)"]
        )
        #expect(response.statusCode == 200)
        return try #require(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
    }

    @Test func aSeriesIsCreatedAndAnsweredWithItsRecurrence() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let client = server.client()
            let new = Self.series(Self.weekly, tag: "penpals-9")
            #expect(new.recurrence == Self.weekly)

            let created = try await client.createMeeting(new, accessToken: tokens.accessToken)
            #expect(created.recurrence == Self.weekly)
            #expect(created.start == new.start)
            #expect(created.end == new.end)

            // GET and the list show it too; the sandbox stores it.
            let fetched = try await client.meeting(id: created.id, accessToken: tokens.accessToken)
            #expect(fetched == created)
            #expect(fetched.recurrence == Self.weekly)
            let listed = try await client.meetings(
                integrationTag: "penpals-9", from: Date(), to: Date().addingTimeInterval(2 * 86_400),
                accessToken: tokens.accessToken
            )
            #expect(listed == [created])
            #expect(try #require(await server.sandbox.meetings().first).recurrence == Self.weekly)
            let raw = try await Self.rawMeeting(created.id, server: server, accessToken: tokens.accessToken)
            #expect(raw["recurrence"] as? String == Self.weekly)

            // The POST carried it as the spec's `recurrence`.
            let post = try #require(await server.sandbox.requestLog().last { $0.method == "POST" && $0.path == "/v1/meetings" })
            #expect(try Self.body(of: post)["recurrence"] as? String == Self.weekly)
        }
    }

    @Test func aOneOffMeetingHasNoRecurrenceInItsAnswer() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let client = server.client()
            let new = MeetingsTests.lesson()
            #expect(new.recurrence == nil)

            let created = try await client.createMeeting(new, accessToken: tokens.accessToken)
            #expect(created.recurrence == nil)
            #expect(try await client.meeting(id: created.id, accessToken: tokens.accessToken).recurrence == nil)
            #expect(try #require(await server.sandbox.meetings().first).recurrence == nil)

            // Neither sent nor answered: the key is absent, not null.
            let post = try #require(await server.sandbox.requestLog().last { $0.method == "POST" && $0.path == "/v1/meetings" })
            #expect(try Self.body(of: post).keys.contains("recurrence") == false)
            let raw = try await Self.rawMeeting(created.id, server: server, accessToken: tokens.accessToken)
            #expect(raw.keys.contains("recurrence") == false)
            #expect(raw["meetingType"] as? String == "meetingSeries")
        }
    }

    @Test func anUpdateKeepsARecurrenceSentAgainAndDropsOneLeftOut() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let client = server.client()
            let created = try await client.createMeeting(Self.series(Self.weekly), accessToken: tokens.accessToken)
            #expect(created.recurrence == Self.weekly)

            // New times, the rule sent again: the series keeps it.
            var moved = UpdateMeetingTests.moved()
            moved.recurrence = Self.weekly
            let kept = try await client.updateMeeting(id: created.id, moved, accessToken: tokens.accessToken)
            #expect(kept.id == created.id)
            #expect(kept.start == moved.start)
            #expect(kept.end == moved.end)
            #expect(kept.recurrence == Self.weekly)
            #expect(try await client.meeting(id: created.id, accessToken: tokens.accessToken) == kept)

            // Another rule replaces it.
            moved.recurrence = "COUNT=4;FREQ=DAILY;INTERVAL=2"
            let replaced = try await client.updateMeeting(id: created.id, moved, accessToken: tokens.accessToken)
            #expect(replaced.recurrence == "COUNT=4;FREQ=DAILY;INTERVAL=2")

            // Left out, as a PUT replaces the meeting: a one-off again.
            moved.recurrence = nil
            let oneOff = try await client.updateMeeting(id: created.id, moved, accessToken: tokens.accessToken)
            #expect(oneOff.recurrence == nil)
            #expect(oneOff.start == moved.start)
            #expect(try await client.meeting(id: created.id, accessToken: tokens.accessToken) == oneOff)
            #expect(try #require(await server.sandbox.meetings().first).recurrence == nil)
            let raw = try await Self.rawMeeting(created.id, server: server, accessToken: tokens.accessToken)
            #expect(raw.keys.contains("recurrence") == false)

            let puts = await UpdateMeetingTests.puts(server)
            #expect(puts.map(\.status) == [200, 200, 200])
            let bodies = try puts.map { try Self.body(of: $0) }
            #expect(bodies.map { $0["recurrence"] as? String } == [Self.weekly, "COUNT=4;FREQ=DAILY;INTERVAL=2", nil])
            #expect(bodies.last?.keys.contains("recurrence") == false)
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var rule: String
        var message: String
        var testDescription: String { name }
    }

    /// Rules outside what the node uses, with a part of the sandbox's message.
    static let badRules: [Case] = [
        Case(name: "FREQ=MONTHLY", rule: "FREQ=MONTHLY;INTERVAL=1;COUNT=10", message: "FREQ must be DAILY or WEEKLY"),
        Case(name: "FREQ=YEARLY", rule: "FREQ=YEARLY;INTERVAL=1;COUNT=10", message: "FREQ must be DAILY or WEEKLY"),
        Case(name: "lower-case frequency", rule: "FREQ=weekly;INTERVAL=1;COUNT=10", message: "FREQ must be DAILY or WEEKLY"),
        Case(name: "INTERVAL=5", rule: "FREQ=WEEKLY;INTERVAL=5;COUNT=10", message: "INTERVAL must be a number from 1 to 4"),
        Case(name: "INTERVAL=0", rule: "FREQ=WEEKLY;INTERVAL=0;COUNT=10", message: "INTERVAL must be a number from 1 to 4"),
        Case(name: "COUNT=1", rule: "FREQ=WEEKLY;INTERVAL=1;COUNT=1", message: "COUNT must be a number from 2 to 52"),
        Case(name: "COUNT=53", rule: "FREQ=WEEKLY;INTERVAL=1;COUNT=53", message: "COUNT must be a number from 2 to 52"),
        Case(name: "COUNT with a sign", rule: "FREQ=WEEKLY;INTERVAL=1;COUNT=+5", message: "COUNT must be a number from 2 to 52"),
        Case(name: "COUNT with a leading zero", rule: "FREQ=WEEKLY;INTERVAL=1;COUNT=05", message: "COUNT must be a number from 2 to 52"),
        Case(name: "COUNT not a number", rule: "FREQ=WEEKLY;INTERVAL=1;COUNT=ten", message: "COUNT must be a number from 2 to 52"),
        Case(name: "missing COUNT", rule: "FREQ=WEEKLY;INTERVAL=1", message: "COUNT is required"),
        Case(name: "missing INTERVAL", rule: "FREQ=WEEKLY;COUNT=10", message: "INTERVAL is required"),
        Case(name: "missing FREQ", rule: "INTERVAL=1;COUNT=10", message: "FREQ is required"),
        Case(name: "COUNT twice", rule: "FREQ=WEEKLY;INTERVAL=1;COUNT=10;COUNT=10", message: "COUNT can be given only once"),
        Case(name: "FREQ twice", rule: "FREQ=WEEKLY;FREQ=DAILY;INTERVAL=1;COUNT=10", message: "FREQ can be given only once"),
        Case(name: "another part", rule: "FREQ=WEEKLY;INTERVAL=1;COUNT=10;BYDAY=TU", message: "only FREQ, INTERVAL and COUNT"),
        Case(name: "an UNTIL instead of COUNT", rule: "FREQ=WEEKLY;INTERVAL=1;UNTIL=20270101T000000Z", message: "only FREQ, INTERVAL and COUNT"),
        Case(name: "junk", rule: "every other Tuesday", message: "NAME=value"),
        Case(name: "empty", rule: "", message: "NAME=value"),
        Case(name: "a trailing semicolon", rule: "FREQ=WEEKLY;INTERVAL=1;COUNT=10;", message: "NAME=value"),
        Case(name: "spaces around a part", rule: "FREQ=WEEKLY; INTERVAL=1;COUNT=10", message: "only FREQ, INTERVAL and COUNT"),
    ]

    @Test(arguments: badRules)
    func aBadRecurrenceIsRejectedWith400OnCreate(_ testCase: Case) async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            do {
                _ = try await server.client().createMeeting(Self.series(testCase.rule), accessToken: tokens.accessToken)
                Issue.record("recurrence '\(testCase.rule)' was accepted")
            } catch WebexError.rejected(let status, let message) {
                #expect(status == 400)
                #expect(message.contains("recurrence"), "message: \(message)")
                #expect(message.contains(testCase.message), "message: \(message)")
            }
            #expect(await server.sandbox.meetings().isEmpty)
        }
    }

    @Test(arguments: badRules)
    func aBadRecurrenceIsRejectedWith400OnUpdateAndChangesNothing(_ testCase: Case) async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let client = server.client()
            let created = try await client.createMeeting(Self.series(Self.weekly), accessToken: tokens.accessToken)
            var moved = UpdateMeetingTests.moved()
            moved.recurrence = testCase.rule
            do {
                _ = try await client.updateMeeting(id: created.id, moved, accessToken: tokens.accessToken)
                Issue.record("recurrence '\(testCase.rule)' was accepted")
            } catch WebexError.rejected(let status, let message) {
                #expect(status == 400)
                #expect(message.contains(testCase.message), "message: \(message)")
            }
            #expect(try await client.meeting(id: created.id, accessToken: tokens.accessToken) == created)
        }
    }

    /// The WebEx-style error body, with the request's tracking id, for a bad rule.
    @Test func aBadRecurrenceIsAnsweredWithWebexsErrorBody() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let json = """
                {"title": "Series", "start": "\(Times.utc(86_400))", "end": "\(Times.utc(90_000))", \
                "recurrence": "FREQ=MONTHLY;INTERVAL=1;COUNT=10"}
                """
            let (body, response) = try await HTTP.send(
                "POST", server.base + "/v1/meetings",
                headers: ["Authorization": "Bearer \(tokens.accessToken)"], json: json
            )
            #expect(response.statusCode == 400)
            let trackingID = try #require(response.value(forHTTPHeaderField: "trackingid"))
            let answer = try #require(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(answer["trackingId"] as? String == trackingID)
            let message = try #require(answer["message"] as? String)
            #expect(message.contains("recurrence 'FREQ=MONTHLY;INTERVAL=1;COUNT=10'"))
            let errors = try #require(answer["errors"] as? [[String: Any]])
            #expect(errors.map { $0["description"] as? String } == [message])
        }
    }

    @Test(arguments: [
        "FREQ=DAILY;INTERVAL=1;COUNT=2",
        "FREQ=WEEKLY;INTERVAL=4;COUNT=52",
        "COUNT=10;FREQ=DAILY;INTERVAL=1",
        "INTERVAL=2;COUNT=6;FREQ=WEEKLY",
    ])
    func theBoundsAndAnyOrderOfPartsAreAccepted(_ rule: String) async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let created = try await server.client().createMeeting(Self.series(rule), accessToken: tokens.accessToken)
            #expect(created.recurrence == rule)
        }
    }
}
