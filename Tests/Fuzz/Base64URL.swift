import Foundation
import PenPalsCore

// base64url, the encoding of every key, signature, payload and seal on the wire: the
// strict decoder (from bytes and from a String), node ids, and the encoder. Strict means
// one text per byte string: whatever decodes encodes back to the very same text; and it
// decodes exactly as the strict decoder it replaced (ReferenceBase64URL, below).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    let decoded = Base64URL.decode(bytes: UnsafeBufferPointer(start: bytes, count: size))
    require(decoded == ReferenceBase64URL.decode(bytes: UnsafeBufferPointer(start: bytes, count: size)),
            "base64url takes or refuses otherwise than the strict reference decoder")
    if let decoded {
        require(Base64URL.encodedBytes(decoded) == [UInt8](data), "decoded base64url encodes to another text")
    }
    if let text = String(validating: data, as: UTF8.self) {
        require(Base64URL.decode(text) == decoded, "base64url decodes otherwise from a String than from its bytes")
        _ = NodeID(text)
    }
    // Any bytes encode to text that decodes back to them.
    require(Base64URL.decode(Base64URL.encode(data)) == data, "encoded bytes decode otherwise")
    return 0
}

/// The strict decoder PenPalsCore had before it wrapped swift-extras-base64, kept as the
/// oracle: the library's codec with the wire's checks on top must take and refuse
/// exactly what it did.
enum ReferenceBase64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// `decode(_:)` of text given as its UTF-8 bytes (read in place, no `String` made).
    static func decode(bytes input: UnsafeBufferPointer<UInt8>) -> Data? {
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
