import ExtrasBase64
import Foundation

/// base64url without padding (RFC 4648 §5), the encoding of every key, signature
/// and payload on the wire: swift-extras-base64's codec, with the wire's strictness
/// on top (it takes padding and stray bits in the last character; the wire does not).
public enum Base64URL {
    private static let encoding: Base64.EncodingOptions = [.base64UrlAlphabet, .omitPaddingCharacter]
    private static let decoding: Base64.DecodingOptions = [.base64UrlAlphabet, .omitPaddingCharacter]

    public static func encode<D: DataProtocol>(_ bytes: D) -> String {
        if let data = bytes as? Data { return Base64.encodeToString(bytes: data, options: encoding) }
        return Base64.encodeToString(bytes: Array(bytes), options: encoding)
    }

    /// The base64url text of `bytes`, as ASCII bytes (a sync answer's payload is a megabyte).
    public static func encodedBytes<C: ContiguousBytes>(_ bytes: C) -> [UInt8] {
        bytes.withUnsafeBytes { Base64.encodeToBytes(bytes: $0, options: encoding) }
    }

    /// Decodes strict base64url: no padding, no whitespace, only the URL-safe alphabet,
    /// and no stray bits in the last character. Returns nil for anything else.
    public static func decode(_ text: String) -> Data? {
        var text = text
        return text.withUTF8 { decode(bytes: $0) }
    }

    /// `decode(_:)` of text given as its UTF-8 bytes (read in place, no `String` made).
    public static func decode(bytes input: UnsafeBufferPointer<UInt8>) -> Data? {
        let tail = input.count % 4
        guard tail != 1 else { return nil }
        // The library takes `=` in the last four characters only, as padding: none is allowed.
        guard !input.suffix(4).contains(UInt8(ascii: "=")) else { return nil }
        // The last character carries 4 (of 2 characters) or 2 (of 3) bits past the data: zero.
        if tail != 0 {
            guard let last = sextet(input[input.count - 1]), last & (tail == 2 ? 0x0F : 0x03) == 0 else { return nil }
        }
        guard let bytes = try? Base64.decode(bytes: input, options: decoding) else { return nil }
        return Data(bytes)
    }

    /// The 6-bit value of a base64url character.
    private static func sextet(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }
}

/// A node's identity everywhere: base64url of its 32-byte Ed25519 public key (43 characters).
public struct NodeID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public let publicKey: Data

    /// Parses a node id; nil unless it is 43 characters of base64url encoding 32 bytes.
    public init?(_ text: String) {
        guard text.utf8.count == 43, let key = Base64URL.decode(text), key.count == 32 else { return nil }
        self.rawValue = text
        self.publicKey = key
    }

    public init(publicKey: Data) {
        precondition(publicKey.count == 32, "an Ed25519 public key has 32 bytes")
        self.publicKey = publicKey
        self.rawValue = Base64URL.encode(publicKey)
    }

    public var description: String { rawValue }
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }
    public static func == (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = NodeID(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a node id (43 characters of base64url)")
        }
        self = id
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
