import Foundation
import Testing
@testable import PenPalsCore

@Suite("EventSealing")
struct EventSealingTests {
    let nodes = Nodes()
    let invitationID = UUID(uuidString: "3F2504E0-4F89-11D3-9A0C-0305E82C3301")!
    let eventID = UUID(uuidString: "9B2C1D4E-0000-4000-8000-00000000ABCD")!

    var offer: EventBody {
        .invitation(InvitationOffer(invitationID: invitationID, title: "Pen pals", startTime: "2026-12-03T15:00:00Z",
                                    endTime: "2026-12-03T16:00:00Z"))
    }

    /// An event A → B with `seq` 3 and 2 events of B → A applied.
    func sealed(_ body: EventBody? = nil, seq: Int = 3, applied: Int = 2) -> SealedEvent {
        EventSealing.seal(body ?? offer, id: eventID, seq: seq, applied: applied, createdAt: december1,
                          key: nodes.a, cipher: nodes.cipher(nodes.a, nodes.b))
    }

    /// B opening, trusting A only.
    func openAtB(_ envelope: SignedEnvelope) throws(ProtocolError) -> OpenedEvent {
        let cipher = nodes.cipher(nodes.b, nodes.a)
        let a = nodes.a.id
        return try EventSealing.open(envelope, localID: nodes.b.id, cipherFor: { $0 == a ? cipher : nil })
    }

    /// The event's payload changed by `change` and signed again by `signer` (A by default).
    func resigned(_ event: SealedEvent, by signer: NodeKey? = nil, _ change: (inout EventPayload) -> Void) throws -> SignedEnvelope {
        var payload = try WireJSON.decode(EventPayload.self, from: event.envelope.payload)
        change(&payload)
        return .sign(WireJSON.encode(payload), with: signer ?? nodes.a)
    }

    @Test("sealing then opening gives the same body, clock and payload")
    func roundTrip() throws {
        let event = sealed()
        let opened = try openAtB(event.envelope)
        #expect(opened.body == offer)
        #expect(opened.clock == PairClock(author: nodes.a.id, peer: nodes.b.id, sent: 3, applied: 2))
        #expect(opened.payload == event.payload)
        #expect(opened.envelope == event.envelope)
        #expect(opened.payload.seq == 3)
        #expect(opened.payload.type == .invitation)
    }

    @Test("every body type survives sealing and opening", arguments: 0..<6)
    func everyType(index: Int) throws {
        let bodies: [EventBody] = [
            offer,
            .accept(invitationID: invitationID),
            .decline(invitationID: invitationID, reason: "busy"),
            .cancel(invitationID: invitationID, reason: EventBody.expiredReason),
            .meeting(MeetingNotice(invitationID: invitationID, webexMeetingID: "m1", webLink: "https://example.webex.com/j/1",
                                   title: "Pen pals", startTime: "2026-12-03T15:00:00Z", endTime: "2026-12-03T16:00:00Z")),
            .meetingFailed(MeetingFailure(invitationID: invitationID, code: "webex_down", message: "Try later.", retrying: true)),
        ]
        let body = bodies[index]
        let opened = try openAtB(sealed(body, seq: index + 1, applied: 0).envelope)
        #expect(opened.body == body)
        #expect(opened.payload.type == body.type)
    }

    @Test("the payload has the contract's fields, a lowercase UUID id and the author's clock")
    func payloadForm() throws {
        let event = sealed()
        let object = try jsonObject(event.envelope.payload)
        #expect(Set(object.keys) == ["v", "id", "type", "from", "to", "seq", "clock", "created_at", "sealed"])
        #expect(object["v"] as? Int == 1)
        #expect(object["id"] as? String == eventID.uuidString.lowercased())
        #expect(object["type"] as? String == "invitation")
        #expect(object["from"] as? String == nodes.a.id.rawValue)
        #expect(object["to"] as? String == nodes.b.id.rawValue)
        #expect(object["seq"] as? Int == 3)
        #expect(object["clock"] as? [String: Int] == [nodes.a.id.rawValue: 3, nodes.b.id.rawValue: 2])
        #expect(object["created_at"] as? String == "2026-12-01T15:00:00Z")
        let sealedText = try #require(object["sealed"] as? String)
        #expect(try nodes.cipher(nodes.b, nodes.a).open(try #require(Base64URL.decode(sealedText))) == offer.encoded())
        // The envelope carries the exact bytes that were signed.
        #expect(event.envelope.payload == WireJSON.encode(event.payload))
        #expect(event.envelope.isSigned(by: nodes.a.id))
    }

