import Foundation
import PenPalsCore
@testable import PenPalsNode
import PenPalsStore
import Testing
import WebexSandbox

/// The sandbox's meetings carrying the invitation's tag.
func sandboxMeetings(_ network: TestNetwork, for id: String) async -> [SandboxMeeting] {
    await network.sandbox.meetings().filter { $0.integrationTags.contains("penpals-\(id)") }
}

func deletes(_ log: [SandboxRequest]) -> [SandboxRequest] {
    log.filter { $0.method == "DELETE" && $0.path.hasPrefix("/v1/meetings/") }
}

/// The sender's meeting job of an invitation.
func job(_ id: String, at name: String, in network: TestNetwork) async throws -> MeetingJob? {
    let uuid = try #require(UUID(uuidString: id))
    return try await network.node(name).store.read { try $0.job(forInvitation: uuid) }
}

/// Both nodes show the invitation cancelled, the sandbox holds no meeting for it, and neither lists a meeting.
func expectCancelledWithNoMeeting(_ network: TestNetwork, for id: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    try await eventually("both nodes show the invitation cancelled", timeout: .seconds(15)) {
        let atA = try await status(of: id, at: "a", in: network)
        let atB = try await status(of: id, at: "b", in: network)
        return atA == "cancelled" && atB == "cancelled"
    }
    try await eventually("the WebEx meeting is deleted", timeout: .seconds(15)) {
        await sandboxMeetings(network, for: id).isEmpty
    }
    try await eventually("the sender's job has finished deleting") {
        try await job(id, at: "a", in: network)?.state == .deleted
    }
    for name in ["a", "b"] {
        let meetings = try await network.api(name, "GET", "/api/meetings").object["meetings"] as? [[String: Any]]
        #expect(meetings?.isEmpty == true, "\(name) lists no meeting", sourceLocation: sourceLocation)
    }
    try expectConformingRequests(await network.sandbox.requestLog(), sourceLocation: sourceLocation)
}

@Suite("Cancelling after the meeting was scheduled")
struct CancelAfterSchedulingTests {
    @Test func receiverCancellingItsParticipationIsSentToTheSenderWhichDeletesTheMeeting() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.startPair()
            let id = try await network.inviteAndAccept()
            try await expectExactlyOneMeeting(network, for: id)

            let cancelled = try await network.api("b", "POST", "/api/webex/invitations/\(id)/cancel")
            #expect(cancelled.status == 200)
            #expect((cancelled.object["invitation"] as? [String: Any])?["status"] as? String == "cancelled")
            try await expectCancelledWithNoMeeting(network, for: id)
            #expect(deletes(await network.sandbox.requestLog()).map(\.status) == [204], "one DELETE, with the sender's token")

            // Once cancelled, neither side can cancel again.
            for name in ["a", "b"] {
                let again = try await network.api(name, "POST", "/api/webex/invitations/\(id)/cancel")
                #expect(again.status == 409, "\(name): \(again.text)")
                #expect(again.errorCode == "wrong_state")
            }
        }
    }

    @Test func receiverCannotCancelAPendingInvitationButCanDeclineIt() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.startPair()
            let id = try await invite(network, from: "a", to: "b")
            try await eventually("b has the invitation") { try await status(of: id, at: "b", in: network) == "pending" }
            let refused = try await network.api("b", "POST", "/api/webex/invitations/\(id)/cancel")
            #expect(refused.status == 403)
            #expect(refused.errorCode == "not_sender")
            #expect(try await status(of: id, at: "b", in: network) == "pending", "nothing changed")
            #expect(try await network.api("b", "POST", "/api/webex/invitations/\(id)/decline").status == 200)
            try await eventually("a sees the decline") { try await status(of: id, at: "a", in: network) == "declined" }
        }
    }

    @Test func receiverCancellingBeforeTheMeetingExistsStopsTheJob() async throws {
        try await TestNetwork.with(["a", "b"], acceptWait: .milliseconds(300)) { network in
            // a has no WebEx: its job waits, and b cancels meanwhile.
            try await network.start("a", configure: quickRetries)
            try await network.start("b", configure: quickRetries)
            let id = try await network.inviteAndAccept()
            try await eventually("b hears that a must connect WebEx") {
                (try await network.invitation(id, at: "b")?["problem"] as? [String: Any])?["code"] as? String == "webex_not_connected"
            }
            #expect(try await network.api("b", "POST", "/api/webex/invitations/\(id)/cancel").status == 200)
            try await eventually("a sees the cancel") { try await status(of: id, at: "a", in: network) == "cancelled" }
            try await network.connectWebex("a", email: "a-teacher@school-a.example")
            try await eventually("a's job has stopped") { try await job(id, at: "a", in: network)?.state == .failed }
            #expect(creates(await network.sandbox.requestLog()).isEmpty, "no meeting made for a cancelled invitation")
            #expect(try await status(of: id, at: "b", in: network) == "cancelled")
        }
    }

    @Test func cancelWhileTheCreateCallIsUnderWayDeletesTheMeetingWhenWebexAnswers() async throws {
        try await TestNetwork.with(["a", "b"], acceptWait: .milliseconds(200)) { network in
            try await network.startPair()
            try await network.fault(["endpoint": "POST /v1/meetings", "delay_ms": 3000, "count": 1])
            let id = try await network.inviteAndAccept()
            try await eventually("a's create call is under way") {
                let job = try await job(id, at: "a", in: network)
                return job?.state == .creating && job?.attempts == 1
            }
            #expect(try await network.api("a", "POST", "/api/webex/invitations/\(id)/cancel").status == 200)
            try await expectCancelledWithNoMeeting(network, for: id)
            let log = await network.sandbox.requestLog()
            #expect(creates(log).count == 1)
            #expect(deletes(log).map(\.status) == [204])
        }
    }

    @Test func aDeletionThatFailsIsRetriedAndSurvivesARestart() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a", configure: { $0.webexBackoffBase = 60 })
            try await network.start("b")
            try await network.connectWebex("a", email: "a-teacher@school-a.example")
            let id = try await network.inviteAndAccept()
            try await expectExactlyOneMeeting(network, for: id)
            try await network.fault(["endpoint": "DELETE /v1/meetings/{meetingId}", "status": 503, "count": 1])

            #expect(try await network.api("a", "POST", "/api/webex/invitations/\(id)/cancel").status == 200)
            try await eventually("the first DELETE failed and a retry is due in a minute or more") {
                let job = try await job(id, at: "a", in: network)
                return job?.state == .deleting && job?.attempts == 1
            }
            #expect(await sandboxMeetings(network, for: id).count == 1, "still at WebEx")
            // The node restarts with its clock past the retry: the durable job deletes the meeting.
            await network.stop("a")
            try await network.start("a", now: { Date().addingTimeInterval(300) })
            try await expectCancelledWithNoMeeting(network, for: id)
            #expect(deletes(await network.sandbox.requestLog()).map(\.status) == [503, 204])
        }
    }
}
