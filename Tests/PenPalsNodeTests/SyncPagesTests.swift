import Foundation
import PenPalsCore
@testable import PenPalsNode
import PenPalsStore
import Testing

/// A long catch-up is answered page by page; the node prepares the next page while
/// the peer checks the current one. A prepared page must never be served stale.
@Suite("Sync pages prepared ahead")
struct SyncPagesTests {
    /// Appends `count` invitation events of `from` for `to` straight into `from`'s store.
    func append(_ count: Int, in network: TestNetwork, from: String, to: String) async throws {
        let key = network.member(from).key
        let cipher = try ChannelCipher(local: key, peer: network.member(to).key.id)
        let start = Date().addingTimeInterval(7 * 86_400)
        try await network.node(from).store.write { tx in
            for _ in 0..<count {
                let offer = InvitationOffer(invitationID: UUID(), title: "Catch-up call", startTime: Timestamp.format(start),
                                            endTime: Timestamp.format(start.addingTimeInterval(3_600)))
                _ = try tx.appendOutgoing(.invitation(offer), key: key, cipher: cipher, now: Date())
            }
        }
    }

    @Test func theNextPageIsServedPreparedUnlessThePairChangedMeanwhile() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a")
            try await append(2_500, in: network, from: "a", to: "b")
            let a = network.member("a").key.id
            let b = network.member("b").key
            let nodeA = network.node("a")

            /// Asks as b for the events after `applied`; returns their seqs, `more` and a's `sent` in the answer's clock.
            func page(after applied: Int) async throws -> (seqs: [Int], more: Bool, sent: Int) {
                let request = ClockMessage(clock: PairClock(author: b.id, peer: a, sent: 0, applied: applied), createdAt: Date(), version: 1)
                    .signed(with: b).jsonData
                let answer = try await HTTP.send("POST", network.member("a").url + "/p2p/v1/sync",
                                                 headers: ["Content-Type": "application/json"], body: request)
                guard answer.status == 200 else { throw TestFailure("sync answered \(answer.status): \(answer.text)") }
                let (message, clock) = try ClockMessage.open(try WireJSON.decode(SignedEnvelope.self, from: answer.data),
                                                             expectedAuthor: a, localID: b.id) { $0 == a }
                let seqs = try (message.events ?? []).map { envelope in
                    try WireJSON.decode(EventPayload.self, from: envelope.payload).seq
                }
                return (seqs, message.more == true, clock.sent)
            }
            func prepared() async -> SyncPage? { await nodeA.preparedSync.withLock { $0[b.id] }?.page.value }

            // Pages hold at most 1,000 events or about 900 kB of envelopes, whichever comes first.
            let first = try await page(after: 0)
            let end1 = try #require(first.seqs.last)
            #expect(first.seqs == Array(1...end1) && first.more && first.sent == 2_500)
            #expect(nodeA.preparedSyncHits.load(ordering: .relaxed) == 0)
            #expect(await prepared()?.envelope != nil, "the next page is being prepared")

            let second = try await page(after: end1)
            let end2 = try #require(second.seqs.last)
            #expect(second.seqs == Array(end1 + 1...end2) && second.more && second.sent == 2_500)
            #expect(nodeA.preparedSyncHits.load(ordering: .relaxed) == 1, "served as prepared")

            // a sends one more event after the next page was prepared: that page is stale.
            #expect(await prepared()?.sent == 2_500)
            try await append(1, in: network, from: "a", to: "b")
            let third = try await page(after: end2)
            #expect(third.seqs.first == end2 + 1 && third.sent == 2_501, "the answer knows of the event sent meanwhile")
            #expect(nodeA.preparedSyncHits.load(ordering: .relaxed) == 1, "the stale page was not served")
            var end = try #require(third.seqs.last)
            var more = third.more
            while more {
                let next = try await page(after: end)
                #expect(next.seqs.first == end + 1)
                end = try #require(next.seqs.last)
                more = next.more
            }
            #expect(end == 2_501, "every event up to the one sent meanwhile")

