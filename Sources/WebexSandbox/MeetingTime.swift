import Foundation

/// A point in time as WebEx takes it: ISO 8601 / RFC 3339, with the offset it was written in.
///
/// The sandbox keeps the offset so it can answer with times in the form the
/// caller sent them (WebEx answers in the meeting's time zone).
struct MeetingTime: Equatable {
    var date: Date
    /// Offset from UTC in seconds as written; nil when the text had none.
    var offset: Int?
    /// Whether the text had non-zero seconds or a fraction (WebEx strips them).
    var hasSubMinutePart: Bool

    /// Parses `2026-11-25T13:00:00+01:00`, `…Z`, `…T13:00Z`, `2026-11-25 13:00:00`
    /// (in `zone`, else UTC) and a bare date `2026-11-25` (midnight).
    init?(_ text: String, zone: TimeZone? = nil) {
        var scanner = DigitScanner(Array(text.utf8))
        guard let year = scanner.number(digits: 4), scanner.take("-"),
              let month = scanner.number(digits: 2), scanner.take("-"),
              let day = scanner.number(digits: 2)
        else { return nil }
        var hour = 0, minute = 0, second = 0
        var fraction = 0.0
        if scanner.atEnd {
            self.offset = nil
        } else {
            guard scanner.take("T") || scanner.take("t") || scanner.take(" "),
                  let h = scanner.number(digits: 2), scanner.take(":"),
                  let m = scanner.number(digits: 2)
            else { return nil }
            hour = h
            minute = m
            if scanner.take(":") {
                guard let s = scanner.number(digits: 2) else { return nil }
                second = s
                if scanner.take(".") || scanner.take(",") {
                    guard let digits = scanner.digitRun(), !digits.isEmpty else { return nil }
                    fraction = Double("0." + digits) ?? 0
                }
            }
            if scanner.take("Z") || scanner.take("z") {
                self.offset = 0
            } else if let sign = scanner.sign() {
                guard let oh = scanner.number(digits: 2) else { return nil }
                _ = scanner.take(":")
                let om = scanner.number(digits: 2) ?? 0
                guard oh < 24, om < 60 else { return nil }
                self.offset = sign * (oh * 3600 + om * 60)
            } else {
                self.offset = nil
            }
            guard scanner.atEnd else { return nil }
        }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
        let timeZone = offset.flatMap { TimeZone(secondsFromGMT: $0) } ?? zone ?? TimeZone.gmt
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let date = calendar.date(from: components),
              // Rejects 2026-02-30 and the like instead of rolling over.
              calendar.component(.day, from: date) == day
        else { return nil }
        self.date = date.addingTimeInterval(fraction)
        self.hasSubMinutePart = second != 0 || fraction != 0
    }

    /// `date` written with `offset` seconds from UTC: `2026-11-25T13:00:00+01:00`, or `…Z` for UTC.
    static func format(_ date: Date, offset: Int) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: offset) ?? .gmt
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ n: Int?) -> String { n.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        let year = c.year.map { String(format: "%04d", $0) } ?? "0000"
        let base = "\(year)-\(two(c.month))-\(two(c.day))T\(two(c.hour)):\(two(c.minute)):\(two(c.second))"
        if offset == 0 { return base + "Z" }
        let magnitude = abs(offset)
        return base + (offset < 0 ? "-" : "+") + two(magnitude / 3600) + ":" + two(magnitude % 3600 / 60)
    }
}

/// Reads ASCII digits and separators off a byte array.
private struct DigitScanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    mutating func take(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    mutating func sign() -> Int? {
        if take("+") { return 1 }
        if take("-") { return -1 }
        return nil
    }

    mutating func number(digits count: Int) -> Int? {
        guard index + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[index..<index + count] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        index += count
        return value
    }

    mutating func digitRun() -> String? {
        let start = index
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }
}
