import Foundation

/// base64url without padding (RFC 4648 §5), the encoding of every key, signature
/// and payload on the wire.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    public static func encode<D: DataProtocol>(_ bytes: D) -> String {
        let output: [UInt8] = if let data = bytes as? Data { encodedBytes(data) } else { encodedBytes(Array(bytes)) }
        // Only ASCII is written: no validation needed.
        return String(unsafeUninitializedCapacity: output.count) { buffer in
            _ = buffer.initialize(fromContentsOf: output)
            return output.count
        }
    }

    /// The base64url text of `bytes`, as ASCII bytes: written in place into a buffer
    /// of the final size (a sync answer's payload is a megabyte).
    public static func encodedBytes<C: ContiguousBytes>(_ bytes: C) -> [UInt8] {
        bytes.withUnsafeBytes { input in
            let count = (input.count * 4 + 2) / 3
            return alphabet.withUnsafeBufferPointer { alphabet in
                [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                    var index = 0
                    var out = 0
                    while index + 3 <= input.count {
                        let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                        buffer[out] = alphabet[Int(chunk >> 18 & 63)]
                        buffer[out + 1] = alphabet[Int(chunk >> 12 & 63)]
                        buffer[out + 2] = alphabet[Int(chunk >> 6 & 63)]
                        buffer[out + 3] = alphabet[Int(chunk & 63)]
                        index += 3
                        out += 4
                    }
                    switch input.count - index {
                    case 1:
                        let chunk = UInt32(input[index]) << 16
                        buffer[out] = alphabet[Int(chunk >> 18 & 63)]
                        buffer[out + 1] = alphabet[Int(chunk >> 12 & 63)]
                        out += 2
                    case 2:
                        let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
                        buffer[out] = alphabet[Int(chunk >> 18 & 63)]
                        buffer[out + 1] = alphabet[Int(chunk >> 12 & 63)]
                        buffer[out + 2] = alphabet[Int(chunk >> 6 & 63)]
                        out += 3
                    default:
                        break
                    }
                    initialized = out
                }
            }
        }
    }

    /// Decodes strict base64url: no padding, no whitespace, only the URL-safe alphabet,
    /// and no stray bits in the last character. Returns nil for anything else.
    public static func decode(_ text: String) -> Data? {
        var text = text
        return text.withUTF8 { decode(bytes: $0) }
    }

    /// `decode(_:)` of text given as its UTF-8 bytes (read in place, no `String` made).
    public static func decode(bytes input: UnsafeBufferPointer<UInt8>) -> Data? {
        guard input.count % 4 != 1 else { return nil }
        let whole = input.count / 4
        let tail = input.count % 4
        let count = whole * 3 + (tail == 0 ? 0 : tail - 1)
        // Written in place into a buffer of the final size: appending byte by byte to
        // Data was the top of the ingest profile.
        var valid = true
        let output = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var out = 0
            var index = 0
            var bad: UInt8 = 0
            while index + 4 <= input.count {
                let a = values[Int(input[index])], b = values[Int(input[index + 1])]
                let c = values[Int(input[index + 2])], d = values[Int(input[index + 3])]
                bad |= (a | b | c | d) & 0x80
                let chunk = UInt32(a & 0x3F) << 18 | UInt32(b & 0x3F) << 12 | UInt32(c & 0x3F) << 6 | UInt32(d & 0x3F)
                buffer[out] = UInt8(truncatingIfNeeded: chunk >> 16)
                buffer[out + 1] = UInt8(truncatingIfNeeded: chunk >> 8)
                buffer[out + 2] = UInt8(truncatingIfNeeded: chunk)
                out += 3
                index += 4
            }
            switch tail {
            case 2:
                let a = values[Int(input[index])], b = values[Int(input[index + 1])]
                bad |= (a | b) & 0x80
                if b & 0x0F != 0 { bad |= 0x80 }
                buffer[out] = UInt8(truncatingIfNeeded: (a & 0x3F) << 2 | (b & 0x3F) >> 4)
                out += 1
            case 3:
                let a = values[Int(input[index])], b = values[Int(input[index + 1])], c = values[Int(input[index + 2])]
                bad |= (a | b | c) & 0x80
                if c & 0x03 != 0 { bad |= 0x80 }
                let chunk = UInt32(a & 0x3F) << 18 | UInt32(b & 0x3F) << 12 | UInt32(c & 0x3F) << 6
                buffer[out] = UInt8(truncatingIfNeeded: chunk >> 16)
                buffer[out + 1] = UInt8(truncatingIfNeeded: chunk >> 8)
                out += 2
            default:
                break
            }
            initialized = out
            valid = bad == 0
        }
        return valid ? Data(output) : nil
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
