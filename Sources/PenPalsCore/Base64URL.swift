import Foundation

/// base64url without padding (RFC 4648 §5), the encoding of every key, signature
/// and payload on the wire.
public enum Base64URL {
    public static func encode<D: DataProtocol>(_ bytes: D) -> String {
        var text = Data(bytes).base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    /// Decodes strict base64url: no padding, no whitespace, only the URL-safe alphabet.
    /// Returns nil for anything else.
    public static func decode(_ text: String) -> Data? {
        guard text.utf8.allSatisfy(isAlphabet), text.utf8.count % 4 != 1 else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        let remainder = standard.utf8.count % 4
        if remainder > 0 { standard += String(repeating: "=", count: 4 - remainder) }
        guard let data = Data(base64Encoded: standard) else { return nil }
        // Reject non-canonical encodings (stray bits in the last character).
        return encode(data) == text ? data : nil
    }

    private static func isAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            return true
        default:
            return false
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
