import Foundation
@testable import PenPalsCore

// An acknowledgement, `{from, to, clock, created_at}`: the payload of the envelope a peer
// answers POST /p2p/v1/events with, read as the sender reads it before it believes the
// clock (ClockMessage.open from the expected peer, signature checked). Each input is
// signed with the peer's key, as the peer signs its answer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    requireAgrees(data, ("JSONValue", JSONValue.parse(data).flatMap(ClockMessage.init(json:))))
    let envelope = SignedEnvelope.sign(data, with: FuzzNodes.author)
    _ = try? ClockMessage.open(envelope, expectedAuthor: FuzzNodes.author.id, localID: FuzzNodes.reader.id,
                               isTrusted: { $0 == FuzzNodes.author.id })
    return 0
}
