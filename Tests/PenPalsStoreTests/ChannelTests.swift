import Foundation
import Testing
import PenPalsCore
@testable import PenPalsStore

@Suite("Outgoing events")
struct OutgoingTests {
    @Test("appendOutgoing numbers each peer's channel 1, 2, 3 independently")
    func numbering() async throws {
        let f = try await StoreFixture()
        let accept = EventBody.accept(invitationID: someInvitation)
        var toB: [Int] = [], toC: [Int] = []
        toB.append(try await f.append(accept, to: f.b).payload.seq)
        toB.append(try await f.append(accept, to: f.b).payload.seq)
        toC.append(try await f.append(accept, to: f.c).payload.seq)
        toB.append(try await f.append(accept, to: f.b).payload.seq)
        toC.append(try await f.append(accept, to: f.c).payload.seq)
        #expect(toB == [1, 2, 3])
        #expect(toC == [1, 2])
        #expect(try await f.peer(f.b).sent == 3)
        #expect(try await f.peer(f.c).sent == 2)
        #expect(try await f.peer(f.b).outboxDepth == 3)
    }

    @Test("the stored envelope is the signed event, with clock {self: seq, peer: applied}, and the peer can open it")
    func storedEnvelope() async throws {
        let f = try await StoreFixture()
        // A applies B's first event, so its next event to B carries applied = 1.
        let first = try f.incoming(.accept(invitationID: someInvitation), from: f.b, seq: 1)
        _ = try await f.store(first)
        let bID = f.b.id, aID = f.a.id
        try await f.store.write { tx in try tx.markApplied(from: bID, seq: 1) }

        let body = EventBody.cancel(invitationID: someInvitation, reason: nil)
        let e1 = try await f.append(body, to: f.b)
        let e2 = try await f.append(body, to: f.b, now: t0.addingTimeInterval(60))
        #expect(e1.payload.clock == [aID.rawValue: 1, bID.rawValue: 1])
        #expect(e2.payload.clock == [aID.rawValue: 2, bID.rawValue: 1])
        #expect(e2.payload.createdAt == "2027-01-15T08:01:00Z")

        let page = try await f.store.read { tx in
            try tx.channelEvents(author: aID, recipient: bID, after: 0, limit: 100, maxBytes: 1 << 20)
        }
        #expect(page.events == [e1.envelope, e2.envelope])

        let cipher = f.cipher(f.b, f.a)
        let opened = try EventSealing.open(page.events[1], localID: bID, cipherFor: { $0 == aID ? cipher : nil })
        #expect(opened.body == body)
        #expect(opened.clock == PairClock(author: aID, peer: bID, sent: 2, applied: 1))
        #expect(opened.payload.seq == 2)
    }

