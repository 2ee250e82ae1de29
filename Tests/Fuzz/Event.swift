import Foundation
@testable import PenPalsCore

// An event: the payload of one envelope, opened by EventSealing.open with the reader's
// key. It is opened as the events of a sync answer are, vouched for by the answer's
// signature: the fuzzer cannot sign, and this way its payloads reach every check after
// the signature (trust, address, clock, seal, body). The corpus holds events sealed for
// the reader (Seeds/main.swift), so mutations of the other fields still open their bodies.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    requireAgrees(data, ("the exact reader", EventPayload(exactJSON: data)),
                  ("JSONValue", JSONValue.parse(data).flatMap(EventPayload.init(json:))))
    let envelope = SignedEnvelope(payload: data, signature: Data(count: 64))
    guard let event = try? EventSealing.open(envelope, localID: FuzzNodes.reader.id, vouchedBy: FuzzNodes.author.id,
                                             cipherFor: FuzzNodes.cipher(for:)) else { return 0 }
    // The node stores the body as it came and reads it again when it applies the event.
    require((try? EventBody.decode(type: event.payload.type, from: event.bodyJSON)) == event.body, "a stored body reads otherwise")
    return 0
}
