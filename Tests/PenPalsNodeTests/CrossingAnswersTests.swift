import Foundation
import PenPalsCore
@testable import PenPalsNode
import Synchronization
import Testing

/// The wall clock moved on by a test-controlled offset, shared by the nodes of a test.
final class TestClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)
    func advance(by seconds: TimeInterval) { offset.withLock { $0 += seconds } }
    var now: @Sendable () -> Date { { [self] in Date().addingTimeInterval(offset.withLock { $0 }) } }
}

/// The contract's ordering rules when answers cross, with real nodes over HTTP.
@Suite("Crossing answers")
struct CrossingAnswersTests {
    @Test func acceptCrossingACancelEndsCancelledOnBothWithNoMeeting() async throws {
        try await TestNetwork.with(["a", "b"], acceptWait: .milliseconds(200)) { network in
            try await network.start("a")
            try await network.start("b")
            try await network.connectWebex("a", email: "a@school.example")
            let id = try await invite(network, from: "a", to: "b")
            try await eventually("b has the invitation") { try await status(of: id, at: "b", in: network) == "pending" }
            // Each side acts while the other is away, so neither knows of the other's answer.
            await network.stop("b")
            #expect(try await network.api("a", "POST", "/api/webex/invitations/\(id)/cancel").status == 200)
            await network.stop("a")
            try await network.start("b")
            #expect(try await network.api("b", "POST", "/api/webex/invitations/\(id)/accept").status == 202)
            try await network.start("a")
            try await eventually("b adopts the cancel") { try await status(of: id, at: "b", in: network) == "cancelled" }
            try await eventually("a's accept is applied") {
                let peers = try await network.api("a", "GET", "/api/status").object["peers"] as? [[String: Any]]
                return peers?.first?["applied"] as? Int == 1
            }
            #expect(try await status(of: id, at: "a", in: network) == "cancelled")
            _ = try await network.node("a").runDueJobs()
            #expect(await network.sandbox.meetings().isEmpty)
        }
    }

    @Test func acceptReachingTheSenderAfterTheStartEndsExpiredOnBothWithNoMeeting() async throws {
        let clock = TestClock()
        try await TestNetwork.with(["a", "b"], acceptWait: .milliseconds(200)) { network in
            try await network.start("a", now: clock.now)
            try await network.start("b", now: clock.now)
            try await network.connectWebex("a", email: "a@school.example")
            let start = Date().addingTimeInterval(3600)
            let answer = try await network.api("a", "POST", "/api/webex/meeting", json: [
                "classroom_id": "b", "title": "Soon", "start_time": Timestamp.format(start),
                "end_time": Timestamp.format(start.addingTimeInterval(3600)),
            ])
            let id = try #require((answer.object["invitation"] as? [String: Any])?["id"] as? String)
            try await eventually("b has the invitation") { try await status(of: id, at: "b", in: network) == "pending" }
            await network.stop("a")
            #expect(try await network.api("b", "POST", "/api/webex/invitations/\(id)/accept").status == 202)
            clock.advance(by: 5400)  // past the start, before the end
            try await network.start("a", now: clock.now)
            try await eventually("b ends expired") { try await status(of: id, at: "b", in: network) == "expired" }
            #expect(try await status(of: id, at: "a", in: network) == "expired")
            _ = try await network.node("a").runDueJobs()
            #expect(await network.sandbox.meetings().isEmpty)
        }
    }

    @Test func aPendingInvitationPastItsStartIsExpiredOnBothNodes() async throws {
        let clock = TestClock()
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a", now: clock.now)
            try await network.start("b", now: clock.now)
            let id = try await invite(network, from: "a", to: "b")
            try await eventually("b has the invitation") { try await status(of: id, at: "b", in: network) == "pending" }
            clock.advance(by: 2 * 86_400)
            #expect(try await status(of: id, at: "a", in: network) == "expired")
            #expect(try await status(of: id, at: "b", in: network) == "expired")
            #expect(try await invitations(network, "b").isEmpty)
            let late = try await network.api("b", "POST", "/api/webex/invitations/\(id)/accept")
            #expect(late.status == 409)
        }
    }
}