    @Test("appending to an unknown peer throws and changes nothing")
    func unknownPeer() async throws {
        let f = try await StoreFixture()
        let stranger = NodeKey.generate()
        await #expect(throws: StoreError.unknownPeer(stranger.id.rawValue)) {
            try await f.append(.accept(invitationID: someInvitation), to: stranger)
        }
        let (aID, sID) = (f.a.id, stranger.id)
        let page = try await f.store.read { tx in
            try tx.channelEvents(author: aID, recipient: sID, after: 0, limit: 100, maxBytes: 1 << 20)
        }
        #expect(page.events.isEmpty)
        #expect(try await f.store.read { tx in try tx.peer(sID) } == nil)
    }

    @Test("channelEvents returns the events after a seq, in order, and only of that channel")
    func channelEventsAfter() async throws {
        let f = try await StoreFixture()
        for _ in 1...5 { try await f.append(.accept(invitationID: someInvitation), to: f.b) }
        try await f.append(.accept(invitationID: someInvitation), to: f.c)
        let (aID, bID) = (f.a.id, f.b.id)
        let all = try await f.store.read { tx in try tx.channelEvents(author: aID, recipient: bID, after: 0, limit: 1000, maxBytes: 1 << 20) }
        #expect(try seqs(all.events) == [1, 2, 3, 4, 5])
        #expect(all.lastSeq == 5)
        #expect(!all.more)
        let after2 = try await f.store.read { tx in try tx.channelEvents(author: aID, recipient: bID, after: 2, limit: 1000, maxBytes: 1 << 20) }
        #expect(try seqs(after2.events) == [3, 4, 5])
        #expect(after2.lastSeq == 5)
        let none = try await f.store.read { tx in try tx.channelEvents(author: aID, recipient: bID, after: 5, limit: 1000, maxBytes: 1 << 20) }
        #expect(none.events.isEmpty)
        #expect(none.lastSeq == 5)
        #expect(!none.more)
    }

    @Test("channelEvents honours limit and sets more only when events remain")
    func channelEventsLimit() async throws {
        let f = try await StoreFixture()
        for _ in 1...5 { try await f.append(.accept(invitationID: someInvitation), to: f.b) }
        let (aID, bID) = (f.a.id, f.b.id)
        let two = try await f.store.read { tx in try tx.channelEvents(author: aID, recipient: bID, after: 0, limit: 2, maxBytes: 1 << 20) }
        #expect(try seqs(two.events) == [1, 2])
        #expect(two.lastSeq == 2)
        #expect(two.more)
        let next = try await f.store.read { tx in try tx.channelEvents(author: aID, recipient: bID, after: two.lastSeq, limit: 2, maxBytes: 1 << 20) }
        #expect(try seqs(next.events) == [3, 4])
        #expect(next.more)
        let last = try await f.store.read { tx in try tx.channelEvents(author: aID, recipient: bID, after: next.lastSeq, limit: 2, maxBytes: 1 << 20) }
        #expect(try seqs(last.events) == [5])
        #expect(!last.more)
        let exact = try await f.store.read { tx in try tx.channelEvents(author: aID, recipient: bID, after: 0, limit: 5, maxBytes: 1 << 20) }
        #expect(exact.events.count == 5)
        #expect(!exact.more)
    }

    @Test("channelEvents honours maxBytes but always returns at least one event")
    func channelEventsMaxBytes() async throws {
        let f = try await StoreFixture()
        var sizes: [Int] = []
        for _ in 1...4 { sizes.append(try await f.append(.accept(invitationID: someInvitation), to: f.b).envelope.jsonData.count) }
        let (aID, bID) = (f.a.id, f.b.id)
        let budget = sizes[0] + 1 + sizes[1] + 1
        let page = try await f.store.read { tx in try tx.channelEvents(author: aID, recipient: bID, after: 0, limit: 1000, maxBytes: budget) }
        #expect(try seqs(page.events) == [1, 2])
        #expect(page.lastSeq == 2)
        #expect(page.more)
        let tight = try await f.store.read { tx in try tx.channelEvents(author: aID, recipient: bID, after: 0, limit: 1000, maxBytes: budget - 1) }
        #expect(try seqs(tight.events) == [1])
        #expect(tight.more)
        let tiny = try await f.store.read { tx in try tx.channelEvents(author: aID, recipient: bID, after: 0, limit: 1000, maxBytes: 1) }
        #expect(try seqs(tiny.events) == [1])
        #expect(tiny.lastSeq == 1)
        #expect(tiny.more)
    }
}

@Suite("Incoming events")
struct IncomingTests {
    @Test("a new event is stored, the same event again is a duplicate")
    func storeAndDuplicate() async throws {
        let f = try await StoreFixture()
        let event = try f.incoming(.accept(invitationID: someInvitation), from: f.b, seq: 1)
        #expect(try await f.store(event) == .stored)
        #expect(try await f.store(event) == .duplicate)
        let (aID, bID) = (f.a.id, f.b.id)
        let page = try await f.store.read { tx in try tx.channelEvents(author: bID, recipient: aID, after: 0, limit: 10, maxBytes: 1 << 20) }
        #expect(page.events == [event.envelope])
        #expect(try await f.store.read { tx in try tx.highestReceived(from: bID) } == 1)
    }

