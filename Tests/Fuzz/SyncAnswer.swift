import Foundation
@testable import PenPalsCore

// A sync answer, `{from, to, clock, created_at, events, more}`: the payload of the
// envelope a peer answers /p2p/v1/sync with, read as ClassroomNode.sync reads it
// (ClockMessage.open with the page's signature checked apart, as there), then its
// events opened in order, vouched for by the page, until the first refused. The
// corpus holds real pages of events sealed for the reader.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    requireAgrees(data, ("the exact reader", ClockMessage(exactJSON: data)),
                  ("JSONValue", JSONValue.parse(data).flatMap(ClockMessage.init(json:))))
    let envelope = SignedEnvelope(payload: data, signature: Data(count: 64))
    let peer = FuzzNodes.author.id
    guard let (message, _) = try? ClockMessage.open(envelope, expectedAuthor: peer, localID: FuzzNodes.reader.id,
                                                    signatureChecked: true, isTrusted: { $0 == peer }) else { return 0 }
    for event in message.events ?? [] {
        guard (try? EventSealing.open(event, localID: FuzzNodes.reader.id, vouchedBy: peer, cipherFor: FuzzNodes.cipher(for:))) != nil else { break }
    }
    return 0
}