            // A request for another page than the one prepared gets its own page.
            _ = try await page(after: 0)
            let again = try await page(after: 500)
            #expect(again.seqs.first == 501)
            #expect(nodeA.preparedSyncHits.load(ordering: .relaxed) == 1)
        }
    }

    /// b pulls page by page (on start and on demand) while a pushes its outbox to b
    /// at the same time: prepared pages that no longer fit are dropped, and b applies
    /// every event once, in order.
    @Test func aReceiverCatchingUpWhileItsPartnerPushesGetsEveryEventOnce() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a")
            try await append(2_300, in: network, from: "a", to: "b")
            try await network.start("b")
            let reports = try await network.node("b").syncNow(peer: "a")
            let b = network.member("b").key.id
            try await eventually("b applied all 2,300 events of a", timeout: .seconds(25)) {
                try await network.node("b").store.read { try $0.peer(network.member("a").key.id)?.applied } == 2_300
            }
            // a learns it from b's next signed clock: the answer to a push of its that
            // may still be on its way when b has applied the last page.
            try await eventually("a knows b has all 2,300", timeout: .seconds(10)) {
                try await network.node("a").store.read { try $0.peer(b)?.acked } == 2_300
            }
            guard case .success(let report) = reports.first else { throw TestFailure("sync failed: \(reports)") }
            #expect(report.received <= 2_300, "nothing received twice")
            let a = network.member("a").key.id
            let stored = try await network.node("b").store.read { tx in
                try tx.channelEvents(author: a, recipient: b, after: 0, limit: .max, maxBytes: .max)
            }
            #expect(stored.events.count == 2_300 && stored.lastSeq == 2_300 && !stored.more, "each event stored once")
        }
    }

    @Test func aPageWhoseSignatureDoesNotMatchIsRefusedAndNothingOfItStored() async throws {
        let (keyA, keyB, keyC) = (NodeKey.generate(), NodeKey.generate(), NodeKey.generate())
        for signer in [keyC, keyB] {
            let peer = PageServingPeer(author: keyB, recipient: keyA.id, count: 600, signer: signer)
            let node = try await ClassroomNode.lone(key: keyA, peer: keyB, transport: peer)
            let store = node.store
            let results = try await node.syncNow(peer: "b")
            let stored = try await store.read { try $0.channelEvents(author: keyB.id, recipient: keyA.id, after: 0, limit: .max, maxBytes: .max) }
            let applied = try await store.read { try $0.peer(keyB.id)?.applied }
            if signer.id == keyB.id {
                // The same page, signed by its author: every event stored and applied.
                #expect(try results.first?.get().received == 600)
                #expect(stored.events.count == 600 && applied == 600)
            } else {
                guard case .failure(let failure) = results.first else {
                    Issue.record("a page signed by another key was taken: \(results)")
                    continue
                }
                #expect(failure.message.contains("signature"), "\(failure.message)")
                #expect(stored.events.isEmpty && applied == 0, "nothing of a forged page is stored")
            }
        }
    }
}

/// A peer answering a sync request with one page of `count` events of `author`,
/// whose answer `signer` signs (the author, or a forger).
struct PageServingPeer: PeerTransport {
    let answer: SignedEnvelope

    init(author: NodeKey, recipient: NodeID, count: Int, signer: NodeKey) {
        let cipher = try! ChannelCipher(local: author, peer: recipient)
        let start = Date().addingTimeInterval(7 * 86_400)
        let events = (1...count).map { seq in
            let offer = InvitationOffer(invitationID: .timeOrdered(), title: "Call \(seq)", startTime: Timestamp.format(start),
                                        endTime: Timestamp.format(start.addingTimeInterval(3_600)))
            return EventSealing.seal(.invitation(offer), seq: seq, applied: 0, createdAt: Date(), key: author, cipher: cipher).envelope
        }
        let page = ClockMessage(clock: PairClock(author: author.id, peer: recipient, sent: count, applied: 0),
                                createdAt: Date(), events: events, more: false)
        answer = .sign(page.wireJSON, with: signer)
    }

    func post(_ body: Data, to peer: Classroom, path: String) async throws -> SignedEnvelope {
        guard path == "/p2p/v1/sync" else { throw PeerFailure.unreachable("only sync is served here") }
        return answer
    }
}
