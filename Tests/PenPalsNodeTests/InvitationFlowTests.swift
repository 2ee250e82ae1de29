import Foundation
import PenPalsCore
@testable import PenPalsNode
import Testing

/// A call tomorrow, as the API takes it.
func tomorrow(hour: Int = 15, minutes: Int = 60) -> (start: String, end: String) {
    let day = Date().addingTimeInterval(86_400)
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let start = calendar.date(bySettingHour: hour, minute: 0, second: 0, of: day)!
    return (Timestamp.format(start), Timestamp.format(start.addingTimeInterval(TimeInterval(minutes * 60))))
}

/// Sends an invitation from `from` to `to` through the local API and returns its id.
func invite(_ network: TestNetwork, from: String, to: String, title: String = "Seasons around the world") async throws -> String {
    let (start, end) = tomorrow()
    let answer = try await network.api(from, "POST", "/api/webex/meeting", json: [
        "classroom_id": network.member(to).key.id.rawValue, "title": title, "start_time": start, "end_time": end,
    ])
    guard answer.status == 201, let invitation = answer.object["invitation"] as? [String: Any],
          let id = invitation["id"] as? String else {
        throw TestFailure("invite answered \(answer.status): \(answer.text)")
    }
    return id
}

func invitations(_ network: TestNetwork, _ name: String, query: String = "") async throws -> [[String: Any]] {
    let answer = try await network.api(name, "GET", "/api/webex/invitations\(query)")
    guard answer.status == 200 else { throw TestFailure("list answered \(answer.status): \(answer.text)") }
    return answer.object["invitations"] as? [[String: Any]] ?? []
}

func status(of id: String, at name: String, in network: TestNetwork) async throws -> String? {
    try await invitations(network, name, query: "?box=all&status=all").first { $0["id"] as? String == id }?["status"] as? String
}

@Suite("Invite, accept, decline, cancel between two real nodes")
struct InvitationFlowTests {
    @Test func acceptCreatesExactlyOneMeetingWithTheSendersTokenAndBothSeeTheLink() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a")
            try await network.start("b")
            try await network.connectWebex("a", email: "a-teacher@school-a.example")
            try await network.connectWebex("b", email: "b-teacher@school-b.example")
            let id = try await invite(network, from: "a", to: "b")

            try await eventually("b lists the invitation") { try await !invitations(network, "b").isEmpty }
            let pending = try await invitations(network, "b")
            #expect(pending.count == 1)
            #expect(pending[0]["id"] as? String == id)
            #expect(pending[0]["sender_name"] as? String == "Class A")
            #expect(pending[0]["receiver_name"] as? String == "Class B")
            #expect(pending[0]["status"] as? String == "pending")
            #expect(pending[0]["web_link"] is NSNull)
            #expect(pending[0]["meeting_id"] is NSNull)

            let accepted = try await network.api("b", "POST", "/api/webex/invitations/\(id)/accept")
            #expect(accepted.status == 200)
            let meeting = try #require(accepted.object["meeting"] as? [String: Any])
            let link = try #require(meeting["web_link"] as? String)
            #expect(meeting["creator_id"] as? String == network.member("a").key.id.rawValue)
            #expect(meeting["creator_name"] as? String == "Class A")
            #expect((accepted.object["invitation"] as? [String: Any])?["status"] as? String == "scheduled")

            let made = await network.sandbox.meetings()
            #expect(made.count == 1)
            let aTokens = try #require(try await network.node("a").webex?.tokens.loadTokens())
            let bTokens = try #require(try await network.node("b").webex?.tokens.loadTokens())
            #expect(made.first?.hostEmail == "a-teacher@school-a.example")
            #expect(made.first?.createdWithToken == aTokens.accessToken)
            #expect(made.first?.createdWithToken != bTokens.accessToken)
            #expect(made.first?.integrationTags == ["penpals-\(id)"])
            #expect(made.first?.webLink == link)

