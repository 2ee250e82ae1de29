import Foundation
@testable import PenPalsCore

/// Reads an event body as `EventSealing.open` does once the seal is opened, checks the
/// faster readers against `JSONDecoder`, and checks that the body, written again as a
/// node writes it, reads back the same: a body one node writes, the other must read.
func readBody(_ type: EventType, _ data: Data) {
    switch type {
    case .invitation:
        requireAgrees(InvitationOffer(exactJSON: data), data, "the exact reader")
        requireAgrees(JSONValue.parse(data).flatMap(InvitationOffer.init(json:)), data, "JSONValue")
    case .accept, .decline, .cancel:
        requireAgrees(JSONValue.parse(data).flatMap(EventBody.Answer.init(json:)), data, "JSONValue")
    case .meeting:
        requireAgrees(JSONValue.parse(data).flatMap(MeetingNotice.init(json:)), data, "JSONValue")
    case .meetingFailed:
        requireAgrees(JSONValue.parse(data).flatMap(MeetingFailure.init(json:)), data, "JSONValue")
    }
    guard let body = try? EventBody.decode(type: type, from: data) else { return }
    require((try? EventBody.decode(type: type, from: body.encoded())) == body, "a \(type.rawValue) body written again reads otherwise")
}
