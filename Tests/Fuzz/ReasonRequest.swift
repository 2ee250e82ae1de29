import Foundation
@testable import PenPalsCore
@testable import PenPalsNode

// The optional body of POST /api/webex/invitations/{id}/decline and …/cancel,
// `{reason?}`, read as the routes read it (no body at all is no reason; else
// WireJSON.decode of the node's ReasonRequest), and the reason then sent in the event
// body: the partner must read back the same reason.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    guard !data.isEmpty, let ask = try? WireJSON.decode(ReasonRequest.self, from: data) else { return 0 }
    for body in [EventBody.decline(invitationID: invitationID, reason: ask.reason), .cancel(invitationID: invitationID, reason: ask.reason)] {
        require((try? EventBody.decode(type: body.type, from: body.encoded())) == body, "a reason the node takes reads otherwise at its partner")
    }
    return 0
}

private let invitationID = UUID(uuidString: "0193a5b4-7c1e-7d2a-9f00-1a2b3c4d5e6f")!
