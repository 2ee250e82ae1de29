import Foundation
import PenPalsCore
@testable import PenPalsNode
import Synchronization
import Testing

/// Stands for HTTP to other hosts: counts what reaches it and reaches nobody.
final class NoNetwork: PeerTransport {
    let posts = Atomic<Int>(0)

    func post(_ body: Data, to peer: Classroom, path: String) async throws -> SignedEnvelope {
        posts.add(1, ordering: .relaxed)
        throw PeerFailure.unreachable("no network in this test")
    }
}

@Suite("Classrooms of one process reach each other without HTTP (contract §7.1)")
struct CoHostedTests {
    @Test func anInvitationAndItsAnswerTravelInProcessAndNoPeriodicSyncRuns() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            let remote = NoNetwork()
            let host = NodeHost(nodes: [network.member("a").key.id, network.member("b").key.id], remote: remote)
            // Both classrooms' background work runs on the host's one set of timers.
            let timers = Task { await host.timers.run() }
            defer { timers.cancel() }
            // A sync interval that would reconcile many times during the test if it applied.
            let interval: Duration = .milliseconds(20)
            try await network.start("a", host: host) { $0.syncInterval = interval }
            try await network.start("b", host: host) { $0.syncInterval = interval }
            let id = try await invite(network, from: "a", to: "b")
            try await eventually("b lists the invitation") { try await !invitations(network, "b").isEmpty }
            let declined = try await network.api("b", "POST", "/api/webex/invitations/\(id)/decline", json: ["reason": "exams"])
            #expect(declined.status == 200)
            try await eventually("a sees the decline") { try await status(of: id, at: "a", in: network) == "declined" }
            #expect(host.transport.handled("/p2p/v1/events") >= 2)

            // Both acknowledged: nothing waits in either outbox.
            for name in ["a", "b"] {
                try await eventually("\(name)'s outbox is empty") {
                    let peers = try await network.api(name, "GET", "/api/status").object["peers"] as? [[String: Any]]
                    return peers?.first?["outbox"] as? Int == 0
                }
            }
            // Ten sync intervals pass without a single sync between them, and nothing went to the network.
            let syncs = host.transport.handled("/p2p/v1/sync")
            try await Task.sleep(for: interval * 10)
            #expect(host.transport.handled("/p2p/v1/sync") == syncs)
            #expect(remote.posts.load(ordering: .relaxed) == 0)

            // A sync asked for on demand still runs, in process.
            let synced = try await network.api("a", "POST", "/api/sync", json: [:])
            #expect(synced.status == 200)
            #expect(host.transport.handled("/p2p/v1/sync") == syncs + 1)
        }
    }

    @Test func aRefusalComesBackAsTheHTTPRouteWouldAnswerIt() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            let host = NodeHost(nodes: [network.member("b").key.id], remote: NoNetwork())
            try await network.start("b", host: host)
            let b = network.member("b").classroom
            let empty = await #expect(throws: PeerFailure.self) {
                _ = try await host.transport.post(Data(#"{"events":[]}"#.utf8), to: b, path: "/p2p/v1/events")
            }
            guard case .refused(let status, let message) = empty else { throw TestFailure("not refused: \(String(describing: empty))") }
            #expect(status == 400)
            #expect(message.contains("event"))
            let garbage = await #expect(throws: PeerFailure.self) {
                _ = try await host.transport.post(Data("not json".utf8), to: b, path: "/p2p/v1/sync")
            }
            guard case .refused(let status, _) = garbage else { throw TestFailure("not refused: \(String(describing: garbage))") }
            #expect(status == 400)
        }
    }
}
