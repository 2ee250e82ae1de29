import Foundation

/// A type `WireJSON.decode` can read from a parsed `JSONValue` without `JSONDecoder`.
/// `init?(json:)` accepts exactly what the type's `Decodable` conformance accepts, or
/// returns nil, and `WireJSON.decode` then asks `JSONDecoder` (for the value, or for
/// the precise error). The tests check both readers agree on every sample.
public protocol JSONValueReadable {
    init?(json: JSONValue)
}

extension JSONValue {
    /// A member that `decodeIfPresent` would read as absent: missing or null.
    func optional(_ key: String) -> JSONValue?? {
        guard let value = self[key], value != .null else { return .some(nil) }
        return .some(value)
    }
}

extension UUID {
    init?(json: JSONValue?) {
        guard let text = json?.string, let id = UUID.parse(text) else { return nil }
        self = id
    }
}

extension NodeID {
    init?(json: JSONValue?) {
        guard let text = json?.string, let id = NodeID(text) else { return nil }
        self = id
    }
}

/// A `[String: Int]` member, as `JSONDecoder` reads one.
private func integers(_ json: JSONValue?) -> [String: Int]? {
    guard let members = json?.object else { return nil }
    var result: [String: Int] = [:]
    for (key, value) in members {
        guard let number = value.integer else { return nil }
        result[key] = number
    }
    return result
}

extension SignedEnvelope: JSONValueReadable {
    public init?(json: JSONValue) {
        guard let payloadText = json["payload"]?.string, let sigText = json["sig"]?.string,
              let payload = Base64URL.decode(payloadText), let signature = Base64URL.decode(sigText) else { return nil }
        self.init(payload: payload, signature: signature)
    }
}

extension SignedEnvelope {
    /// A JSON array of envelopes (a sync answer's `events`, a push's body), or nil if any is not one.
    public static func list(json: JSONValue?) -> [SignedEnvelope]? {
        guard let items = json?.array else { return nil }
        var envelopes: [SignedEnvelope] = []
        envelopes.reserveCapacity(items.count)
        for item in items {
            guard let envelope = SignedEnvelope(json: item) else { return nil }
            envelopes.append(envelope)
        }
        return envelopes
    }
}

extension EventPayload: JSONValueReadable {
    public init?(json: JSONValue) {
        guard let v = json["v"]?.integer, let id = json["id"]?.string,
              let typeText = json["type"]?.string, let type = EventType(rawValue: typeText),
              let from = NodeID(json: json["from"]), let to = NodeID(json: json["to"]),
              let seq = json["seq"]?.integer, let clock = integers(json["clock"]),
              let createdAt = json["created_at"]?.string, let sealed = json["sealed"]?.string else { return nil }
        self.init(v: v, id: id, type: type, from: from, to: to, seq: seq, clock: clock, createdAt: createdAt, sealed: sealed)
    }
}

extension ClockMessage: JSONValueReadable {
    public init?(json: JSONValue) {
        guard let from = NodeID(json: json["from"]), let to = NodeID(json: json["to"]),
              let clock = integers(json["clock"]), let createdAt = json["created_at"]?.string,
              case .some(let v) = json.optional("v"), case .some(let events) = json.optional("events"),
              case .some(let more) = json.optional("more"), case .some(let features) = json.optional("features") else { return nil }
        // Member by member, not through a PairClock of `from` and `to`: its two-entry
        // dictionary traps when they are the same node, and the clock is checked later.
        var message = ClockMessage(from: from, to: to, clock: clock, createdAt: createdAt)
        if let v {
            guard let number = v.integer else { return nil }
            message.v = number
        }
        if let events {
            guard let envelopes = SignedEnvelope.list(json: events) else { return nil }
            message.events = envelopes
        }
        if let more {
            guard let flag = more.bool else { return nil }
            message.more = flag
        }
        if let features {
            guard let items = features.array else { return nil }
            var names: [String] = []
            for item in items {
                guard let name = item.string else { return nil }
                names.append(name)
            }
            message.features = names
        }
        self = message
    }
}

extension InvitationOffer: JSONValueReadable {
    public init?(json: JSONValue) {
        guard let id = UUID(json: json["invitation_id"]), let title = json["title"]?.string,
              let start = json["start_time"]?.string, let end = json["end_time"]?.string,
              case .some(let series) = json.optional("recurrence"), case .some(let group) = json.optional("group_id") else { return nil }
        var groupID: UUID?
        if let group {
            guard let id = UUID(json: group) else { return nil }
            groupID = id
        }
        var recurrence: Recurrence?
        if let series {
            guard let freq = series["freq"]?.string.flatMap(Recurrence.Frequency.init(rawValue:)),
                  let interval = series["interval"]?.integer, let count = series["count"]?.integer,
                  case .some(let zone) = series.optional("timezone") else { return nil }
            if let zone, zone.string == nil { return nil }
            recurrence = Recurrence(freq: freq, interval: interval, count: count, timezone: zone?.string)
        }
        self.init(invitationID: id, title: title, startTime: start, endTime: end, recurrence: recurrence, groupID: groupID)
    }
}

extension EventBody.Answer: JSONValueReadable {
    init?(json: JSONValue) {
        guard let id = UUID(json: json["invitation_id"]), case .some(let reason) = json.optional("reason") else { return nil }
        if let reason, reason.string == nil { return nil }
        self.init(invitationID: id, reason: reason?.string)
    }
}

extension MeetingNotice: JSONValueReadable {
    public init?(json: JSONValue) {
        guard let id = UUID(json: json["invitation_id"]), let meetingID = json["webex_meeting_id"]?.string,
              let link = json["web_link"]?.string, let title = json["title"]?.string,
              let start = json["start_time"]?.string, let end = json["end_time"]?.string,
              case .some(let list) = json.optional("participants") else { return nil }
        var participants: [Participant]?
        if let list {
            guard let items = list.array, items.count <= 64 else { return nil }
            participants = []
            for item in items {
                guard let node = NodeID(json: item["id"]), let name = item["name"]?.string else { return nil }
                participants?.append(Participant(id: node, name: name))
            }
        }
        self.init(invitationID: id, webexMeetingID: meetingID, webLink: link, title: title, startTime: start, endTime: end,
                  participants: participants)
    }
}

extension MeetingFailure: JSONValueReadable {
    public init?(json: JSONValue) {
        guard let id = UUID(json: json["invitation_id"]), let code = json["code"]?.string,
              let message = json["message"]?.string, let retrying = json["retrying"]?.bool else { return nil }
        self.init(invitationID: id, code: code, message: message, retrying: retrying)
    }
}
