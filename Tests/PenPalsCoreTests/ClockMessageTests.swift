import Foundation
import Testing
@testable import PenPalsCore

@Suite("ClockMessage")
struct ClockMessageTests {
    let nodes = Nodes()

    var clockAB: PairClock { PairClock(author: nodes.a.id, peer: nodes.b.id, sent: 4, applied: 2) }

    func openAtB(_ envelope: SignedEnvelope, expectedAuthor: NodeID? = nil,
                 trusted: Set<NodeID>? = nil) throws(ProtocolError) -> (ClockMessage, PairClock) {
        let trusted = trusted ?? [nodes.a.id]
        return try ClockMessage.open(envelope, expectedAuthor: expectedAuthor, localID: nodes.b.id,
                                     isTrusted: { trusted.contains($0) })
    }

    @Test("a signed acknowledgement opens to the same message and clock")
    func roundTrip() throws {
        let message = ClockMessage(clock: clockAB, createdAt: december1)
        let (opened, clock) = try openAtB(message.signed(with: nodes.a), expectedAuthor: nodes.a.id)
        #expect(opened == message)
        #expect(clock == clockAB)
        #expect(opened.createdAt == "2026-12-01T15:00:00Z")
        #expect(try jsonKeys(WireJSON.encode(message)) == ["from", "to", "clock", "created_at", "features"])
        #expect(opened.features == ["meeting_changes"])
        #expect(opened.announced == [.meetingChanges])
    }

    @Test("the payload written directly is byte for byte what the JSON encoder writes")
    func directEncodingMatchesTheEncoder() {
        let events = (1...3).map { SignedEnvelope.sign(Data("{\"n\":\($0)}".utf8), with: nodes.a) }
        let messages = [
            ClockMessage(clock: clockAB, createdAt: december1),
            ClockMessage(clock: clockAB, createdAt: december1, version: 1),
            ClockMessage(clock: PairClock(author: nodes.b.id, peer: nodes.a.id, sent: 0, applied: 17), createdAt: december1,
                         events: events, more: true),
            ClockMessage(clock: clockAB, createdAt: december1, events: [], more: false),
            ClockMessage(clock: clockAB, createdAt: december1, features: nil),
            ClockMessage(clock: clockAB, createdAt: december1, features: []),
        ]
        for message in messages {
            #expect(message.wireJSON == WireJSON.encode(message), "\(String(decoding: message.wireJSON, as: UTF8.self))")
        }
    }

    @Test("an answer signed from stored envelope JSON is the same payload as one from the envelopes")
    func answerFromStoredJSON() {
        let events = (1...3).map { SignedEnvelope.sign(Data("{\"n\":\($0)}".utf8), with: nodes.a) }
        let message = ClockMessage(clock: clockAB, createdAt: december1, events: events, more: true)
        let answer = message.signedAnswer(eventJSON: events.map(\.jsonData), with: nodes.a)
        #expect(answer.payload == message.wireJSON)
        #expect(answer.isSigned(by: nodes.a.id))
    }

