import Foundation
@testable import PenPalsCore

/// Reads an event body as `EventSealing.open` does once the seal is opened, checks the
/// faster readers against `JSONDecoder`, and checks that the body, written again as a
/// node writes it, reads back the same: a body one node writes, the other must read.
func readBody(_ type: EventType, _ data: Data) {
    switch type {
    case .invitation:
        requireAgrees(data, ("the exact reader", InvitationOffer(exactJSON: data)),
                      ("JSONValue", JSONValue.parse(data).flatMap(InvitationOffer.init(json:))))
    case .accept, .decline, .cancel:
        requireAgrees(data, ("JSONValue", JSONValue.parse(data).flatMap(EventBody.Answer.init(json:))))
    case .meeting:
        requireAgrees(data, ("JSONValue", JSONValue.parse(data).flatMap(MeetingNotice.init(json:))))
    case .meetingFailed:
        requireAgrees(data, ("JSONValue", JSONValue.parse(data).flatMap(MeetingFailure.init(json:))))
    default:
        // `reschedule`, `propose` (Foundation's reader alone) and types this node does not know.
        break
    }
    guard let body = try? EventBody.decode(type: type, from: data) else { return }
    require((try? EventBody.decode(type: type, from: body.encoded())) == body, "a \(type.rawValue) body written again reads otherwise")
}
