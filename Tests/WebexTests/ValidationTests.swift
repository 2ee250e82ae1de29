import Foundation
import Testing
import Webex
import WebexSandbox

@Suite("The sandbox validates meetings as the spec says")
struct ValidationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var meeting: NewWebexMeeting
        var message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "empty title",
             meeting: NewWebexMeeting(title: "", start: Times.utc(86_400), end: Times.utc(90_000), integrationTag: "t"),
             message: "title"),
        Case(name: "129-character title",
             meeting: NewWebexMeeting(title: String(repeating: "a", count: 129), start: Times.utc(86_400), end: Times.utc(90_000), integrationTag: "t"),
             message: "128 characters"),
        Case(name: "9-minute meeting",
             meeting: NewWebexMeeting(title: "Short", start: Times.utc(86_400), end: Times.utc(86_400 + 9 * 60), integrationTag: "t"),
             message: "10 minutes"),
        Case(name: "24-hour meeting",
             meeting: NewWebexMeeting(title: "Long", start: Times.utc(86_400), end: Times.utc(2 * 86_400), integrationTag: "t"),
             message: "23 hours 59 minutes"),
        Case(name: "start in the past",
             meeting: NewWebexMeeting(title: "Late", start: Times.utc(-7_200), end: Times.utc(-3_600), integrationTag: "t"),
             message: "start cannot be before current date and time"),
        Case(name: "end before start",
             meeting: NewWebexMeeting(title: "Backwards", start: Times.utc(90_000), end: Times.utc(86_400), integrationTag: "t"),
             message: "end cannot be before start"),
        Case(name: "start not ISO 8601",
             meeting: NewWebexMeeting(title: "Bad", start: "tomorrow at noon", end: Times.utc(90_000), integrationTag: "t"),
             message: "ISO 8601"),
        Case(name: "unknown time zone",
             meeting: NewWebexMeeting(title: "Zone", start: Times.utc(86_400), end: Times.utc(90_000), timezone: "Mars/Olympus", integrationTag: "t"),
             message: "IANA"),
        Case(name: "65-character integration tag",
             meeting: NewWebexMeeting(title: "Tag", start: Times.utc(86_400), end: Times.utc(90_000), integrationTag: String(repeating: "x", count: 65)),
             message: "64 characters"),
    ]

    @Test(arguments: cases)
    func invalidMeetingIsRejectedWith400(_ testCase: Case) async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            do {
                _ = try await server.client().createMeeting(testCase.meeting, accessToken: tokens.accessToken)
                Issue.record("\(testCase.name) was accepted")
            } catch WebexError.rejected(let status, let message) {
                #expect(status == 400)
                #expect(message.contains(testCase.message), "message: \(message)")
            }
            #expect(await server.sandbox.meetings().isEmpty)
        }
    }

    @Test func boundaryDurationsAreAccepted() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let client = server.client()
            let tenMinutes = NewWebexMeeting(title: "Ten", start: Times.utc(86_400), end: Times.utc(86_400 + 600), integrationTag: "a")
            let almostADay = NewWebexMeeting(
                title: String(repeating: "b", count: 128), start: Times.utc(86_400),
                end: Times.utc(86_400 + 23 * 3600 + 59 * 60), integrationTag: "b"
            )
            _ = try await client.createMeeting(tenMinutes, accessToken: tokens.accessToken)
            _ = try await client.createMeeting(almostADay, accessToken: tokens.accessToken)
            #expect(await server.sandbox.meetings().count == 2)
        }
    }
}
