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

    var atEnd: Bool { index == bytes.count }

    /// Skips `text` if the bytes are exactly it.
    mutating func skip(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return false }
        index += count
        return true
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

extension EventPayload: ExactJSONReadable {
    init?(exactJSON data: Data) {
        let payload: EventPayload? = data.withUnsafeBytes { raw in
            var json = ExactJSONScanner(raw.bindMemory(to: UInt8.self))
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
        let offer: InvitationOffer? = data.withUnsafeBytes { raw in
            var json = ExactJSONScanner(raw.bindMemory(to: UInt8.self))
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

extension UUID {
    /// `UUID(uuidString:)` without its `sscanf` (which showed when opening events), and
    /// strict where that is not: 36 characters, hyphens at 8, 13, 18 and 23, hex digits
    /// of either case elsewhere (Foundation's reader on Linux also takes spaces and
    /// signs among the digits).
    public static func parse(_ text: String) -> UUID? {
        var text = text
        return text.withUTF8 { bytes -> UUID? in
            guard bytes.count == 36 else { return nil }
            var value = (UInt64(0), UInt64(0))
            var digits = 0
            for (index, byte) in bytes.enumerated() {
                if index == 8 || index == 13 || index == 18 || index == 23 {
                    guard byte == UInt8(ascii: "-") else { return nil }
                    continue
                }
                let nibble: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                if digits < 16 {
                    value.0 = value.0 << 4 | UInt64(nibble)
                } else {
                    value.1 = value.1 << 4 | UInt64(nibble)
                }
                digits += 1
            }
            var bigEndian = (value.0.bigEndian, value.1.bigEndian)
            return withUnsafeBytes(of: &bigEndian) { raw in
                UUID(uuid: (raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7],
                            raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]))
            }
        }
    }
}
