import Foundation
@testable import PenPalsCore
@testable import PenPalsNode

// The body of POST /api/webex/meeting, `{classroom_id, title, start_time, end_time}`, read
// as the route reads it (WireJSON.decode of the node's InviteRequest, both times parsed,
// then MeetingRules), and, for a request the node takes, the invitation body it then
// seals for the partner: that partner must read it, or the channel would stop there.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let data = input(bytes, size)
    if let fast = JSONValue.parse(data).flatMap(InviteRequest.init(json:)) {
        let slow = foundationDecode(InviteRequest.self, data)
        require(slow?.classroomID == fast.classroomID && slow?.title == fast.title && slow?.startTime == fast.startTime
                    && slow?.endTime == fast.endTime, "JSONValue reads an invitation request otherwise than JSONDecoder")
    }
    guard let ask = try? WireJSON.decode(InviteRequest.self, from: data),
          let start = Timestamp.parse(ask.startTime), let end = Timestamp.parse(ask.endTime),
          MeetingRules.check(title: ask.title, start: start, end: end, now: FuzzNodes.now) == nil else { return 0 }
    // As ClassroomNode.invite writes the offer.
    let offer = InvitationOffer(invitationID: invitationID, title: ask.title,
                                startTime: Timestamp.format(start), endTime: Timestamp.format(end))
    let body = EventBody.invitation(offer)
    require((try? EventBody.decode(type: .invitation, from: body.encoded())) == body,
            "an invitation the node takes is one its partner refuses: \(offer.startTime) to \(offer.endTime)")
    return 0
}

private let invitationID = UUID(uuidString: "0193a5b4-7c1e-7d2a-9f00-1a2b3c4d5e6f")!
