import Foundation
import Testing
@testable import PenPalsCore

@Suite("Timestamp")
struct TimestampTests {
    @Test("parses UTC, positive and negative offsets and fractional seconds", arguments: [
        ("2026-12-01T15:00:00Z", 1_796_137_200.0),
        ("2026-12-01t15:00:00z", 1_796_137_200.0),
        ("2026-12-02T00:00:00+09:00", 1_796_137_200.0),
        ("2026-12-01T09:00:00-06:00", 1_796_137_200.0),
        ("2026-12-01T20:30:00+05:30", 1_796_137_200.0),
        ("2026-12-01T15:00:00+00:00", 1_796_137_200.0),
        ("2026-12-01T15:00:00-00:00", 1_796_137_200.0),
        ("2026-12-01T15:00:00.5Z", 1_796_137_200.5),
        ("2026-12-01T15:00:00.250+01:00", 1_796_133_600.25),
        ("2028-02-29T00:00:00Z", 1_835_395_200.0),
        ("2000-02-29T12:00:00Z", 951_825_600.0),
        ("1970-01-01T00:00:00Z", 0.0),
        ("1969-12-31T23:59:59Z", -1.0),
        ("2100-03-01T00:00:00Z", 4_107_542_400.0),
    ])
    func parses(text: String, epoch: Double) throws {
        let date = try #require(Timestamp.parse(text))
        #expect(abs(date.timeIntervalSince1970 - epoch) < 0.0005)
    }

    @Test("refuses no zone, impossible dates and garbage", arguments: [
        "2026-12-01T15:00:00",
        "2026-12-01T15:00:00.123",
        "2026-12-01",
        "2026-02-30T10:00:00Z",
        "2026-02-29T10:00:00Z",
        "2100-02-29T10:00:00Z",
        "2026-04-31T10:00:00Z",
        "2026-13-01T10:00:00Z",
        "2026-00-10T10:00:00Z",
        "2026-12-00T10:00:00Z",
        "2026-12-01T24:00:00Z",
        "2026-12-01T15:60:00Z",
        "2026-12-01T15:00:00+0900",
        "2026-12-01T15:00:00+09",
        "2026-12-01T15:00:00+24:00",
        "2026-12-01T15:00:00.Z",
        "2026-12-01T15:00:00ZZ",
        "2026-12-01X15:00:00Z",
        "2026-12-01T15:00:00 Z",
        "2026-1-01T15:00:00Z",
        "garbage",
        "",
        "yesterday at noon, roughly",
    ])
    func refuses(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    /// A time is read only if it is one a node can write again: an invitation taken
    /// with a time beyond year 9999 (in UTC) was sent to the partner clamped, as its
    /// start and end alike, and the partner refused the body, and with it the channel's
    /// every later event (found by Tests/Fuzz/InviteRequest).
    @Test("refuses instants outside years 0001 to 9999 in UTC, which format cannot write", arguments: [
        "9999-12-31T23:59:00-01:00",
        "9999-12-31T23:00:00-23:59",
        "0000-12-31T23:59:59Z",
        "0001-01-01T00:00:00+00:01",
        "0000-01-01T00:00:00Z",
    ])
    func refusesUnwritableInstants(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test("reads the first and the last writable instants, which write back the same")
    func readsTheWritableBounds() throws {
        for text in ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.75Z", "0001-01-01T09:00:00+09:00"] {
            let date = try #require(Timestamp.parse(text), "\(text)")
            #expect(Timestamp.parse(Timestamp.format(date)) == Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)))
        }
    }

    @Test("format writes UTC with Z and whole seconds")
    func formatUTC() {
        #expect(Timestamp.format(december1) == "2026-12-01T15:00:00Z")
        #expect(Timestamp.format(december1.addingTimeInterval(0.75)) == "2026-12-01T15:00:00Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.format(december1, in: TimeZone(identifier: "UTC")!) == "2026-12-01T15:00:00Z")
    }

    @Test("format(in:) writes the zone's offset, winter and summer, and parses back to the same instant", arguments: [
        ("America/Chicago", 1_796_137_200.0, "2026-12-01T09:00:00-06:00"),
        ("America/Chicago", 1_782_918_000.0, "2026-07-01T10:00:00-05:00"),
        ("Asia/Tokyo", 1_796_137_200.0, "2026-12-02T00:00:00+09:00"),
        ("Asia/Tokyo", 1_782_918_000.0, "2026-07-02T00:00:00+09:00"),
        ("Asia/Kolkata", 1_796_137_200.0, "2026-12-01T20:30:00+05:30"),
        ("America/St_Johns", 1_796_137_200.0, "2026-12-01T11:30:00-03:30"),
        ("Europe/London", 1_782_918_000.0, "2026-07-01T16:00:00+01:00"),
    ])
    func formatInZone(zone: String, epoch: Double, expected: String) throws {
        let timeZone = try #require(TimeZone(identifier: zone))
        let date = Date(timeIntervalSince1970: epoch)
        let text = Timestamp.format(date, in: timeZone)
        #expect(text == expected)
        #expect(Timestamp.parse(text) == date)
    }

    @Test("format then parse is the identity on whole seconds")
    func roundTrip() {
        for epoch in stride(from: -2_000_000_000.0, to: 4_000_000_000.0, by: 12_345_678.0) {
            let date = Date(timeIntervalSince1970: epoch)
            #expect(Timestamp.parse(Timestamp.format(date)) == date)
        }
        // Every day of four years around a leap day, against Foundation's calendar.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for day in 0..<(4 * 366) {
            let date = Date(timeIntervalSince1970: 946_684_800 + Double(day) * 86_400 + 45_296)  // 2000-01-01 + n days, 12:34:56
            let c = calendar.dateComponents([.year, .month, .day], from: date)
            #expect(Timestamp.format(date) == String(format: "%04d-%02d-%02dT12:34:56Z", c.year!, c.month!, c.day!))
        }
    }
}

