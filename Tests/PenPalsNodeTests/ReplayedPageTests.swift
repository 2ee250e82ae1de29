import Foundation
import PenPalsCore
@testable import PenPalsNode
import Synchronization
import Testing

/// A peer that answers every sync request with one and the same signed page that
/// says more follows (a replay, or a buggy peer), and acknowledges pushes.
final class ReplayingPeer: PeerTransport {
    let key: NodeKey
    let recipient: NodeID
    let page: SignedEnvelope
    let syncs = Mutex(0)
    let pushes = Mutex(0)

    init(key: NodeKey, to recipient: NodeID) throws {
        self.key = key
        self.recipient = recipient
        let event = try BadInputTests.event(BadInputTests.offer("From the replaying peer"), seq: 1, author: key, recipient: recipient)
        page = ClockMessage(clock: PairClock(author: key.id, peer: recipient, sent: 1, applied: 0), createdAt: Date(), events: [],
                            more: true).signedAnswer(eventJSON: [event.jsonData], with: key)
    }

    func post(_ body: Data, to peer: Classroom, path: String) async throws -> SignedEnvelope {
        guard path == "/p2p/v1/events" else {
            syncs.withLock { $0 += 1 }
            return page
        }
        pushes.withLock { $0 += 1 }
        let batch = try WireJSON.decode(Batch.self, from: body)
        let highest = try batch.events.map { try WireJSON.decode(EventPayload.self, from: $0.payload).seq }.max() ?? 0
        return ClockMessage(clock: PairClock(author: key.id, peer: recipient, sent: 1, applied: highest), createdAt: Date()).signed(with: key)
    }
}

@Suite("A replayed sync page")
struct ReplayedPageTests {
    @Test func aPageThatDoesNotAdvanceEndsTheSyncAndTheOutboxIsStillPushed() async throws {
        let keyA = NodeKey.generate(), keyB = NodeKey.generate()
        let peer = try ReplayingPeer(key: keyB, to: keyA.id)
        let node = try await ClassroomNode.lone(key: keyA, peer: keyB, transport: peer, jitter: { _ in 30 })
        let start = Date().addingTimeInterval(86_400)
        _ = try await node.invite(classroom: "b", title: "To the replaying peer", start: start, end: start.addingTimeInterval(3600))

        // The first page is taken (its event 1 is new); the same page again is not the
        // page after it, so the sync fails instead of asking again without end.
        let results = try await node.syncNow(peer: "b")
        guard case .failure(let failure) = results.first else { throw TestFailure("the replayed page was taken: \(results)") }
        #expect(peer.syncs.withLock { $0 } == 2, "asked twice: the first page and its replay")
        #expect(failure.message.contains("seq") || failure.message.contains("page"), "\(failure.message)")
        let received = try await node.store.read { try $0.peer(keyB.id)?.applied }
        #expect(received == 1, "the page's one event applied once")

        // The channel goes on to push its own outbox.
        let channel = Task { await node.runBackground() }
        defer { channel.cancel() }
        try await eventually("the outbox is pushed", timeout: .seconds(3)) { peer.pushes.withLock { $0 } >= 1 }
        try await eventually("and acknowledged", timeout: .seconds(3)) {
            try await node.store.read { try $0.peer(keyB.id)?.acked } == 1
        }
        #expect(peer.syncs.withLock { $0 } <= 4, "no endless asking: \(peer.syncs.withLock { $0 })")
    }
}
