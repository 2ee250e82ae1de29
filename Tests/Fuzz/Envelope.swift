import Foundation
@testable import PenPalsCore

// A signed envelope as it crosses between nodes: the body of POST /p2p/v1/sync and of
// every peer's answer. WireJSON.decode reads it (the node's exact form, else the small
// reader, else JSONDecoder), then the signature is checked, as PeerClient and the routes
// do; an envelope read is also written again as a node stores and forwards it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    requireAgrees(data, ("the exact reader", SignedEnvelope(exactJSON: data)),
                  ("JSONValue", JSONValue.parse(data).flatMap(SignedEnvelope.init(json:))))
    guard let envelope = try? WireJSON.decode(SignedEnvelope.self, from: data) else { return 0 }
    _ = envelope.isSigned(by: FuzzNodes.author.id)
    require((try? WireJSON.decode(SignedEnvelope.self, from: envelope.jsonData)) == envelope, "an envelope written again reads otherwise")
    return 0
}