            for name in ["a", "b"] {
                let meetings = try await network.api(name, "GET", "/api/meetings").object["meetings"] as? [[String: Any]] ?? []
                #expect(meetings.count == 1, "\(name) lists one meeting")
                #expect(meetings.first?["web_link"] as? String == link)
                #expect(meetings.first?["creator_id"] as? String == network.member("a").key.id.rawValue)
                #expect(meetings.first?["invitation_id"] as? String == id)
            }
            #expect(try await status(of: id, at: "a", in: network) == "scheduled")
            #expect(try await status(of: id, at: "b", in: network) == "scheduled")
        }
    }

    @Test func declineIsSeenBySenderAndMakesNoMeeting() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a")
            try await network.start("b")
            try await network.connectWebex("a", email: "a@school.example")
            let id = try await invite(network, from: "a", to: "b")
            try await eventually("b has the invitation") { try await status(of: id, at: "b", in: network) == "pending" }
            let declined = try await network.api("b", "POST", "/api/webex/invitations/\(id)/decline", json: ["reason": "exam week"])
            #expect(declined.status == 200)
            #expect((declined.object["invitation"] as? [String: Any])?["status"] as? String == "declined")
            try await eventually("a sees the decline") { try await status(of: id, at: "a", in: network) == "declined" }
            #expect(try await invitations(network, "a", query: "?box=sent").isEmpty)
            #expect(await network.sandbox.meetings().isEmpty)
            let again = try await network.api("b", "POST", "/api/webex/invitations/\(id)/accept")
            #expect(again.status == 409)
        }
    }

    @Test func cancelBySenderReachesReceiverAndOnlyTheSenderMayCancel() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a")
            try await network.start("b")
            let id = try await invite(network, from: "a", to: "b")
            try await eventually("b has the invitation") { try await status(of: id, at: "b", in: network) == "pending" }
            let byReceiver = try await network.api("b", "POST", "/api/webex/invitations/\(id)/cancel")
            #expect(byReceiver.status == 403)
            #expect(byReceiver.errorCode == "not_sender")
            let cancelled = try await network.api("a", "POST", "/api/webex/invitations/\(id)/cancel")
            #expect(cancelled.status == 200)
            try await eventually("b sees the cancel") { try await status(of: id, at: "b", in: network) == "cancelled" }
            #expect(try await invitations(network, "b").isEmpty)
            let twice = try await network.api("a", "POST", "/api/webex/invitations/\(id)/cancel")
            #expect(twice.status == 409)
            let lateAccept = try await network.api("b", "POST", "/api/webex/invitations/\(id)/accept")
            #expect(lateAccept.status == 409)
        }
    }

    @Test func cancelAfterSchedulingDeletesTheWebexMeeting() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a")
            try await network.start("b")
            try await network.connectWebex("a", email: "a@school.example")
            let id = try await invite(network, from: "a", to: "b")
            try await eventually("b has the invitation") { try await status(of: id, at: "b", in: network) == "pending" }
            #expect(try await network.api("b", "POST", "/api/webex/invitations/\(id)/accept").status == 200)
            #expect(try await network.api("a", "POST", "/api/webex/invitations/\(id)/cancel").status == 200)
            try await eventually("b sees the cancel") { try await status(of: id, at: "b", in: network) == "cancelled" }
            try await eventually("the WebEx meeting is deleted") {
                await network.sandbox.requestLog().contains { $0.method == "DELETE" && $0.status == 204 }
            }
            for name in ["a", "b"] {
                let meetings = try await network.api(name, "GET", "/api/meetings").object["meetings"] as? [[String: Any]]
                #expect(meetings?.isEmpty == true, "\(name) lists no meeting")
            }
        }
    }

    @Test func receiverThatWasDownGetsTheInvitationWhenItStarts() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a")
            let id = try await invite(network, from: "a", to: "b")
            let before = try await network.api("a", "GET", "/api/status")
            let peer = try #require((before.object["peers"] as? [[String: Any]])?.first)
            #expect(peer["outbox"] as? Int == 1)
            #expect(peer["sent"] as? Int == 1)

            try await network.start("b")
            try await eventually("b has the invitation") { try await status(of: id, at: "b", in: network) == "pending" }
            try await eventually("a's outbox is empty") {
                let peers = try await network.api("a", "GET", "/api/status").object["peers"] as? [[String: Any]]
                return peers?.first?["outbox"] as? Int == 0
            }
            let list = try await invitations(network, "b")
            #expect(list.count == 1, "delivered once")
            let bPeers = try await network.api("b", "GET", "/api/status").object["peers"] as? [[String: Any]]
            #expect(bPeers?.first?["applied"] as? Int == 1)
        }
    }

    @Test func acceptWithoutSendersWebexAnswers202AndTheLinkFollowsOnceConnected() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a")
            try await network.start("b")
            let id = try await invite(network, from: "a", to: "b")
            try await eventually("b has the invitation") { try await status(of: id, at: "b", in: network) == "pending" }
            let accepted = try await network.api("b", "POST", "/api/webex/invitations/\(id)/accept")
            #expect(accepted.status == 202)
            let invitation = try #require(accepted.object["invitation"] as? [String: Any])
            #expect(invitation["status"] as? String == "accepted")
            let problem = try #require(invitation["problem"] as? [String: Any])
            #expect(problem["code"] as? String == "webex_not_connected")
            #expect(problem["retrying"] as? Bool == true)
            #expect(await network.sandbox.meetings().isEmpty)

            try await network.connectWebex("a", email: "a@school.example")
            try await eventually("b gets the meeting") { try await status(of: id, at: "b", in: network) == "scheduled" }
            #expect(await network.sandbox.meetings().count == 1)
            let list = try await invitations(network, "b", query: "?status=scheduled")
            #expect(list.first?["problem"] is NSNull)
            #expect(list.first?["web_link"] as? String == (await network.sandbox.meetings().first?.webLink))
        }
    }

    @Test func calendarFileCarriesTheMeeting() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a")
            try await network.start("b")
            try await network.connectWebex("a", email: "a@school.example")
            let id = try await invite(network, from: "a", to: "b", title: "Maths, music; and more")
            try await eventually("b has the invitation") { try await status(of: id, at: "b", in: network) == "pending" }
            let accepted = try await network.api("b", "POST", "/api/webex/invitations/\(id)/accept")
            let meetingID = try #require((accepted.object["meeting"] as? [String: Any])?["id"] as? String)
            let ics = try await network.api("b", "GET", "/api/meetings/\(meetingID)/calendar.ics")
            #expect(ics.status == 200)
            #expect(ics.header("Content-Type")?.hasPrefix("text/calendar") == true)
            #expect(ics.text.contains("BEGIN:VEVENT\r\n"))
            #expect(ics.text.contains("SUMMARY:Maths\\, music\\; and more\r\n"))
            let link = try #require((accepted.object["meeting"] as? [String: Any])?["web_link"] as? String)
            #expect(ics.text.contains("URL:\(link)"))
        }
    }
}
