import Foundation
@testable import PenPalsCore
@testable import PenPalsNode

// The body of POST /p2p/v1/events, `{"events": [envelope, …]}`, read as the route reads
// it (WireJSON.decode of the node's Batch), then every envelope opened in order as
// ClassroomNode.receive opens them, signature included, until the first it refuses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    if let fast = JSONValue.parse(data).flatMap(Batch.init(json:)) {
        require(foundationDecode(Batch.self, data)?.events == fast.events, "JSONValue reads a batch otherwise than JSONDecoder")
    }
    guard let batch = try? WireJSON.decode(Batch.self, from: data) else { return 0 }
    for envelope in batch.events {
        guard (try? EventSealing.open(envelope, localID: FuzzNodes.reader.id, cipherFor: FuzzNodes.cipher(for:))) != nil else { break }
    }
    return 0
}
