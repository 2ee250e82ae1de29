import Foundation

/// A type `WireJSON.encode` writes directly, byte for byte as `JSONEncoder` with
/// sorted keys and unescaped slashes would (the tests compare the two): every event
/// sent is a payload and a body, and the encoder's round trip was most of sealing one.
public protocol JSONValueWritable {
    func write(to json: inout JSONWriter)
}

/// Appends JSON text: objects are written key by key, in the sorted order the caller gives.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var first = true

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    public mutating func beginObject() { bytes.append(UInt8(ascii: "{")); first = true }
    public mutating func endObject() { bytes.append(UInt8(ascii: "}")); first = false }
    /// An array's elements are written by the caller, with `comma()` between them.
    public mutating func beginArray() { bytes.append(UInt8(ascii: "[")) }
    public mutating func endArray() { bytes.append(UInt8(ascii: "]")); first = false }
    public mutating func comma() { bytes.append(UInt8(ascii: ",")) }

    /// `"key":` (keys are ours: plain ASCII that needs no escaping).
    public mutating func key(_ key: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: key.utf8)
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings (ids, keys, base64, times) need no escaping: appended whole.
        let plain = text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if plain == true {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A value written before (by a `JSONWriter`), appended as it is.
    public mutating func written(_ value: [UInt8]) { bytes.append(contentsOf: value) }
    public mutating func written(_ value: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: value) }
    /// Makes room for `count` more bytes at once (an answer known to be large).
    public mutating func reserve(_ count: Int) { bytes.reserveCapacity(bytes.count + count) }

    public mutating func integer(_ value: Int) { bytes.append(contentsOf: String(value).utf8) }
    public mutating func bool(_ value: Bool) { bytes.append(contentsOf: (value ? "true" : "false").utf8) }
    public mutating func null() { bytes.append(contentsOf: "null".utf8) }
    public mutating func string(_ text: String?) { if let text { string(text) } else { null() } }

    /// A `[String: Int]`, keys sorted.
    public mutating func integers(_ members: [String: Int]) {
        beginObject()
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            self.key(key)  // node ids: base64url, no escaping
            integer(value)
        }
        endObject()
    }

    public var data: Data { Data(bytes) }
}

extension Problem: JSONValueWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("code"); json.string(code)
        json.key("message"); json.string(message)
        json.key("retrying"); json.bool(retrying)
        json.endObject()
    }
}

extension EventPayload: JSONValueWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("clock"); json.integers(clock)
        json.key("created_at"); json.string(createdAt)
        json.key("from"); json.string(from.rawValue)
        json.key("id"); json.string(id)
        json.key("sealed"); json.string(sealed)
        json.key("seq"); json.integer(seq)
        json.key("to"); json.string(to.rawValue)
        json.key("type"); json.string(type.rawValue)
        json.key("v"); json.integer(v)
        json.endObject()
    }
}

extension InvitationOffer: JSONValueWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("end_time"); json.string(endTime)
        if let groupID { json.key("group_id"); json.string(groupID.lowercasedString) }
        json.key("invitation_id"); json.string(invitationID.lowercasedString)
        if let recurrence {
            json.key("recurrence")
            json.beginObject()
            json.key("count"); json.integer(recurrence.count)
            json.key("freq"); json.string(recurrence.freq.rawValue)
            json.key("interval"); json.integer(recurrence.interval)
            if let zone = recurrence.timezone { json.key("timezone"); json.string(zone) }
            json.endObject()
        }
        json.key("start_time"); json.string(startTime)
        json.key("title"); json.string(title)
        json.endObject()
    }
}

extension EventBody.Answer: JSONValueWritable {
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("invitation_id"); json.string(invitationID.lowercasedString)
        if let reason { json.key("reason"); json.string(reason) }
        json.endObject()
    }
}

extension MeetingNotice: JSONValueWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("end_time"); json.string(endTime)
        json.key("invitation_id"); json.string(invitationID.lowercasedString)
        if let participants {
            json.key("participants")
            json.beginArray()
            for (index, participant) in participants.enumerated() {
                if index > 0 { json.comma() }
                json.beginObject()
                json.key("id"); json.string(participant.id.rawValue)
                json.key("name"); json.string(participant.name)
                json.endObject()
            }
            json.endArray()
        }
        json.key("start_time"); json.string(startTime)
        json.key("title"); json.string(title)
        json.key("web_link"); json.string(webLink)
        json.key("webex_meeting_id"); json.string(webexMeetingID)
        json.endObject()
    }
}

extension MeetingFailure: JSONValueWritable {
    public func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("code"); json.string(code)
        json.key("invitation_id"); json.string(invitationID.lowercasedString)
        json.key("message"); json.string(message)
        json.key("retrying"); json.bool(retrying)
        json.endObject()
    }
}
