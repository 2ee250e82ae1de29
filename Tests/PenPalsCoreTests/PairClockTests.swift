import Foundation
import Testing
@testable import PenPalsCore

@Suite("PairClock")
struct PairClockTests {
    let nodes = Nodes()

    @Test("its wire form has exactly the author's and the peer's entries, zeros included")
    func wireForm() throws {
        let clock = PairClock(author: nodes.a.id, peer: nodes.b.id, sent: 5, applied: 0)
        #expect(clock.wire == [nodes.a.id.rawValue: 5, nodes.b.id.rawValue: 0])
        #expect(clock.wire.count == 2)
        let json = WireJSON.encode(clock.wire)
        #expect(try jsonKeys(json) == [nodes.a.id.rawValue, nodes.b.id.rawValue])
    }

    @Test("reading the wire form gives back the same clock")
    func readWire() throws {
        let clock = PairClock(author: nodes.a.id, peer: nodes.b.id, sent: 7, applied: 3)
        #expect(try PairClock(wire: clock.wire, author: nodes.a.id, peer: nodes.b.id) == clock)
        let zero = PairClock(author: nodes.a.id, peer: nodes.b.id, sent: 0, applied: 0)
        #expect(try PairClock(wire: zero.wire, author: nodes.a.id, peer: nodes.b.id) == zero)
        // Read from the other side's point of view, the entries swap roles.
        let swapped = try PairClock(wire: clock.wire, author: nodes.b.id, peer: nodes.a.id)
        #expect(swapped.sent == 3 && swapped.applied == 7)
    }

    @Test("refuses anything but exactly the pair's two non-negative entries")
    func refusesBadWire() {
        let a = nodes.a.id.rawValue, b = nodes.b.id.rawValue, c = nodes.c.id.rawValue
        let bad: [[String: Int]] = [[:], [a: 1], [b: 1], [a: 1, b: 0, c: 0], [a: 1, c: 0], [c: 1, b: 0],
                                    [a: -1, b: 0], [a: 0, b: -1]]
        for wire in bad {
            let error = protocolError { try PairClock(wire: wire, author: nodes.a.id, peer: nodes.b.id) }
            #expect(error?.kind == .badClock, "\(wire)")
        }
    }

    @Test("a clock between a node and itself is malformed")
    func samePair() {
        let a = nodes.a.id
        #expect(protocolError { try PairClock(wire: [a.rawValue: 1], author: a, peer: a) }?.kind == .malformed)
    }

    @Test("missingAtAuthor counts the local events the author has not applied")
    func missingAtAuthor() {
        let clock = PairClock(author: nodes.b.id, peer: nodes.a.id, sent: 0, applied: 3)
        #expect(clock.missingAtAuthor(localSent: 7) == 4)
        #expect(clock.missingAtAuthor(localSent: 3) == 0)
        #expect(clock.missingAtAuthor(localSent: 2) == 0)
        #expect(clock.missingAtAuthor(localSent: 0) == 0)
    }

    @Test("missingLocally counts the author's events not applied here")
    func missingLocally() {
        let clock = PairClock(author: nodes.b.id, peer: nodes.a.id, sent: 5, applied: 0)
        #expect(clock.missingLocally(localApplied: 2) == 3)
        #expect(clock.missingLocally(localApplied: 5) == 0)
        #expect(clock.missingLocally(localApplied: 6) == 0)
        #expect(clock.missingLocally(localApplied: 0) == 5)
    }

    @Test("hadSeen and acknowledges hold exactly up to the applied count")
    func seenAndAcknowledged() {
        let clock = PairClock(author: nodes.b.id, peer: nodes.a.id, sent: 9, applied: 4)
        for seq in 1...4 {
            #expect(clock.hadSeen(seq: seq))
            #expect(clock.acknowledges(seq: seq))
        }
        for seq in 5...9 {
            #expect(!clock.hadSeen(seq: seq))
            #expect(!clock.acknowledges(seq: seq))
        }
    }

    @Test("an accept whose clock[sender] is below the cancel's seq was made without knowing of the cancel")
    func acceptVersusCancel() throws {
        // The sender S sent the invitation (seq 1), then the cancel (seq 2), to the receiver R.
        let sender = nodes.a.id, receiver = nodes.b.id
        let cancelSeq = 2
        // R accepted having applied only the invitation: clock[S] = 1.
        let unaware = try PairClock(wire: [receiver.rawValue: 1, sender.rawValue: 1], author: receiver, peer: sender)
        #expect(!unaware.hadSeen(seq: cancelSeq))
        // R accepted after applying the cancel too: clock[S] = 2 (a misbehaving peer, but the rule tells).
        let aware = try PairClock(wire: [receiver.rawValue: 1, sender.rawValue: 2], author: receiver, peer: sender)
        #expect(aware.hadSeen(seq: cancelSeq))
        // The accept's own seq plays no role in the decision.
        let later = try PairClock(wire: [receiver.rawValue: 9, sender.rawValue: 1], author: receiver, peer: sender)
        #expect(!later.hadSeen(seq: cancelSeq))
    }
}
