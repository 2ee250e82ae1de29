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
        var generator = SystemRandomNumberGenerator()
        var bytes = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeMutableBytes(of: &bytes) { raw in
            raw[6] = (raw[6] & 0x0F) | 0x40 // version 4
            raw[8] = (raw[8] & 0x3F) | 0x80 // RFC 4122 variant
            return UUID(uuid: (raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7],
                               raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]))
        }
    }
}

extension UUID {
    /// A time-ordered (version 7, RFC 9562) UUID: 48 bits of Unix milliseconds, then
    /// 74 random bits. The ids a node makes (invitations, events) are keys of its
    /// peers' B-trees: ordered by time, a new one lands beside the last instead of
    /// on a random page, so a commit writes a few pages, not one per id, and a long
    /// history stays out of the way of what is new.
    public static func timeOrdered(at date: Date = Date()) -> UUID {
        // Through whole microseconds, so that a time such as x.124 s read as x.12399999 s is still ms 124.
        let milliseconds = UInt64(max(0, (date.timeIntervalSince1970 * 1_000_000).rounded())) / 1000
        var generator = SystemRandomNumberGenerator()
        var bytes = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeMutableBytes(of: &bytes) { raw in
            for index in 0..<6 {
                raw[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index)))
            }
            raw[6] = (raw[6] & 0x0F) | 0x70 // version 7
            raw[8] = (raw[8] & 0x3F) | 0x80 // RFC 9562 variant
            return UUID(uuid: (raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7],
                               raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]))
        }
    }
}
