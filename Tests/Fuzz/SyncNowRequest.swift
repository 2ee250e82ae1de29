import Foundation
@testable import PenPalsCore
@testable import PenPalsNode

// The optional body of POST /api/sync, `{peer?}`, read as the route reads it (no body
// at all is every peer; else WireJSON.decode of the node's SyncNowRequest).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    guard !data.isEmpty, let ask = try? WireJSON.decode(SyncNowRequest.self, from: data) else { return 0 }
    _ = ask.peer
    return 0
}
