import Foundation
import PenPalsCore
@testable import PenPalsNode
import PenPalsStore
import Synchronization
import Testing

/// A peer that cannot be reached, counting the attempts.
final class UnreachablePeer: PeerTransport {
    let attempts = Mutex(0)

    func post(_ body: Data, to peer: Classroom, path: String) async throws -> SignedEnvelope {
        attempts.withLock { $0 += 1 }
        throw PeerFailure.unreachable("connection refused")
    }
}

/// A peer whose first attempt hangs until released, then fails; later ones fail at once.
final class SlowlyRefusingPeer: PeerTransport {
    let attempts = Mutex(0)
    let (released, release) = AsyncStream<Void>.makeStream()

    func post(_ body: Data, to peer: Classroom, path: String) async throws -> SignedEnvelope {
        let attempt = attempts.withLock { $0 += 1; return $0 }
        if attempt == 1 {
            for await _ in released { break }
        }
        throw PeerFailure.unreachable("connection refused")
    }
}

@Suite("Delivery backoff")
struct DeliveryBackoffTests {
    /// Node A with its channel to B running over `transport`. Every backoff is 30 s:
    /// within a test, a second attempt can only come from something cutting it short.
    static func channel(to transport: some PeerTransport) async throws -> (ClassroomNode, NodeKey, Task<Void, Never>) {
        let keyB = NodeKey.generate()
        let node = try await ClassroomNode.lone(key: NodeKey.generate(), peer: keyB, transport: transport, jitter: { _ in 30 })
        return (node, keyB, Task { await node.runBackground() })
    }

    @Test func newEventsWaitForTheBackoffButContactFromThePeerEndsIt() async throws {
        let peer = UnreachablePeer()
        let (node, keyB, channel) = try await Self.channel(to: peer)
        defer { channel.cancel() }

        try await eventually("the first attempt failed") { peer.attempts.withLock { $0 } == 1 && !node.isReachable(keyB.id) }
        let start = Date().addingTimeInterval(86_400)
        for index in 0..<10 {
            _ = try await node.invite(classroom: "b", title: "Call \(index)", start: start, end: start.addingTimeInterval(3600))
        }
        // The peer contacts this node (its sync request, say): the wait ends and the outbox goes out at once.
        node.noteContact(with: keyB.id)
        try await eventually("contact started a new attempt") { peer.attempts.withLock { $0 } >= 2 }
        try await eventually("that attempt failed too") { !node.isReachable(keyB.id) }
        #expect(peer.attempts.withLock { $0 } == 2, "ten new events did not each try the peer again")
        let status = try await node.store.read { try $0.peer(keyB.id) }
        #expect(status?.outboxDepth == 10)
    }

    @Test func aFailureOlderThanThePeersContactDoesNotStartABackoff() async throws {
        let peer = SlowlyRefusingPeer()
        let (node, keyB, channel) = try await Self.channel(to: peer)
        defer { channel.cancel() }

        // The first attempt is under way (the peer is still starting) when the peer reaches
        // this node; only then does the attempt fail.
        try await eventually("the first attempt is under way") { peer.attempts.withLock { $0 } == 1 }
        node.noteContact(with: keyB.id)
        peer.release.yield()
        // That failure is older than the contact: tried again at once, not in 30 s.
        // (It takes milliseconds; 3 s is far under the 30 s backoff, and room for a loaded machine.)
        try await eventually("a second attempt followed at once", timeout: .seconds(3)) { peer.attempts.withLock { $0 } == 2 }
        // The second failure is news: it backs off.
        try await eventually("the second attempt's failure counts") { !node.isReachable(keyB.id) }
        #expect(peer.attempts.withLock { $0 } == 2)
    }

    @Test func aPeerThatPullsBySyncingIsNotPushedTheSameEventsMeanwhile() async throws {
        let peer = UnreachablePeer()
        let (node, keyB, channel) = try await Self.channel(to: peer)
        defer { channel.cancel() }
        try await eventually("the first attempt failed") { peer.attempts.withLock { $0 } == 1 && !node.isReachable(keyB.id) }
        let start = Date().addingTimeInterval(86_400)
        for index in 0..<3 {
            _ = try await node.invite(classroom: "b", title: "Call \(index)", start: start, end: start.addingTimeInterval(3600))
        }
        // B is back and syncs, having applied none of the three: it is pulling them.
        func request(applied: Int) -> SignedEnvelope {
            ClockMessage(clock: PairClock(author: keyB.id, peer: node.id, sent: 0, applied: applied), createdAt: Date(), version: 1)
                .signed(with: keyB)
        }
        let page = try await node.syncAnswer(to: request(applied: 0), gzip: false)
        #expect(page.lastSeq == 3)
        let waiting = try #require(node.channels.withLock { $0[keyB.id] })
        #expect(waiting.pushWanted, "the push is still wanted, for what the pull may leave")
        let wait = try #require(waiting.retryAt) - .now
        #expect(wait > .seconds(1) && wait <= ClassroomNode.pullGrace, "the push waits while B pulls: \(wait)")
        #expect(peer.attempts.withLock { $0 } == 1, "nothing pushed meanwhile")

        // Contact that leaves nothing to pull (B has applied everything) ends the wait at once.
        _ = node.markUnreachable(keyB.id, error: PeerFailure.unreachable("down again"))
        _ = try await node.syncAnswer(to: request(applied: 3), gzip: false)
        try await eventually("the channel is tried at once") { peer.attempts.withLock { $0 } >= 2 }
    }
}