@Suite("UUID")
struct UUIDStringTests {
    @Test("lowercasedString is uuidString lowercased")
    func lowercased() {
        for _ in 0..<200 {
            let id = UUID()
            #expect(id.lowercasedString == id.uuidString.lowercased())
        }
        #expect(UUID(uuidString: "0B9C5E9A-2A47-4A55-9E55-1C8F1F3AD9A1")!.lowercasedString == "0b9c5e9a-2a47-4a55-9e55-1c8f1f3ad9a1")
    }

    @Test("random ids are version 4 with the RFC 4122 variant, read back from their text, and do not repeat")
    func random() {
        var seen = Set<UUID>()
        for _ in 0..<1_000 {
            let id = UUID.random()
            let text = id.lowercasedString
            #expect(Array(text)[14] == "4", "\(text)")
            #expect("89ab".contains(Array(text)[19]), "\(text)")
            #expect(UUID(uuidString: text) == id)
            seen.insert(id)
        }
        #expect(seen.count == 1_000)
    }

    @Test("time-ordered ids are version 7: their text sorts by their millisecond, then at random; the rest is random")
    func timeOrdered() {
        let base = Date(timeIntervalSince1970: 1_795_000_000.123)
        var seen = Set<UUID>()
        var previous = ""
        for step in 0..<1_000 {
            let id = UUID.timeOrdered(at: base.addingTimeInterval(Double(step) / 1000))
            let text = id.lowercasedString
            #expect(Array(text)[14] == "7", "\(text)")
            #expect("89ab".contains(Array(text)[19]), "\(text)")
            #expect(UUID(uuidString: text) == id)
            #expect(text > previous, "\(text) after \(previous)")
            previous = text
            seen.insert(id)
        }
        #expect(seen.count == 1_000)
        // The first 48 bits are the Unix milliseconds, big-endian.
        let stamp = UUID.timeOrdered(at: base).lowercasedString.replacingOccurrences(of: "-", with: "").prefix(12)
        #expect(UInt64(stamp, radix: 16) == 1_795_000_000_123)
        // Within one millisecond the order is the random bits'.
        let same = (0..<64).map { _ in UUID.timeOrdered(at: base).lowercasedString }
        #expect(Set(same).count == 64)
        #expect(Set(same.map { $0.prefix(13) }).count == 1)
    }

    /// A date beyond RFC 3339's four-digit years (made from a hostile number) is
    /// written as the nearest writable instant, not a trap.
    @Test func datesBeyondFourDigitYearsAreWrittenAtTheirBound() {
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1e308)) == "9999-12-31T23:59:59Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: -1e308)) == "0001-01-01T00:00:00Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: .infinity)) == "9999-12-31T23:59:59Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: .nan)) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1e308), in: TimeZone(identifier: "Asia/Tokyo")!) == "9999-12-31T23:59:59+09:00")
    }
}