    @Test("a payload that is not event JSON is malformed")
    func malformedJSON() throws {
        for text in ["not json", "{}", "[]", #"{"v":1}"#] {
            let envelope = SignedEnvelope.sign(Data(text.utf8), with: nodes.a)
            #expect(protocolError { try openAtB(envelope) }?.kind == .malformed, "\(text)")
        }
        // A from that is not a node id.
        var object = try jsonObject(sealed().envelope.payload)
        object["from"] = "room-12"
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect(protocolError { try openAtB(.sign(data, with: nodes.a)) }?.kind == .malformed)
    }

    @Test("wrong version, non-UUID id, bad created_at, undecodable sealed or a body of the wrong type are malformed")
    func malformedFields() throws {
        let event = sealed()
        let changes: [(inout EventPayload) -> Void] = [
            { $0.v = 2 },
            { $0.id = "not-a-uuid" },
            // Foundation's reader on Linux takes a space among the digits; an event id may not.
            { $0.id = "67467cce-29f0-441d- c0c-9c7138493f37" },
            { $0.createdAt = "2026-12-01 15:00" },
            { $0.sealed = "not+base64url" },
            { $0.type = .meeting },
        ]
        for change in changes {
            let envelope = try resigned(event, change)
            #expect(protocolError { try openAtB(envelope) }?.kind == .malformed)
        }
    }

    @Test("seq 0 is malformed")
    func seqZero() throws {
        let envelope = try resigned(sealed()) {
            $0.seq = 0
            $0.clock[nodes.a.id.rawValue] = 0
        }
        #expect(protocolError { try openAtB(envelope) }?.kind == .malformed)
    }

    @Test("a tampered payload under the original signature is a bad signature")
    func tampered() throws {
        let event = sealed()
        var payload = event.payload
        payload.seq = 4
        payload.clock[nodes.a.id.rawValue] = 4
        let envelope = SignedEnvelope(payload: WireJSON.encode(payload), signature: event.envelope.signature)
        #expect(protocolError { try openAtB(envelope) } == .badSignature)
        // A single changed byte of the exact payload, too.
        var bytes = event.envelope.payload
        let range = try #require(bytes.range(of: Data(#""seq":3"#.utf8)))
        bytes[range.upperBound - 1] = UInt8(ascii: "4")
        #expect(protocolError { try openAtB(SignedEnvelope(payload: bytes, signature: event.envelope.signature)) } == .badSignature)
    }

    @Test("an event claiming A as author but signed by another key is a bad signature")
    func otherSigner() throws {
        let envelope = try resigned(sealed(), by: nodes.c) { _ in }
        #expect(protocolError { try openAtB(envelope) } == .badSignature)
    }

    @Test("inside a payload its author signed, an event of that author is not verified again; anyone else's is")
    func vouchedByTheCarrier() throws {
        let cipher = nodes.cipher(nodes.b, nodes.a)
        let a = nodes.a.id
        func open(_ envelope: SignedEnvelope, vouchedBy: NodeID) throws(ProtocolError) -> OpenedEvent {
            try EventSealing.open(envelope, localID: nodes.b.id, vouchedBy: vouchedBy, cipherFor: { $0 == a ? cipher : nil })
        }
        // The same bytes as A made them, under a signature that is not A's: the carrier's
        // signature is the one that authenticates them.
        let event = sealed()
        let foreignSignature = try resigned(event, by: nodes.c) { _ in }
        #expect(try open(foreignSignature, vouchedBy: nodes.a.id).payload == event.payload)
        // Carried by someone else, the event's own signature is checked.
        #expect(protocolError { try open(foreignSignature, vouchedBy: nodes.c.id) } == .badSignature)
        #expect(try open(event.envelope, vouchedBy: nodes.c.id).payload == event.payload)
        // Every other check still holds: address, clock and seal.
        let elsewhere = try resigned(event) { $0.to = nodes.c.id; $0.clock = [a.rawValue: 3, nodes.c.id.rawValue: 2] }
        #expect(protocolError { try open(elsewhere, vouchedBy: nodes.a.id) } == .notAddressedHere)
        let forC = EventSealing.seal(offer, seq: 1, applied: 0, createdAt: december1, key: nodes.a, cipher: nodes.cipher(nodes.a, nodes.c))
        let readdressed = try resigned(forC) { $0.to = nodes.b.id; $0.clock = [a.rawValue: 1, nodes.b.id.rawValue: 0] }
        #expect(protocolError { try open(readdressed, vouchedBy: nodes.a.id) } == .cannotUnseal)
    }

