import Foundation
import PenPalsCore

// The request bodies the routes read, kept apart from the routes and free of
// Hummingbird, so that the fuzz targets (Tests/Fuzz, scripts/fuzz) build this file
// on its own and read bodies with the very types the node reads them with.

/// The body of `POST /p2p/v1/events`.
struct Batch: Decodable, JSONValueReadable {
    var events: [SignedEnvelope]

    init?(json: JSONValue) {
        guard let events = SignedEnvelope.list(json: json["events"]) else { return nil }
        self.events = events
    }
}

/// The body of `POST /api/webex/meeting`.
struct InviteRequest: Decodable, JSONValueReadable {
    /// One classroom, or (`classroomIDs`) a group of 2 to 8.
    var classroomID: String?
    var classroomIDs: [String]?
    var title: String
    var startTime: String
    var endTime: String
    var recurrence: RecurrenceRequest?
    enum CodingKeys: String, CodingKey {
        case classroomID = "classroom_id", classroomIDs = "classroom_ids", title, startTime = "start_time", endTime = "end_time", recurrence
    }

    init?(json: JSONValue) {
        guard let classroom = json["classroom_id"]?.string, let title = json["title"]?.string,
              let start = json["start_time"]?.string, let end = json["end_time"]?.string else { return nil }
        (classroomID, self.title, startTime, endTime) = (classroom, title, start, end)
        // A series or a group is rare: Foundation's decoder reads the body when it has one.
        if let series = json["recurrence"], series != .null { return nil }
        if json["classroom_ids"] != nil { return nil }
    }
}

/// `recurrence` of `POST /api/webex/meeting`: `{freq, interval?, count}` (contract §7.2).
struct RecurrenceRequest: Decodable {
    var freq: String
    var interval: Int?
    var count: Int
}

/// The body of `POST /api/webex/invitations/{id}/reschedule` (`title` optional) and
/// `…/propose` (no `title`).
struct NewTimesRequest: Decodable {
    var startTime: String
    var endTime: String
    var title: String?
    enum CodingKeys: String, CodingKey { case startTime = "start_time", endTime = "end_time", title }
}

/// The optional body of `POST /api/webex/invitations/{id}/decline` and `…/cancel`.
struct ReasonRequest: Decodable {
    var reason: String?
}

/// The optional body of `POST /api/sync`: the one peer to reconcile with.
struct SyncNowRequest: Decodable {
    var peer: String?
}
