import Foundation

/// RFC 3339 times as the API and the protocol write them.
public enum Timestamp {
    /// Whether `start` and `end` are both times `parse` reads, `end` after `start`
    /// (what every event that carries a meeting's times must hold).
    public static func isOrderedPair(_ start: String, _ end: String) -> Bool {
        guard let start = parse(start), let end = parse(end) else { return false }
        return end > start
    }

    /// Parses an RFC 3339 time that carries a zone (`Z` or `±hh:mm`), with or without fractional seconds.
    /// Only instants `format` can write are read (years 0001 to 9999 in UTC): a time a
    /// node takes is one it can send on as it is.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        // yyyy-mm-ddThh:mm:ss at least, plus a zone.
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 else { return nil }
                value = value * 10 + Int(bytes[i] - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offset = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                  let oh = number(index + 1..<index + 3), let om = number(index + 4..<index + 6), oh < 24, om < 60 else { return nil }
            offset = (oh * 3600 + om * 60) * (bytes[index] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        guard day <= daysIn(month: month, year: year) else { return nil }
        // Arithmetic rather than Calendar: every event carries times, and Calendar is slow on Linux.
        let seconds = daysSince1970(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + min(second, 59)
        let instant = TimeInterval(seconds - offset)
        guard writable.contains(instant) else { return nil }
        return Date(timeIntervalSince1970: instant + fraction)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
    /// (the "days from civil" algorithm: March-based years in 400-year eras).
    static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day counted from 1970-01-01 (the inverse of `daysSince1970`).
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// `2026-12-01T15:00:00Z` (UTC, whole seconds).
    public static func format(_ date: Date) -> String {
        format(date, offset: 0)
    }

    /// The time in `zone` with its offset, e.g. `2026-12-01T09:00:00-06:00` (`Z` for UTC).
    public static func format(_ date: Date, in zone: TimeZone) -> String {
        format(date, offset: zone.secondsFromGMT(for: date))
    }

    /// The earliest and latest instants written: years 0001 to 9999, the four digits
    /// RFC 3339 has. A date beyond them (from a bad answer, say) is written as the
    /// nearest of them instead of trapping on the conversion to an integer.
    static let writable: ClosedRange<Double> = -62_135_596_800 ... 253_402_300_799

    private static func format(_ date: Date, offset: Int) -> String {
        let seconds = date.timeIntervalSince1970.isNaN ? 0 : date.timeIntervalSince1970.rounded(.down) + Double(offset)
        let local = Int(min(max(seconds, writable.lowerBound), writable.upperBound))
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let secondOfDay = local - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(25)
        func put(_ value: Int, digits: Int) {
            var divisor = 1
            for _ in 1..<digits { divisor *= 10 }
            var value = value
            while divisor > 0 {
                bytes.append(UInt8(48 + value / divisor % 10))
                value %= divisor
                divisor /= 10
            }
        }
        func put(_ character: Character) { bytes.append(character.asciiValue!) }
        put(year, digits: 4); put("-"); put(month, digits: 2); put("-"); put(day, digits: 2); put("T")
        put(secondOfDay / 3600, digits: 2); put(":"); put(secondOfDay % 3600 / 60, digits: 2); put(":"); put(secondOfDay % 60, digits: 2)
        if offset == 0 {
            put("Z")
        } else {
            put(offset < 0 ? "-" : "+")
            put(abs(offset) / 3600, digits: 2); put(":"); put(abs(offset) % 3600 / 60, digits: 2)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
