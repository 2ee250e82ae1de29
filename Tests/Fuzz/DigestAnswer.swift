import Foundation
@testable import PenPalsCore

// A peer's answer to a digest, `{"answers": [envelope | {"error": {code, message}}, …]}`,
// read as HostTransport.sendDigest reads it (WireJSON.decode of DigestAnswer), then each
// clock opened as an acknowledgement from `author`, as ClassroomNode.believeDigest does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    guard let answer = try? WireJSON.decode(DigestAnswer.self, from: data) else { return 0 }
    for case .clock(let envelope) in answer.answers {
        _ = try? ClockMessage.open(envelope, expectedAuthor: FuzzNodes.author.id, localID: FuzzNodes.reader.id) { $0 == FuzzNodes.author.id }
    }
    return 0
}
