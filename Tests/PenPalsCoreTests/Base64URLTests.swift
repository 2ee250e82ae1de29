import Foundation
import Testing
@testable import PenPalsCore

@Suite("Base64URL")
struct Base64URLTests {
    @Test("encodes the RFC 4648 vectors without padding", arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func rfcVectors(plain: String, encoded: String) {
        #expect(Base64URL.encode(Data(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Data(plain.utf8))
    }

    @Test("uses - and _ for the bytes that standard base64 writes as + and /")
    func urlSafeAlphabet() {
        #expect(Base64URL.encode([0xfb, 0xff] as [UInt8]) == "-_8")
        #expect(Base64URL.decode("-_8") == Data([0xfb, 0xff]))
        #expect(Base64URL.encode([0xfb, 0xef, 0xbe] as [UInt8]) == "----")
        #expect(Base64URL.encode([0xff, 0xff, 0xff] as [UInt8]) == "____")
    }

    @Test("round-trips random bytes of every length from 0 to 100")
    func roundTrip() {
        for count in 0...100 {
            let bytes = SecureRandom.bytes(count)
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("="))
            #expect(text.utf8.count == (count * 4 + 2) / 3)
            #expect(Base64URL.decode(text) == bytes, "length \(count)")
        }
    }

    @Test("agrees with Foundation's base64 (URL alphabet, no padding) up to a megabyte")
    func agreesWithFoundation() {
        for count in Array(0...64) + [1_000, 65_537, 1_000_000] {
            let bytes = SecureRandom.bytes(count)
            let expected = bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == expected, "length \(count)")
            #expect(Base64URL.encodedBytes(bytes) == Array(expected.utf8), "length \(count)")
        }
    }

    @Test("refuses padding, the standard alphabet, whitespace and other characters", arguments: [
        "Zg==", "Zg=", "Zm8=", "=", "ab+c", "ab/c", "+/+/", " Zm9v", "Zm9v ", "Zm 9v", "Zm9v\n", "\tZm9v", "Zm9vé", "Zm9v.",
    ])
    func refusesForeignCharacters(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test("refuses non-canonical trailing bits", arguments: ["Zh", "Zn", "Zm9", "Zm-", "-_9", "AB"])
    func refusesNonCanonical(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test("refuses a length that is 1 more than a multiple of 4", arguments: ["A", "Zm9vY", "Zm9vYmFyA"])
    func refusesImpossibleLength(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }
}

@Suite("NodeID")
struct NodeIDTests {
    @Test("accepts the 43-character id of a 32-byte key")
    func acceptsNodeID() throws {
        let key = NodeKey.generate()
        #expect(key.id.rawValue.utf8.count == 43)
        let parsed = try #require(NodeID(key.id.rawValue))
        #expect(parsed == key.id)
        #expect(parsed.publicKey == key.id.publicKey)
        #expect(parsed.publicKey.count == 32)
        #expect(NodeID(publicKey: Data(repeating: 7, count: 32)).rawValue == Base64URL.encode(Data(repeating: 7, count: 32)))
    }

    @Test("refuses 42 and 44 characters, padding, foreign characters and stray bits")
    func refusesOthers() {
        let id = NodeKey.generate().id.rawValue
        #expect(NodeID(String(id.dropLast())) == nil)
        #expect(NodeID(id + "A") == nil)
        #expect(NodeID(id + "=") == nil)
        #expect(NodeID(Base64URL.encode(Data(count: 33))) == nil)  // 44 characters
        #expect(NodeID(Base64URL.encode(Data(count: 31))) == nil)  // 42 characters
        #expect(NodeID("") == nil)
        #expect(NodeID(String(repeating: "+", count: 43)) == nil)
        // The last character of 43 carries 4 bits and 2 zero bits: "B" sets a stray bit.
        let zeros = Base64URL.encode(Data(count: 32))
        #expect(NodeID(zeros) != nil)
        #expect(NodeID(String(zeros.dropLast()) + "B") == nil)
    }

    @Test("decodes from JSON as a string and refuses a string that is not an id")
    func codable() throws {
        let id = NodeKey.generate().id
        let data = WireJSON.encode([id])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(id.rawValue)\"]")
        #expect(try WireJSON.decode([NodeID].self, from: data) == [id])
        #expect(throws: DecodingError.self) { try WireJSON.decode([NodeID].self, from: Data("[\"room-12\"]".utf8)) }
    }
}

@Suite("SecretCompare")
struct SecretCompareTests {
    @Test("equal compares the whole string")
    func equal() {
        #expect(SecretCompare.equal("token-abc", "token-abc"))
        #expect(!SecretCompare.equal("token-abc", "token-abd"))
        #expect(!SecretCompare.equal("token-abc", "token-ab"))
        #expect(!SecretCompare.equal("", "x"))
        #expect(SecretCompare.equal("", ""))
    }

    @Test("derive is stable, depends on the purpose and never is the secret itself")
    func derive() {
        let one = SecretCompare.derive("secret", purpose: "session")
        #expect(one == SecretCompare.derive("secret", purpose: "session"))
        #expect(one != SecretCompare.derive("secret", purpose: "other"))
        #expect(one != SecretCompare.derive("secret2", purpose: "session"))
        #expect(one != "secret")
        #expect(Base64URL.decode(one)?.count == 32)
    }

    @Test("random tokens are base64url of the asked entropy and differ")
    func tokens() {
        let token = SecureRandom.token()
        #expect(Base64URL.decode(token)?.count == 32)
        #expect(token != SecureRandom.token())
        #expect(Base64URL.decode(SecureRandom.token(byteCount: 16))?.count == 16)
    }
}
