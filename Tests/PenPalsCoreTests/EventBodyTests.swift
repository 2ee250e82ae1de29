import Foundation
import Testing
@testable import PenPalsCore

@Suite("EventBody")
struct EventBodyTests {
    static let invitationID = UUID(uuidString: "3F2504E0-4F89-11D3-9A0C-0305E82C3301")!

    struct Case: CustomTestStringConvertible, Sendable {
        var body: EventBody
        var type: EventType
        var keys: Set<String>
        var testDescription: String { "\(type.rawValue) \(keys.sorted())" }
    }

    static let cases: [Case] = [
        Case(body: .invitation(InvitationOffer(invitationID: invitationID, title: "Pen pals", startTime: "2026-12-03T15:00:00Z",
                                               endTime: "2026-12-03T16:00:00-06:00")),
             type: .invitation, keys: ["invitation_id", "title", "start_time", "end_time"]),
        Case(body: .accept(invitationID: invitationID), type: .accept, keys: ["invitation_id"]),
        Case(body: .decline(invitationID: invitationID, reason: "We are on holiday."), type: .decline,
             keys: ["invitation_id", "reason"]),
        Case(body: .decline(invitationID: invitationID, reason: nil), type: .decline, keys: ["invitation_id"]),
        Case(body: .cancel(invitationID: invitationID, reason: EventBody.expiredReason), type: .cancel,
             keys: ["invitation_id", "reason"]),
        Case(body: .cancel(invitationID: invitationID, reason: nil), type: .cancel, keys: ["invitation_id"]),
        Case(body: .meeting(MeetingNotice(invitationID: invitationID, webexMeetingID: "abc123", webLink: "https://x.webex.com/m/abc",
                                          title: "Pen pals", startTime: "2026-12-03T15:00:00Z", endTime: "2026-12-03T16:00:00Z")),
             type: .meeting, keys: ["invitation_id", "webex_meeting_id", "web_link", "title", "start_time", "end_time"]),
        Case(body: .meetingFailed(MeetingFailure(invitationID: invitationID, code: "webex_unavailable",
                                                 message: "WebEx did not answer.", retrying: true)),
             type: .meetingFailed, keys: ["invitation_id", "code", "message", "retrying"]),
    ]

    @Test("each body round-trips with the contract's snake_case field names", arguments: cases)
    func roundTrip(testCase: Case) throws {
        let data = testCase.body.encoded()
        #expect(try jsonKeys(data) == testCase.keys)
        #expect(testCase.body.type == testCase.type)
        #expect(testCase.body.invitationID == Self.invitationID)
        #expect(try EventBody.decode(type: testCase.type, from: data) == testCase.body)
    }

    @Test("the event type names are the contract's")
    func typeNames() {
        #expect(EventType.v1.map(\.rawValue) == ["invitation", "accept", "decline", "cancel", "meeting", "meeting_failed"])
        #expect(EventType.known.map(\.rawValue).suffix(2) == ["reschedule", "propose"])
    }

    @Test("field values are written as the contract says")
    func fieldValues() throws {
        let meeting = try jsonObject(Self.cases[6].body.encoded())
        #expect(meeting["web_link"] as? String == "https://x.webex.com/m/abc")
        #expect(meeting["webex_meeting_id"] as? String == "abc123")
        let failed = try jsonObject(Self.cases[7].body.encoded())
        #expect(failed["retrying"] as? Bool == true)
        let cancel = try jsonObject(Self.cases[4].body.encoded())
        #expect(cancel["reason"] as? String == "expired")
        let id = try #require(cancel["invitation_id"] as? String)
        #expect(UUID(uuidString: id) == Self.invitationID)
    }

    @Test("bodies from another implementation with lowercase UUIDs decode")
    func lowercaseUUID() throws {
        let data = Data(#"{"invitation_id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","reason":"busy"}"#.utf8)
        #expect(try EventBody.decode(type: .decline, from: data) == .decline(invitationID: Self.invitationID, reason: "busy"))
        #expect(try EventBody.decode(type: .accept, from: data) == .accept(invitationID: Self.invitationID))
    }

    @Test("an invitation whose end is not after its start, or whose times are not RFC 3339, is refused", arguments: [
        ("2026-12-03T16:00:00Z", "2026-12-03T15:00:00Z"),
        ("2026-12-03T15:00:00Z", "2026-12-03T15:00:00Z"),
        ("2026-12-03T15:00:00Z", "2026-12-03T08:00:00-06:00"),
        ("2026-12-03T15:00:00", "2026-12-03T16:00:00Z"),
        ("tomorrow", "2026-12-03T16:00:00Z"),
    ])
    func invitationTimes(start: String, end: String) {
        let offer = InvitationOffer(invitationID: Self.invitationID, title: "x", startTime: start, endTime: end)
        #expect(throws: (any Error).self) { try EventBody.decode(type: .invitation, from: WireJSON.encode(offer)) }
    }

    @Test("missing fields and wrong types are refused")
    func missingFields() {
        let bad: [(EventType, String)] = [
            (.accept, "{}"),
            (.invitation, #"{"invitation_id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","title":"x"}"#),
            (.meeting, #"{"invitation_id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301"}"#),
            (.meetingFailed, #"{"invitation_id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","code":"x","message":"y","retrying":"yes"}"#),
            (.cancel, #"{"invitation_id":"not-a-uuid"}"#),
        ]
        for (type, json) in bad {
            #expect(throws: (any Error).self, "\(type) \(json)") { try EventBody.decode(type: type, from: Data(json.utf8)) }
        }
    }

    @Test("JSONDecoder reads a body's UUID with the wire's one strictness (UUID.parse), not Foundation's")
    func uuidsAreStrictInEveryReader() throws {
        let id = "01a21293-b600-7927-8a50-341bb8e83734"
        func offer(_ text: String) -> Data {
            Data(#"{"end_time":"2026-12-01T16:00:00Z","invitation_id":"\#(text)","start_time":"2026-12-01T15:00:00Z","title":"T"}"#.utf8)
        }
        #expect(try JSONDecoder().decode(InvitationOffer.self, from: offer(id)).invitationID.lowercasedString == id)
        #expect(try JSONDecoder().decode(InvitationOffer.self, from: offer(id.uppercased())).invitationID.lowercasedString == id)
        // Foundation's reader on Linux takes some of these; none is a UUID on the wire.
        for lenient in [" " + id, id + " ", "+" + id.dropFirst(), String(id.dropLast()) + "+", id.replacingOccurrences(of: "-", with: ""), "{\(id)}"] {
            #expect(throws: DecodingError.self, "\(lenient)") { try JSONDecoder().decode(InvitationOffer.self, from: offer(lenient)) }
            #expect(UUID.parse(lenient) == nil)
        }
    }
}