    @Test("a different event under a used seq is a conflict and changes nothing")
    func conflict() async throws {
        let f = try await StoreFixture()
        let id = UUID()
        let original = try f.incoming(.accept(invitationID: someInvitation), from: f.b, seq: 1, id: id)
        #expect(try await f.store(original) == .stored)

        let other = try f.incoming(.decline(invitationID: someInvitation, reason: "no"), from: f.b, seq: 1)
        // The same event id sealed again (new nonce) is different content, too.
        let resealed = try f.incoming(.accept(invitationID: someInvitation), from: f.b, seq: 1, id: id)
        for refused in [other, resealed] {
            await #expect {
                _ = try await f.store(refused)
            } throws: { error in
                guard case ProtocolError.conflict = error else { return false }
                return true
            }
        }
        let (aID, bID) = (f.a.id, f.b.id)
        let page = try await f.store.read { tx in try tx.channelEvents(author: bID, recipient: aID, after: 0, limit: 10, maxBytes: 1 << 20) }
        #expect(page.events == [original.envelope])
        let next = try await f.store.read { tx in try tx.nextToApply(from: bID) }
        #expect(next?.body == .accept(invitationID: someInvitation))
        #expect(next?.id == id.uuidString.lowercased())
        #expect(try await f.store(original) == .duplicate)
    }

    @Test("events are applied strictly in seq order: a gap holds back what follows")
    func applyInOrder() async throws {
        let f = try await StoreFixture()
        let bID = f.b.id
        let bodies: [EventBody] = [
            .accept(invitationID: someInvitation),
            .decline(invitationID: someInvitation, reason: "two"),
            .cancel(invitationID: someInvitation, reason: "three"),
        ]
        let events = try (1...3).map { try f.incoming(bodies[$0 - 1], from: f.b, seq: $0) }
        _ = try await f.store(events[0])
        _ = try await f.store(events[2])
        #expect(try await f.store.read { tx in try tx.highestReceived(from: bID) } == 3)

        let first = try #require(try await f.store.read { tx in try tx.nextToApply(from: bID) })
        #expect(first.seq == 1)
        #expect(first.author == bID)
        #expect(first.body == bodies[0])
        #expect(first.id == events[0].payload.id)
        #expect(first.createdAt == t0)
        try await f.store.write { tx in try tx.markApplied(from: bID, seq: 1) }
        #expect(try await f.store.read { tx in try tx.nextToApply(from: bID) } == nil)

        _ = try await f.store(events[1])
        let second = try #require(try await f.store.read { tx in try tx.nextToApply(from: bID) })
        #expect(second.seq == 2)
        #expect(second.body == bodies[1])
        try await f.store.write { tx in try tx.markApplied(from: bID, seq: 2) }
        let third = try #require(try await f.store.read { tx in try tx.nextToApply(from: bID) })
        #expect(third.seq == 3)
        #expect(third.body == bodies[2])
        try await f.store.write { tx in try tx.markApplied(from: bID, seq: 3) }
        #expect(try await f.store.read { tx in try tx.nextToApply(from: bID) } == nil)
        #expect(try await f.peer(f.b).applied == 3)
        #expect(try await f.store.read { tx in try tx.highestReceived(from: bID) } == 3)
    }

    @Test("markApplied refuses anything but the next seq")
    func markAppliedOutOfOrder() async throws {
        let f = try await StoreFixture()
        let bID = f.b.id
        for seq in 1...3 { _ = try await f.store(try f.incoming(.accept(invitationID: someInvitation), from: f.b, seq: seq)) }
        await #expect(throws: StoreError.self) { try await f.store.write { tx in try tx.markApplied(from: bID, seq: 2) } }
        await #expect(throws: StoreError.self) { try await f.store.write { tx in try tx.markApplied(from: bID, seq: 0) } }
        #expect(try await f.peer(f.b).applied == 0)
        try await f.store.write { tx in try tx.markApplied(from: bID, seq: 1) }
        await #expect(throws: StoreError.self) { try await f.store.write { tx in try tx.markApplied(from: bID, seq: 1) } }
        await #expect(throws: StoreError.self) { try await f.store.write { tx in try tx.markApplied(from: bID, seq: 3) } }
        #expect(try await f.peer(f.b).applied == 1)
        let stranger = NodeKey.generate().id
        await #expect(throws: StoreError.self) { try await f.store.write { tx in try tx.markApplied(from: stranger, seq: 1) } }
    }

    @Test("each peer's channel has its own order and highest seq")
    func channelsIndependent() async throws {
        let f = try await StoreFixture()
        let (bID, cID) = (f.b.id, f.c.id)
        _ = try await f.store(try f.incoming(.accept(invitationID: someInvitation), from: f.b, seq: 1))
        _ = try await f.store(try f.incoming(.accept(invitationID: someInvitation), from: f.b, seq: 2))
        _ = try await f.store(try f.incoming(.accept(invitationID: someInvitation), from: f.c, seq: 2))
        #expect(try await f.store.read { tx in try tx.highestReceived(from: bID) } == 2)
        #expect(try await f.store.read { tx in try tx.highestReceived(from: cID) } == 2)
        #expect(try await f.store.read { tx in try tx.nextToApply(from: bID) }?.seq == 1)
        #expect(try await f.store.read { tx in try tx.nextToApply(from: cID) } == nil)
        #expect(try await f.store.read { tx in try tx.highestReceived(from: NodeKey.generate().id) } == 0)
    }
}

