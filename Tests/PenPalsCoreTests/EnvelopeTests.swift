import Foundation
import Testing
@testable import PenPalsCore

@Suite("SignedEnvelope")
struct EnvelopeTests {
    let key = NodeKey.generate()
    let payload = Data("{\"b\":[true,null],\"a\":1,\"c\":\"x/y\"}".utf8)

    struct Value: Codable, Equatable {
        var a: Int
        var b: [Bool?]
        var c: String
    }

    @Test("the stored form reads back without a decoder; anything else is left to the decoder")
    func ownJSON() throws {
        let envelope = SignedEnvelope.sign(payload, with: key)
        #expect(SignedEnvelope(exactJSON: envelope.jsonData) == envelope)
        let text = String(decoding: envelope.jsonData, as: UTF8.self)
        let others = [
            text.replacingOccurrences(of: "{\"payload\"", with: "{ \"payload\""),
            text.replacingOccurrences(of: "\"sig\":\"", with: "\"sig\":\"*"),
            text.replacingOccurrences(of: "\",\"sig\"", with: "\",\"sign\""),
            text + " ",
            "{\"sig\":\"\(Base64URL.encode(envelope.signature))\",\"payload\":\"\(Base64URL.encode(envelope.payload))\"}",
            "{\"payload\":\"\"}",
            "",
        ]
        for other in others {
            #expect(SignedEnvelope(exactJSON: Data(other.utf8)) == nil, "\(other)")
        }
        // The reordered form is still an envelope, for the decoder.
        #expect(try WireJSON.decode(SignedEnvelope.self, from: Data(others[4].utf8)) == envelope)
    }

    @Test("its JSON is exactly {payload, sig}, both base64url without padding")
    func jsonForm() throws {
        let envelope = SignedEnvelope.sign(payload, with: key)
        for data in [envelope.jsonData, WireJSON.encode(envelope)] {
            let object = try jsonObject(data)
            #expect(Set(object.keys) == ["payload", "sig"])
            let payloadText = try #require(object["payload"] as? String)
            let sigText = try #require(object["sig"] as? String)
            #expect(payloadText == Base64URL.encode(payload))
            #expect(sigText == Base64URL.encode(envelope.signature))
            #expect(!payloadText.contains("=") && !sigText.contains("="))
            #expect(Base64URL.decode(sigText)?.count == 64)
        }
    }

    @Test("decodes back to the same bytes, which still verify")
    func roundTrip() throws {
        let envelope = SignedEnvelope.sign(payload, with: key)
        let decoded = try WireJSON.decode(SignedEnvelope.self, from: envelope.jsonData)
        #expect(decoded == envelope)
        #expect(decoded.payload == payload)
        #expect(decoded.isSigned(by: key.id))
        #expect(!decoded.isSigned(by: NodeKey.generate().id))
    }

    @Test("decoding refuses a payload or sig that is not base64url, or a missing field", arguments: [
        #"{"payload":"eyJhIjoxfQ==","sig":"AAAA"}"#,
        #"{"payload":"ey+hIjoxfQ","sig":"AAAA"}"#,
        #"{"payload":"eyJhIjoxfQ","sig":"AA/A"}"#,
        #"{"payload":"eyJhIjoxfQ","sig":"AAAAA"}"#,
        #"{"payload":"eyJhIjoxfQ"}"#,
        #"{"sig":"AAAA"}"#,
        #"{"payload":1,"sig":"AAAA"}"#,
    ])
    func refusesBadEncoding(json: String) {
        #expect(throws: DecodingError.self) { try WireJSON.decode(SignedEnvelope.self, from: Data(json.utf8)) }
    }

    @Test("the signature covers the exact payload bytes: the same JSON re-spaced no longer verifies")
    func exactBytes() throws {
        let envelope = SignedEnvelope.sign(payload, with: key)
        #expect(envelope.isSigned(by: key.id))
        // The same JSON value in different bytes.
        let respaced = Data("{ \"b\": [true, null], \"a\": 1, \"c\": \"x\\/y\" }".utf8)
        #expect(try WireJSON.decode(Value.self, from: respaced) == WireJSON.decode(Value.self, from: payload))
        #expect(!SignedEnvelope(payload: respaced, signature: envelope.signature).isSigned(by: key.id))
        // Re-serialising the parsed value (sorted keys) changes the bytes too.
        let reserialised = WireJSON.encode(try WireJSON.decode(Value.self, from: payload))
        #expect(reserialised != payload)
        #expect(!SignedEnvelope(payload: reserialised, signature: envelope.signature).isSigned(by: key.id))
    }

    @Test("strings are written whole when they need no escape, escaped otherwise, and read back as they were", arguments: [
        "plain", "", "x/y", "Zoë and 日本 🎒", "say \"hi\"", "back\\slash", "line\nbreak\r\ttab", "bell\u{07}nul\u{00}",
        "\u{1F}\u{20}", "\u{7F} del", "end\\",
    ])
    func strings(text: String) throws {
        let data = WireJSON.encode(["k": text])
        #expect(try JSONDecoder().decode([String: String].self, from: data) == ["k": text])
        let needsEscape = text.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        #expect((String(decoding: data, as: UTF8.self) == "{\"k\":\"\(text)\"}") == !needsEscape)
    }

    @Test("WireJSON writes sorted keys and unescaped slashes")
    func wireJSON() {
        let data = WireJSON.encode(["b": "x/y", "a": "1"])
        #expect(String(decoding: data, as: UTF8.self) == #"{"a":"1","b":"x/y"}"#)
    }
}
