import Foundation

/// A type readable straight from the exact bytes `JSONWriter` writes for it (keys
/// in order, no spaces, strings without escapes): a PenPals node's own form, read
/// without building a `JSONValue` tree (a dictionary and a string per member, the
/// top of opening a sync page's events). `init?(exactJSON:)` returns nil for
/// anything else, which `WireJSON.decode` then reads as any JSON; what it accepts,
/// the ordinary reader accepts with the same result (the tests check both).
protocol ExactJSONReadable {
    init?(exactJSON data: Data)
}

/// Reads one value in the exact form, byte by byte; every method returns nil (or
/// false) at the first byte that is not that form.
struct ExactJSONScanner: ~Copyable {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// What `read` makes of `data`'s bytes, scanned from the start.
    static func read<T>(_ data: Data, _ read: (inout ExactJSONScanner) -> T?) -> T? {
        data.withUnsafeBytes { raw in
            var json = ExactJSONScanner(raw.bindMemory(to: UInt8.self))
            return read(&json)
        }
    }

    var atEnd: Bool { index == bytes.count }

    /// Skips `text` if the bytes are exactly it.
    mutating func skip(_ text: StaticString) -> Bool {
        JSONValue.skip(text, in: bytes, at: &index)
    }

    mutating func skip(byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// A string without escapes or control characters, valid UTF-8.
    mutating func string() -> String? {
        guard skip(byte: UInt8(ascii: "\"")) else { return nil }
        return JSONValue.unescapedString(in: bytes, at: &index)
    }

    /// A string of base64url text, decoded. base64url has no quote or backslash: the
    /// first quote ends it, and anything else in it fails the strict decoding.
    mutating func base64() -> Data? {
        guard skip(byte: UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\"") { index += 1 }
        guard index < bytes.count else { return nil }
        let text = UnsafeBufferPointer(rebasing: bytes[start..<index])
        index += 1
        return Base64URL.decode(bytes: text)
    }

    /// An envelope as `SignedEnvelope.jsonData` writes it.
    mutating func envelope() -> SignedEnvelope? {
        guard skip(#"{"payload":"#), let payload = base64(), skip(#","sig":"#), let signature = base64(), skip("}") else { return nil }
        return SignedEnvelope(payload: payload, signature: signature)
    }

    /// An integer as JSON writes one (see `JSONValue.integer(in:at:)`).
    mutating func integer() -> Int? {
        JSONValue.integer(in: bytes, at: &index)
    }

    /// `{"k":1,"l":2}`: string keys, integer values, at least one member, no key twice.
    mutating func integers() -> [String: Int]? {
        guard skip(byte: UInt8(ascii: "{")) else { return nil }
        var result: [String: Int] = [:]
        repeat {
            guard let key = string(), skip(byte: UInt8(ascii: ":")), let value = integer(),
                  result.updateValue(value, forKey: key) == nil else { return nil }
        } while skip(byte: UInt8(ascii: ","))
        guard skip(byte: UInt8(ascii: "}")) else { return nil }
        return result
    }
}

extension SignedEnvelope: ExactJSONReadable {
    /// The form a node stores and sends (`jsonData`).
    init?(exactJSON data: Data) {
        let envelope: SignedEnvelope? = ExactJSONScanner.read(data) { json in
            guard let envelope = json.envelope(), json.atEnd else { return nil }
            return envelope
        }
        guard let envelope else { return nil }
        self = envelope
    }
}

extension ClockMessage: ExactJSONReadable {
    /// A sync answer in the form `wireJSON` writes it (as a node answers): its envelopes
    /// are taken straight from their bytes, and the few other members with the ordinary
    /// reader. A message without `events` is left to the ordinary reader.
    init?(exactJSON data: Data) {
        let parsed: (rest: Data, events: [SignedEnvelope])? = ExactJSONScanner.read(data) { json in
            // Before `events` come the clock and created_at, as `wireJSON` writes them: read
            // here, so that the list taken is the top-level one (an `events` inside some
            // other member would be read as the answer's events by this reader alone).
            guard json.skip(#"{"clock":"#), json.integers() != nil, json.skip(#","created_at":"#), json.string() != nil else {
                return nil
            }
            let start = json.index
            guard json.skip(#","events":["#) else { return nil }
            var events: [SignedEnvelope] = []
            events.reserveCapacity(1_000)
            if !json.skip(byte: UInt8(ascii: "]")) {
                repeat {
                    guard let envelope = json.envelope() else { return nil }
                    events.append(envelope)
                } while json.skip(byte: UInt8(ascii: ","))
                guard json.skip(byte: UInt8(ascii: "]")) else { return nil }
            }
            // The other members, with an empty list where the events were.
            var rest = Data(UnsafeBufferPointer(rebasing: json.bytes[0..<start]))
            rest.append(contentsOf: ",\"events\":[]".utf8)
            rest.append(contentsOf: UnsafeBufferPointer(rebasing: json.bytes[json.index...]))
            return (rest, events)
        }
        guard let parsed, let json = JSONValue.parse(parsed.rest), var message = ClockMessage(json: json),
              message.events?.isEmpty == true else { return nil }
        message.events = parsed.events
        self = message
    }
}

extension EventPayload: ExactJSONReadable {
    init?(exactJSON data: Data) {
        let payload: EventPayload? = ExactJSONScanner.read(data) { json in
            guard json.skip(#"{"clock":"#), let clock = json.integers(),
                  json.skip(#","created_at":"#), let createdAt = json.string(),
                  json.skip(#","from":"#), let fromText = json.string(), let from = NodeID(fromText),
                  json.skip(#","id":"#), let id = json.string(),
                  json.skip(#","sealed":"#), let sealed = json.string(),
                  json.skip(#","seq":"#), let seq = json.integer(),
                  json.skip(#","to":"#), let toText = json.string(), let to = NodeID(toText),
                  json.skip(#","type":"#), let typeText = json.string(), let type = EventType(rawValue: typeText),
                  json.skip(#","v":"#), let v = json.integer(),
                  json.skip("}"), json.atEnd else { return nil }
            return EventPayload(v: v, id: id, type: type, from: from, to: to, seq: seq, clock: clock, createdAt: createdAt, sealed: sealed)
        }
        guard let payload else { return nil }
        self = payload
    }
}

extension InvitationOffer: ExactJSONReadable {
    init?(exactJSON data: Data) {
        let offer: InvitationOffer? = ExactJSONScanner.read(data) { json in
            guard json.skip(#"{"end_time":"#), let end = json.string(),
                  json.skip(#","invitation_id":"#), let idText = json.string(), let id = UUID.parse(idText),
                  json.skip(#","start_time":"#), let start = json.string(),
                  json.skip(#","title":"#), let title = json.string(),
                  json.skip("}"), json.atEnd else { return nil }
            return InvitationOffer(invitationID: id, title: title, startTime: start, endTime: end)
        }
        guard let offer else { return nil }
        self = offer
    }
}