@Suite("Peers and acknowledgements")
struct PeerTests {
    @Test("recordAcknowledgement never goes backwards and never beyond what was sent")
    func acknowledgement() async throws {
        let f = try await StoreFixture()
        for _ in 1...3 { try await f.append(.accept(invitationID: someInvitation), to: f.b) }
        let bID = f.b.id
        #expect(try await f.store.write { tx in try tx.recordAcknowledgement(from: bID, applied: 2) } == 2)
        #expect(try await f.peer(f.b).outboxDepth == 1)
        #expect(try await f.store.write { tx in try tx.recordAcknowledgement(from: bID, applied: 1) } == 2)
        #expect(try await f.store.write { tx in try tx.recordAcknowledgement(from: bID, applied: 0) } == 2)
        #expect(try await f.peer(f.b).acked == 2)
        #expect(try await f.store.write { tx in try tx.recordAcknowledgement(from: bID, applied: 10) } == 3)
        let state = try await f.peer(f.b)
        #expect(state.acked == 3)
        #expect(state.sent == 3)
        #expect(state.outboxDepth == 0)
        let stranger = NodeKey.generate().id
        await #expect(throws: StoreError.unknownPeer(stranger.rawValue)) {
            try await f.store.write { tx in try tx.recordAcknowledgement(from: stranger, applied: 1) }
        }
    }

    @Test("recordBatch moves applied and acked only forward, acked never beyond what was sent, and notes the contact")
    func batchCounters() async throws {
        let f = try await StoreFixture()
        for _ in 1...3 { try await f.append(.accept(invitationID: someInvitation), to: f.b) }
        let bID = f.b.id
        try await f.store.write { tx in try tx.recordBatch(from: bID, applied: 5, acknowledged: 2, at: t0) }
        var state = try await f.peer(f.b)
        #expect([state.applied, state.acked, state.sent] == [5, 2, 3] as [Int])
        #expect(state.lastContact == Optional(t0.timeIntervalSince1970))
        let later = t0.addingTimeInterval(60)
        try await f.store.write { tx in try tx.recordBatch(from: bID, applied: 4, acknowledged: nil, at: later) }
        state = try await f.peer(f.b)
        #expect([state.applied, state.acked] == [5, 2] as [Int], "nothing goes backwards")
        #expect(state.lastContact == Optional(later.timeIntervalSince1970))
        try await f.store.write { tx in try tx.recordBatch(from: bID, applied: 6, acknowledged: 10, at: later) }
        state = try await f.peer(f.b)
        #expect([state.applied, state.acked] == [6, 3] as [Int], "acked stops at what was sent")
    }

    @Test("upsertPeer updates name and URL but keeps the pair's counters; peers are listed by name")
    func upsertKeepsCounters() async throws {
        let f = try await StoreFixture()
        try await f.append(.accept(invitationID: someInvitation), to: f.b)
        let bID = f.b.id
        try await f.store.write { tx in
            try tx.upsertPeer(id: bID, name: "a-first", displayName: "Renamed", url: "http://example.org/b")
            try tx.recordContact(with: bID, at: t0)
        }
        let state = try await f.peer(f.b)
        #expect(state.name == "a-first")
        #expect(state.displayName == "Renamed")
        #expect(state.url == "http://example.org/b")
        #expect(state.sent == 1)
        #expect(state.lastContact == Optional(t0.timeIntervalSince1970))
        let names = try await f.store.read { tx in try tx.peers().map(\.name) }
        #expect(names == ["a-first", "c-room"])
    }

    @Test("a trusted peer gets its row when a write first needs it; reads see it at zero")
    func trustedPeerRowsAreMadeOnFirstWrite() async throws {
        let f = try await StoreFixture()
        let d = NodeKey.generate()
        let dID = d.id
        f.store.trust { id in
            id == dID ? StoreTransaction.PeerName(id: id, name: "d-room", displayName: "Room D", url: "http://127.0.0.1:7414") : nil
        }
        // A read: the pair at zero, and no row made.
        let read = try await f.store.read { try $0.peer(dID) }
        #expect(read?.name == "d-room" && read?.sent == 0 && read?.applied == 0)
        #expect(try await f.store.read { try $0.peers().map(\.name) } == ["b-room", "c-room"])
        // A stranger stays unknown.
        let stranger = NodeKey.generate().id
        #expect(try await f.store.read { try $0.peer(stranger) } == nil)
        await #expect(throws: StoreError.self) {
            try await f.store.write { tx in try tx.recordAcknowledgement(from: stranger, applied: 1) }
        }
        // A contact is a write: the row is made, with the contact in it.
        try await f.store.write { tx in try tx.recordContact(with: dID, at: t0) }
        #expect(try await f.peer(d).lastContact == t0.timeIntervalSince1970)
        // An event sent makes the row of another trusted peer too, counting from 1.
        let e = NodeKey.generate()
        let eID = e.id
        f.store.trust { id in
            [dID: "d-room", eID: "e-room"][id].map { StoreTransaction.PeerName(id: id, name: $0, displayName: $0, url: "http://127.0.0.1:7415") }
        }
        let sent = try await f.append(.decline(invitationID: someInvitation, reason: nil), to: e)
        #expect(sent.payload.seq == 1)
        #expect(try await f.peer(e).sent == 1)
        // The rows follow the config's names when it changes.
        f.store.trust { id in
            id == dID ? StoreTransaction.PeerName(id: id, name: "d-renamed", displayName: "Room D", url: "http://127.0.0.1:7499") : nil
        }
        try await f.store.write { try $0.syncPeers() }
        #expect(try await f.peer(d).name == "d-renamed")
        #expect(try await f.peer(d).url == "http://127.0.0.1:7499")
        #expect(try await f.peer(d).lastContact == t0.timeIntervalSince1970, "the pair's counters are kept")
    }
}
