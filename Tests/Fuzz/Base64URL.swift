import Foundation
import PenPalsCore

// base64url, the encoding of every key, signature, payload and seal on the wire: the
// strict decoder (from bytes and from a String), node ids, and the encoder. Strict means
// one text per byte string: whatever decodes encodes back to the very same text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    let decoded = Base64URL.decode(bytes: UnsafeBufferPointer(start: bytes, count: size))
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
