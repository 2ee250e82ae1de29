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
