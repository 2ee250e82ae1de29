import Foundation

extension UUID {
    /// `uuidString.lowercased()`, as ids go on the wire and into the store, written
    /// directly: Foundation formats `uuidString` through `snprintf`, which showed in
    /// the store writer's profile.
    public var lowercasedString: String {
        let hex = Array("0123456789abcdef".utf8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(36)
        withUnsafeBytes(of: uuid) { raw in
            for (index, byte) in raw.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { bytes.append(UInt8(ascii: "-")) }
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension UUID {
    /// A random (version 4) UUID from the system's generator (`getrandom`).
    /// Foundation's `UUID()` on Linux opens and reads `/dev/urandom` for each one,
    /// which showed in the profile of invitations (two new ids each).
    public static func random() -> UUID {
        versioned(0x40) { _ in }
    }

    /// A time-ordered (version 7, RFC 9562) UUID: 48 bits of Unix milliseconds, then
    /// 74 random bits. The ids a node makes (invitations, events) are keys of its
    /// peers' B-trees: ordered by time, a new one lands beside the last instead of
    /// on a random page, so a commit writes a few pages, not one per id, and a long
    /// history stays out of the way of what is new.
    public static func timeOrdered(at date: Date = Date()) -> UUID {
        // Through whole microseconds, so that a time such as x.124 s read as x.12399999 s is still ms 124.
        let milliseconds = UInt64(max(0, (date.timeIntervalSince1970 * 1_000_000).rounded())) / 1000
        return versioned(0x70) { raw in
            for index in 0..<6 {
                raw[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index)))
            }
        }
    }

    /// 128 random bits, `fill` writing what the version puts in place of some, then the
    /// version (`0x40`, `0x70`) and the RFC 9562 variant.
    private static func versioned(_ version: UInt8, fill: (UnsafeMutableRawBufferPointer) -> Void) -> UUID {
        var generator = SystemRandomNumberGenerator()
        var bytes = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeMutableBytes(of: &bytes) { raw in
            fill(raw)
            raw[6] = (raw[6] & 0x0F) | version
            raw[8] = (raw[8] & 0x3F) | 0x80
            return UUID(bytes: UnsafeRawBufferPointer(raw))
        }
    }

    /// The UUID of 16 bytes in order.
    init(bytes raw: UnsafeRawBufferPointer) {
        self.init(uuid: (raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7],
                         raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]))
    }

    /// `UUID(uuidString:)` without its `sscanf` (which showed when opening events), and
    /// strict where that is not: 36 characters, hyphens at 8, 13, 18 and 23, hex digits
    /// of either case elsewhere (Foundation's reader on Linux also takes spaces and
    /// signs among the digits).
    public static func parse(_ text: String) -> UUID? {
        var text = text
        return text.withUTF8 { bytes -> UUID? in
            guard bytes.count == 36 else { return nil }
            var value = (UInt64(0), UInt64(0))
            var digits = 0
            for (index, byte) in bytes.enumerated() {
                if index == 8 || index == 13 || index == 18 || index == 23 {
                    guard byte == UInt8(ascii: "-") else { return nil }
                    continue
                }
                let nibble: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                if digits < 16 {
                    value.0 = value.0 << 4 | UInt64(nibble)
                } else {
                    value.1 = value.1 << 4 | UInt64(nibble)
                }
                digits += 1
            }
            var bigEndian = (value.0.bigEndian, value.1.bigEndian)
            return withUnsafeBytes(of: &bigEndian) { UUID(bytes: $0) }
        }
    }
}

extension KeyedDecodingContainer {
    /// A UUID read with `UUID.parse`, the wire's one strictness, also where JSONDecoder
    /// reads a body: the `Decodable` code Swift makes for this module's types calls this
    /// overload rather than Foundation's `UUID(uuidString:)`, which on Linux also takes
    /// spaces and signs among the digits.
    func decode(_ type: UUID.Type, forKey key: Key) throws -> UUID {
        let text = try decode(String.self, forKey: key)
        guard let id = UUID.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not a UUID of 36 characters, hyphens at 8, 13, 18 and 23")
        }
        return id
    }
}
