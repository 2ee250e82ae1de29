import Foundation
@testable import PenPalsCore
@testable import PenPalsNode

// The body of POST /api/webex/invitations/{id}/reschedule and …/propose,
// `{start_time, end_time, title?}`, read as the routes read it (WireJSON.decode of the
// node's NewTimesRequest); times it takes go into a reschedule event, which the
// partner must read back the same.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    guard let ask = try? WireJSON.decode(NewTimesRequest.self, from: data),
          let start = Timestamp.parse(ask.startTime), let end = Timestamp.parse(ask.endTime), end > start else { return 0 }
    let body = EventBody.reschedule(Reschedule(invitationID: invitationID, revision: 1, title: ask.title ?? "",
                                               startTime: Timestamp.format(start), endTime: Timestamp.format(end)))
    require((try? EventBody.decode(type: .reschedule, from: body.encoded())) == body, "new times the node takes read otherwise at its partner")
    return 0
}

private let invitationID = UUID(uuidString: "0193a5b4-7c1e-7d2a-9f00-1a2b3c4d5e6f")!
