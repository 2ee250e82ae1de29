import Foundation
@testable import PenPalsCore

// A sync request, `{v, from, to, clock, created_at}`: the payload of the envelope a peer
// posts to /p2p/v1/sync, read as the responder reads it (ClockMessage.open, signature
// checked, then the version). Each input is signed with the author's key, as a peer
// signs its request: unsigned, nothing after the signature (trust, address, the clock)
// would ever be reached.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    requireAgrees(data, ("JSONValue", JSONValue.parse(data).flatMap(ClockMessage.init(json:))))
    let envelope = SignedEnvelope.sign(data, with: FuzzNodes.author)
    guard let (message, _) = try? ClockMessage.open(envelope, expectedAuthor: nil, localID: FuzzNodes.reader.id,
                                                    isTrusted: { $0 == FuzzNodes.author.id }) else { return 0 }
    _ = message.v == EventPayload.version
    return 0
}
