import Foundation
@testable import PenPalsCore

// The body of POST /p2p/v1/digest, `{"requests": [envelope, …]}`, read as the route
// reads it (WireJSON.decode of DigestRequest, the count bounded), then each request
// opened as a sync request is, up to the signature check, as the answering node does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    guard let digest = try? WireJSON.decode(DigestRequest.self, from: data), digest.requests.count <= DigestRequest.limit else { return 0 }
    for request in digest.requests {
        _ = try? WireJSON.decode(ClockMessage.self, from: request.payload).to
        _ = try? ClockMessage.open(request, expectedAuthor: nil, localID: FuzzNodes.reader.id) { $0 == FuzzNodes.author.id }
    }
    return 0
}