    @Test("a clock of a v1 node announces nothing, and names this node does not know are dropped")
    func features() throws {
        let v1 = ClockMessage(clock: clockAB, createdAt: december1, features: nil)
        #expect(try jsonKeys(WireJSON.encode(v1)) == ["from", "to", "clock", "created_at"])
        #expect(try openAtB(v1.signed(with: nodes.a)).0.announced == nil)
        // A newer node's payload, members in any order, with features this node has never heard of.
        let newer = #"{"to":"\#(nodes.b.id.rawValue)","features":["meeting_changes","telepathy"],"from":"\#(nodes.a.id.rawValue)","#
            + #""clock":{"\#(nodes.a.id.rawValue)":3,"\#(nodes.b.id.rawValue)":1},"created_at":"2026-12-01T15:00:00Z","mood":"sunny"}"#
        let (opened, clock) = try openAtB(SignedEnvelope.sign(Data(newer.utf8), with: nodes.a))
        #expect(opened.announced == [.meetingChanges])
        #expect(clock.sent == 3)
        // Not a list of strings: malformed.
        let bad = newer.replacingOccurrences(of: #"["meeting_changes","telepathy"]"#, with: "[7]")
        #expect(throws: ProtocolError.self) { try openAtB(SignedEnvelope.sign(Data(bad.utf8), with: nodes.a)) }
    }

    @Test("a sync request carries v, an answer carries events and more")
    func requestAndAnswer() throws {
        let request = ClockMessage(clock: clockAB, createdAt: december1, version: 1)
        #expect(try jsonKeys(WireJSON.encode(request)) == ["v", "from", "to", "clock", "created_at", "features"])
        #expect(try openAtB(request.signed(with: nodes.a)).0.v == 1)

        let inner = SignedEnvelope.sign(Data("{}".utf8), with: nodes.a)
        let answer = ClockMessage(clock: clockAB, createdAt: december1, events: [inner, inner], more: true)
        #expect(try jsonKeys(WireJSON.encode(answer)) == ["from", "to", "clock", "created_at", "events", "more", "features"])
        let (opened, _) = try openAtB(answer.signed(with: nodes.a))
        #expect(opened.events == [inner, inner])
        #expect(opened.more == true)
        #expect(opened.v == nil)
    }

    @Test("refuses a message from another author than the expected one")
    func expectedAuthorMismatch() {
        let fromC = ClockMessage(clock: PairClock(author: nodes.c.id, peer: nodes.b.id, sent: 0, applied: 0), createdAt: december1)
        let error = protocolError {
            try openAtB(fromC.signed(with: nodes.c), expectedAuthor: nodes.a.id, trusted: [nodes.a.id, nodes.c.id])
        }
        #expect(error == .untrusted(nodes.c.id))
    }

    @Test("refuses an author that is not trusted")
    func untrustedAuthor() {
        let message = ClockMessage(clock: clockAB, createdAt: december1)
        #expect(protocolError { try openAtB(message.signed(with: nodes.a), trusted: []) } == .untrusted(nodes.a.id))
    }

    @Test("refuses a message addressed to another node")
    func wrongRecipient() {
        let toC = ClockMessage(clock: PairClock(author: nodes.a.id, peer: nodes.c.id, sent: 1, applied: 1), createdAt: december1)
        #expect(protocolError { try openAtB(toC.signed(with: nodes.a)) } == .notAddressedHere)
    }

    @Test("refuses a signature by another key or over other bytes")
    func badSignature() {
        let message = ClockMessage(clock: clockAB, createdAt: december1)
        let bytes = WireJSON.encode(message)
        #expect(protocolError { try openAtB(SignedEnvelope(payload: bytes, signature: nodes.c.sign(bytes))) } == .badSignature)
        var changed = message
        changed.clock[nodes.b.id.rawValue] = 3
        let forged = SignedEnvelope(payload: WireJSON.encode(changed), signature: nodes.a.sign(bytes))
        #expect(protocolError { try openAtB(forged) } == .badSignature)
    }

    @Test("refuses malformed JSON, a bad created_at and a bad clock")
    func malformed() {
        #expect(protocolError { try openAtB(.sign(Data("nope".utf8), with: nodes.a)) }?.kind == .malformed)
        var badTime = ClockMessage(clock: clockAB, createdAt: december1)
        badTime.createdAt = "yesterday"
        #expect(protocolError { try openAtB(badTime.signed(with: nodes.a)) }?.kind == .malformed)
        var badClock = ClockMessage(clock: clockAB, createdAt: december1)
        badClock.clock = [nodes.a.id.rawValue: 4]
        #expect(protocolError { try openAtB(badClock.signed(with: nodes.a)) }?.kind == .badClock)
    }

    @Test("a message from a node to itself is refused as malformed by every reader, not a trap")
    func fromItself() throws {
        // The small reader built its message through a PairClock of `from` and `to`,
        // whose two-entry dictionary trapped on the repeated key: one unsigned sync
        // request stopped the node (found by Tests/Fuzz/SyncAnswer).
        let a = nodes.a.id.rawValue
        let payload = Data(#"{"clock":{"\#(a)":1},"created_at":"2026-12-01T15:00:00Z","from":"\#(a)","to":"\#(a)"}"#.utf8)
        let read = try WireJSON.decode(ClockMessage.self, from: payload)
        #expect(read.from == read.to)
        #expect(try JSONDecoder().decode(ClockMessage.self, from: payload) == read)
        let envelope = SignedEnvelope.sign(payload, with: nodes.a)
        #expect(protocolError {
            try ClockMessage.open(envelope, expectedAuthor: nil, localID: nodes.a.id, isTrusted: { _ in true })
        }?.kind == .malformed)
    }
}
