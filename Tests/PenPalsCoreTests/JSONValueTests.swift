import Foundation
import Testing
@testable import PenPalsCore

@Suite("JSONValue: the small reader of the protocol's payloads")
struct JSONValueTests {
    @Test("reads objects, arrays, strings with every escape, integers, booleans and null")
    func readsJSON() throws {
        let text = #" { "a" : [1, -20, 0, true, false, null], "s": "q\"b\\s\/n\n\t\r\b\f\u00e9\ud83d\ude00 ok", "o": {}, "e": [] } "#
        let value = try #require(JSONValue.parse(Data(text.utf8)))
        #expect(value["a"] == .array([.integer(1), .integer(-20), .integer(0), .bool(true), .bool(false), .null]))
        #expect(value["s"]?.string == "q\"b\\s/n\n\t\r\u{8}\u{c}é😀 ok")
        #expect(value["o"] == .object([:]))
        #expect(value["e"] == .array([]))
        #expect(JSONValue.parse(Data("\"plain ünïcode\"".utf8)) == .string("plain ünïcode"))
    }

    @Test("leaves to JSONDecoder what it does not take", arguments: [
        "", "{", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{\"a\":1}x", "01", "1.5", "1e3", "-", "\"\\x\"", "\"a\nb\"",
        "\"\\ud83d\"", "\"\\ude00\"", "\"\\u12\"", "{\"a\":1,\"a\":2}", "tru", "nul", "99999999999999999999",
        "{1:2}", "\"unterminated",
    ])
    func refuses(text: String) {
        #expect(JSONValue.parse(Data(text.utf8)) == nil)
    }

    @Test("refuses invalid UTF-8 inside a string")
    func invalidUTF8() {
        #expect(JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22])) == nil)
    }

    /// The fast reader and `JSONDecoder` agree: same value, or the fast reader declines.
    func agree<T: Decodable & JSONValueReadable & Equatable>(_ type: T.Type, _ text: String,
                                                             sourceLocation: SourceLocation = #_sourceLocation) {
        let data = Data(text.utf8)
        let decoded = try? JSONDecoder().decode(T.self, from: data)
        let fast = JSONValue.parse(data).flatMap { T(json: $0) }
        if let fast {
            #expect(fast == decoded, "\(text)", sourceLocation: sourceLocation)
        }
        // A document with a repeated key is refused, whatever Foundation makes of it.
        let expected = JSONValue.duplicateKey(in: data) == nil ? decoded : nil
        #expect((try? WireJSON.decode(T.self, from: data)) == expected, "\(text)", sourceLocation: sourceLocation)
    }

    @Test("event payloads: the same as JSONDecoder reads, in any key order and spacing, or declined")
    func eventPayloads() throws {
        let nodes = Nodes()
        let cipher = try ChannelCipher(local: nodes.a, peer: nodes.b.id)
        let offer = InvitationOffer(invitationID: UUID(), title: "Q\"uotes \\ and ünïcode 😀", startTime: "2026-12-01T15:00:00Z",
                                    endTime: "2026-12-01T16:00:00Z")
        let event = EventSealing.seal(.invitation(offer), seq: 3, applied: 1, createdAt: december1, key: nodes.a, cipher: cipher)
        let text = String(decoding: event.envelope.payload, as: UTF8.self)
        #expect(try #require(JSONValue.parse(event.envelope.payload).flatMap(EventPayload.init(json:))) == event.payload)
        let a = nodes.a.id.rawValue, b = nodes.b.id.rawValue
        let variants = [
            text,
            " {\n \"v\": 1, \"seq\": 3, \"type\": \"invitation\", \"to\": \"\(b)\", \"from\": \"\(a)\", \"id\": \"x\", \"clock\": {\"\(a)\": 3, \"\(b)\": 1}, \"created_at\": \"2026-12-01T15:00:00Z\", \"sealed\": \"AAAA\", \"extra\": [1, {\"y\": null}] }",
            text.replacingOccurrences(of: "\"seq\":3", with: "\"seq\":\"3\""),
            text.replacingOccurrences(of: "\"seq\":3", with: "\"seq\":3.0"),
            text.replacingOccurrences(of: "\"type\":\"invitation\"", with: "\"type\":\"party\""),
            text.replacingOccurrences(of: "\"from\":\"\(a)\"", with: "\"from\":\"not-a-node\""),
            text.replacingOccurrences(of: "\"v\":1,", with: ""),
            text.replacingOccurrences(of: "\"clock\":{", with: "\"clock\":{\"z\":null,"),
        ]
        for variant in variants { agree(EventPayload.self, variant) }
    }

    @Test("clock messages and sync answers: the same as JSONDecoder reads, or declined")
    func clockMessages() throws {
        let nodes = Nodes()
        let clock = PairClock(author: nodes.a.id, peer: nodes.b.id, sent: 4, applied: 2)
        let envelope = SignedEnvelope.sign(Data("{}".utf8), with: nodes.a)
        let messages = [
            ClockMessage(clock: clock, createdAt: december1),
            ClockMessage(clock: clock, createdAt: december1, version: 1),
            ClockMessage(clock: clock, createdAt: december1, events: [envelope, envelope], more: true),
        ]
        for message in messages {
            let text = String(decoding: message.wireJSON, as: UTF8.self)
            agree(ClockMessage.self, text)
            #expect(try WireJSON.decode(ClockMessage.self, from: message.wireJSON) == message)
            agree(ClockMessage.self, text.replacingOccurrences(of: "{\"clock\"", with: "{\"more\":null,\"v\":null,\"clock\""))
            agree(ClockMessage.self, text.replacingOccurrences(of: "\"sig\":\"", with: "\"sig\":\"*"))
            agree(ClockMessage.self, text.replacingOccurrences(of: "\"more\":true", with: "\"more\":1"))
            agree(ClockMessage.self, text.replacingOccurrences(of: "\"created_at\"", with: "\"created\""))
        }
    }

    @Test("sync answers read straight from their bytes: the same as JSONDecoder reads, or declined")
    func ownAnswerForm() throws {
        let nodes = Nodes()
        let clock = PairClock(author: nodes.a.id, peer: nodes.b.id, sent: 4, applied: 2)
        let envelopes = (0..<3).map { SignedEnvelope.sign(Data("{\"n\":\($0)}".utf8), with: nodes.a) }
        for events in [envelopes, [], [envelopes[0]]] {
            let message = ClockMessage(clock: clock, createdAt: december1, events: events, more: !events.isEmpty)
            // The form a node writes is read by the fast path itself, to the same message.
            #expect(ClockMessage(exactJSON: message.wireJSON) == message)
            let text = String(decoding: message.wireJSON, as: UTF8.self)
            let variants = [
                text.replacingOccurrences(of: "\"sig\":\"", with: "\"sig\":\"*"),
                text.replacingOccurrences(of: "\"sig\":\"", with: "\"extra\":1,\"sig\":\""),
                text.replacingOccurrences(of: "},{", with: "}, {"),
                text.replacingOccurrences(of: "\"payload\":\"", with: "\"payload\":\"A"),
                text.replacingOccurrences(of: "\"payload\":\"", with: "\"payload\":\"\\u0041"),
                text.replacingOccurrences(of: "\"events\":[", with: "\"events\":[1,"),
                text.replacingOccurrences(of: "\"events\":[", with: "\"events\": ["),
                text.replacingOccurrences(of: "],\"from\"", with: ",],\"from\""),
                text.replacingOccurrences(of: "],\"from\"", with: "],\"events\":[],\"from\""),
                text.replacingOccurrences(of: "\"more\":", with: "\"more\":\"x\",\"m\":"),
                text.replacingOccurrences(of: "\"}]", with: "\"}"),
                String(text.dropLast()),
            ]
            for variant in variants {
                let data = Data(variant.utf8)
                let decoded = try? JSONDecoder().decode(ClockMessage.self, from: data)
                if let fast = ClockMessage(exactJSON: data) {
                    #expect(fast == decoded, "\(variant)")
                }
            }
        }
    }

    @Test("an events list inside another member is not taken for a sync answer's events")
    func nestedEventsList() throws {
        // The exact reader looked for the first `,"events":[` anywhere, so a list inside
        // an unknown member was read as the answer's events, while JSONDecoder, and any
        // other reader of the signed page, reads the top-level list (found by reading,
        // pinned by Tests/Fuzz/SyncAnswer).
        let nodes = Nodes()
        let clock = PairClock(author: nodes.a.id, peer: nodes.b.id, sent: 4, applied: 2)
        let envelope = SignedEnvelope.sign(Data("{\"n\":1}".utf8), with: nodes.a)
        let message = ClockMessage(clock: clock, createdAt: december1, events: [], more: false)
        let text = String(decoding: message.wireJSON, as: UTF8.self)
        let nested = text.replacingOccurrences(
            of: "{\"clock\":", with: "{\"a\":{\"x\":1,\"events\":[\(String(decoding: envelope.jsonData, as: UTF8.self))]},\"clock\":")
        let data = Data(nested.utf8)
        #expect(try JSONDecoder().decode(ClockMessage.self, from: data).events == [])
        #expect(ClockMessage(exactJSON: data) == nil)
        #expect(try WireJSON.decode(ClockMessage.self, from: data).events == [])
    }

    /// The exact-form reader and `JSONDecoder` agree: same value, or the exact reader declines.
    func exactAgrees<T: Decodable & ExactJSONReadable & Equatable>(_ type: T.Type, _ text: String,
                                                                   sourceLocation: SourceLocation = #_sourceLocation) {
        let data = Data(text.utf8)
        if let exact = T(exactJSON: data) {
            #expect(exact == (try? JSONDecoder().decode(T.self, from: data)), "\(text)", sourceLocation: sourceLocation)
        }
        let expected = JSONValue.duplicateKey(in: data) == nil ? (try? JSONDecoder().decode(T.self, from: data)) : nil
        #expect((try? WireJSON.decode(T.self, from: data)) == expected, "\(text)", sourceLocation: sourceLocation)
    }

    @Test("payloads and invitations read in a node's exact form: the same as JSONDecoder reads, or declined")
    func exactForms() throws {
        let nodes = Nodes()
        let cipher = try ChannelCipher(local: nodes.a, peer: nodes.b.id)
        let offer = InvitationOffer(invitationID: .timeOrdered(), title: "Math with Class B", startTime: "2026-12-01T15:00:00Z",
                                    endTime: "2026-12-01T16:00:00Z")
        let event = EventSealing.seal(.invitation(offer), seq: 3, applied: 1, createdAt: december1, key: nodes.a, cipher: cipher)
        // What a node writes is read by the exact reader itself.
        #expect(EventPayload(exactJSON: event.envelope.payload) == event.payload)
        #expect(InvitationOffer(exactJSON: WireJSON.encode(offer)) == offer)
        let text = String(decoding: event.envelope.payload, as: UTF8.self)
        let a = nodes.a.id.rawValue, b = nodes.b.id.rawValue
        for variant in [
            text.replacingOccurrences(of: "\"seq\":3", with: "\"seq\":03"),
            text.replacingOccurrences(of: "\"seq\":3", with: "\"seq\":3.0"),
            text.replacingOccurrences(of: "\"seq\":3", with: "\"seq\": 3"),
            text.replacingOccurrences(of: "\"v\":1", with: "\"v\":\"1\""),
            text.replacingOccurrences(of: "\"type\":\"invitation\"", with: "\"type\":\"party\""),
            text.replacingOccurrences(of: "\"from\":\"\(a)\"", with: "\"from\":\"not-a-node\""),
            text.replacingOccurrences(of: "\"clock\":{", with: "\"clock\":{\"\(b)\":9,"),
            text.replacingOccurrences(of: "\"clock\":{", with: "\"clock\":{\"x\":1,"),
            text.replacingOccurrences(of: "\"clock\":{", with: "\"clock\":{\"x\":-1,"),
            text.replacingOccurrences(of: "\"created_at\":\"", with: "\"created_at\":\"\\u0032"),
            text.replacingOccurrences(of: "\"id\":\"", with: "\"id\":\"\t"),
            text + " ",
            text + "x",
            String(text.dropLast()),
        ] {
            exactAgrees(EventPayload.self, variant)
        }
        let offerText = String(decoding: WireJSON.encode(offer), as: UTF8.self)
        for variant in [
            offerText,
            offerText.replacingOccurrences(of: "Math", with: "\\\"Math\\\""),
            offerText.replacingOccurrences(of: "Math", with: "Mäth 😀"),
            offerText.replacingOccurrences(of: offer.invitationID.lowercasedString, with: offer.invitationID.uuidString),
            offerText.replacingOccurrences(of: offer.invitationID.lowercasedString, with: "not-a-uuid"),
            offerText.replacingOccurrences(of: "{\"end_time\"", with: "{\"extra\":1,\"end_time\""),
            offerText.replacingOccurrences(of: ",\"title\"", with: ", \"title\""),
        ] {
            exactAgrees(InvitationOffer.self, variant)
        }
        // An escaped title is declined by the exact reader, and read right by the ordinary one.
        let quoted = InvitationOffer(invitationID: offer.invitationID, title: "Q\"uotes \\", startTime: offer.startTime, endTime: offer.endTime)
        #expect(InvitationOffer(exactJSON: WireJSON.encode(quoted)) == nil)
        #expect(try WireJSON.decode(InvitationOffer.self, from: WireJSON.encode(quoted)) == quoted)
    }

    @Test("UUID.parse takes the canonical form only, to the id UUID(uuidString:) reads")
    func uuidParse() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789abcdefABCDEFg-{} x".unicodeScalars)
        var texts = ["", "0", String(repeating: "0", count: 36), "00000000-0000-0000-0000-00000000000",
                     "00000000-0000-0000-0000-0000000000000", "{00000000-0000-0000-0000-000000000000}",
                     "00000000-0000-0000-0000-00000000000é", "00000000_0000-0000-0000-000000000000"]
        for _ in 0..<500 {
            let id = Bool.random(using: &generator) ? UUID.random() : UUID.timeOrdered()
            texts.append(id.lowercasedString)
            texts.append(id.uuidString)
            var mutated = Array(id.uuidString.unicodeScalars)
            mutated[Int.random(in: 0..<mutated.count, using: &generator)] = alphabet.randomElement(using: &generator)!
            texts.append(String(String.UnicodeScalarView(mutated)))
        }
        // Foundation's reader on Linux (sscanf) also takes spaces and signs inside the
        // digits ("67467CCE-29F0-441D- C0C-…"); this one takes only the canonical form.
        func canonical(_ text: String) -> Bool {
            let characters = Array(text)
            return characters.count == 36 && characters.indices.allSatisfy { index in
                [8, 13, 18, 23].contains(index) ? characters[index] == "-" : characters[index].isHexDigit
            }
        }
        for text in texts {
            let parsed = UUID.parse(text)
            #expect((parsed != nil) == canonical(text), "\(text)")
            if let parsed {
                #expect(parsed == UUID(uuidString: text), "\(text)")
            }
        }
    }