    @Test("an author the recipient does not trust is refused as untrusted")
    func untrusted() {
        let event = sealed()
        let error = protocolError {
            try EventSealing.open(event.envelope, localID: nodes.b.id, cipherFor: { _ in nil })
        }
        #expect(error == .untrusted(nodes.a.id))
    }

    @Test("an event addressed to another node is refused")
    func notAddressedHere() throws {
        let envelope = try resigned(sealed()) {
            $0.to = nodes.c.id
            $0.clock = [nodes.a.id.rawValue: 3, nodes.c.id.rawValue: 2]
        }
        #expect(protocolError { try openAtB(envelope) } == .notAddressedHere)
        // Delivering the genuine event to C is refused the same way.
        let original = sealed().envelope
        let cipher = nodes.cipher(nodes.c, nodes.a)
        let error = protocolError { try EventSealing.open(original, localID: nodes.c.id, cipherFor: { _ in cipher }) }
        #expect(error == .notAddressedHere)
    }

    @Test("a clock that breaks the pair's rules is a bad clock")
    func badClock() throws {
        let a = nodes.a.id.rawValue, b = nodes.b.id.rawValue, c = nodes.c.id.rawValue
        let clocks: [[String: Int]] = [
            [a: 3],                     // one entry
            [b: 2],                     // one entry, the other one
            [:],                        // none
            [a: 3, b: 2, c: 0],         // three entries
            [a: 3, c: 2],               // wrong key for the recipient
            [c: 3, b: 2],               // wrong key for the author
            [a: 3, b: -1],              // negative applied
            [a: 2, b: 2],               // clock[from] below seq
            [a: 4, b: 2],               // clock[from] above seq
        ]
        for clock in clocks {
            let envelope = try resigned(sealed()) { $0.clock = clock }
            #expect(protocolError { try openAtB(envelope) }?.kind == .badClock, "\(clock)")
        }
    }

    @Test("a body sealed for another recipient cannot be unsealed")
    func sealedForOther() throws {
        let forC = EventSealing.seal(offer, id: eventID, seq: 3, applied: 2, createdAt: december1,
                                     key: nodes.a, cipher: nodes.cipher(nodes.a, nodes.c))
        let envelope = try resigned(forC) {
            $0.to = nodes.b.id
            $0.clock = [nodes.a.id.rawValue: 3, nodes.b.id.rawValue: 2]
        }
        #expect(protocolError { try openAtB(envelope) } == .cannotUnseal)
        // A sealed field whose box was damaged is refused the same way.
        let damaged = try resigned(sealed()) { payload in
            var box = Base64URL.decode(payload.sealed)!
            box[30] ^= 0x01
            payload.sealed = Base64URL.encode(box)
        }
        #expect(protocolError { try openAtB(damaged) } == .cannotUnseal)
    }

    @Test("the checks run in the contract's order: signature before trust, trust before address")
    func checkOrder() throws {
        // Signed by C, claiming A, addressed to C: the signature is checked first.
        let envelope = try resigned(sealed(), by: nodes.c) { $0.to = nodes.c.id }
        #expect(protocolError { try openAtB(envelope) } == .badSignature)
        // Untrusted and addressed elsewhere: trust is checked first.
        let elsewhere = try resigned(sealed()) { $0.to = nodes.c.id }
        #expect(protocolError {
            try EventSealing.open(elsewhere, localID: nodes.b.id, cipherFor: { _ in nil })
        } == .untrusted(nodes.a.id))
    }
}