    @Test("bodies: the same as JSONDecoder reads, or declined")
    func bodies() {
        let id = "0b9c5e9a-2a47-4a55-9e55-1c8f1f3ad9a1"
        agree(InvitationOffer.self, #"{"end_time":"2026-12-01T16:00:00Z","invitation_id":"\#(id)","start_time":"2026-12-01T15:00:00Z","title":"Ünïcode \"and\" \\ 😀"}"#)
        agree(InvitationOffer.self, #"{"invitation_id":"\#(id.uppercased())","title":"x","start_time":"a","end_time":"b"}"#)
        agree(InvitationOffer.self, #"{"invitation_id":"not-a-uuid","title":"x","start_time":"a","end_time":"b"}"#)
        agree(InvitationOffer.self, #"{"invitation_id":"\#(id)","title":7,"start_time":"a","end_time":"b"}"#)
        agree(EventBody.Answer.self, #"{"invitation_id":"\#(id)"}"#)
        agree(EventBody.Answer.self, #"{"invitation_id":"\#(id)","reason":null}"#)
        agree(EventBody.Answer.self, #"{"invitation_id":"\#(id)","reason":"expired"}"#)
        agree(EventBody.Answer.self, #"{"invitation_id":"\#(id)","reason":5}"#)
        agree(MeetingNotice.self, #"{"invitation_id":"\#(id)","webex_meeting_id":"m1","web_link":"https://x/y","title":"t","start_time":"a","end_time":"b"}"#)
        agree(MeetingNotice.self, #"{"invitation_id":"\#(id)","web_link":"https://x/y","title":"t","start_time":"a","end_time":"b"}"#)
        agree(MeetingFailure.self, #"{"invitation_id":"\#(id)","code":"c","message":"m","retrying":false}"#)
        agree(MeetingFailure.self, #"{"invitation_id":"\#(id)","code":"c","message":"m","retrying":"no"}"#)
        agree(SignedEnvelope.self, #"{"payload":"e30","sig":"AAAA"}"#)
        agree(SignedEnvelope.self, #"{"payload":"e30","sig":"A"}"#)
    }
}

@Suite("JSONWriter: payloads and bodies written directly")
struct JSONWriterTests {
    static let tricky = "Q\"uotes \\ back/slash\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f} ünïcode 😀 <&>"

    func encoderBytes<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    func same<T: Encodable & JSONValueWritable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let written = WireJSON.encode(value)
        let encoded = try encoderBytes(value)
        #expect(written == encoded, "\(String(decoding: written, as: UTF8.self)) vs \(String(decoding: encoded, as: UTF8.self))",
                sourceLocation: sourceLocation)
    }

    @Test("byte for byte what JSONEncoder writes, for every payload and body")
    func matchesTheEncoder() throws {
        let nodes = Nodes()
        let id = UUID()
        try same(InvitationOffer(invitationID: id, title: Self.tricky, startTime: "2026-12-01T15:00:00Z", endTime: "2026-12-01T16:00:00+09:00"))
        try same(EventBody.Answer(invitationID: id, reason: nil))
        try same(EventBody.Answer(invitationID: id, reason: Self.tricky))
        try same(MeetingNotice(invitationID: id, webexMeetingID: "abc/def", webLink: "https://example.webex.com/meet/x?y=1&z=2",
                               title: Self.tricky, startTime: "s", endTime: "e"))
        try same(MeetingFailure(invitationID: id, code: "webex_quota", message: Self.tricky, retrying: true))
        try same(MeetingFailure(invitationID: id, code: "c", message: "", retrying: false))
        let cipher = try ChannelCipher(local: nodes.a, peer: nodes.b.id)
        let event = EventSealing.seal(.decline(invitationID: id, reason: Self.tricky), seq: 12, applied: 7, createdAt: december1,
                                      key: nodes.a, cipher: cipher)
        try same(event.payload)
        #expect(event.envelope.payload == (try encoderBytes(event.payload)))
        // And what is written reads back.
        for body in [EventBody.invitation(InvitationOffer(invitationID: id, title: Self.tricky, startTime: "2026-12-01T15:00:00Z",
                                                          endTime: "2026-12-01T16:00:00Z")),
                     .accept(invitationID: id), .cancel(invitationID: id, reason: "expired"),
                     .meetingFailed(MeetingFailure(invitationID: id, code: "c", message: Self.tricky, retrying: false))] {
            #expect(try EventBody.decode(type: body.type, from: body.encoded()) == body)
        }
    }
}
