import Foundation

/// A series (contract §7.2): `count` occurrences, every `interval` days or weeks,
/// at the local time of the first in `timezone` (the sender's; UTC when unknown),
/// so that a weekly call stays at 15:00 across a daylight-saving change, as WebEx
/// keeps it.
public struct Recurrence: Sendable, Equatable, Hashable, Codable {
    public enum Frequency: String, Sendable, Codable, CaseIterable {
        case daily, weekly
    }

    public var freq: Frequency
    public var interval: Int
    public var count: Int
    /// The IANA zone the occurrences keep their local time in (on the wire; not in the API).
    public var timezone: String?

    public static let intervals = 1...4
    public static let counts = 2...52

    public init(freq: Frequency, interval: Int = 1, count: Int, timezone: String? = nil) {
        self.freq = freq
        self.interval = interval
        self.count = count
        self.timezone = timezone
    }

    /// Why it is not a series WebEx is asked for, or nil.
    public var violation: MeetingRules.Violation? {
        guard Self.intervals.contains(interval) else {
            return MeetingRules.Violation(code: "bad_recurrence", message: "recurrence.interval is \(interval); it must be 1 to 4.")
        }
        guard Self.counts.contains(count) else {
            return MeetingRules.Violation(code: "bad_recurrence", message: "recurrence.count is \(count); a series has 2 to 52 occurrences.")
        }
        if let timezone, TimeZone(identifier: timezone) == nil {
            return MeetingRules.Violation(code: "bad_recurrence", message: "recurrence.timezone \"\(timezone.prefix(64))\" is not an IANA zone.")
        }
        return nil
    }

    /// WebEx's and the calendar's rule: `FREQ=WEEKLY;INTERVAL=1;COUNT=10`.
    public var rrule: String {
        "FREQ=\(freq.rawValue.uppercased());INTERVAL=\(interval);COUNT=\(count)"
    }

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timezone.flatMap(TimeZone.init(identifier:)) ?? .gmt
        return calendar
    }

    /// The start of occurrence `index` (0 is the first) of a series that starts at `first`.
    public func occurrence(_ index: Int, from first: Date) -> Date {
        let days = index * interval * (freq == .weekly ? 7 : 1)
        return calendar.date(byAdding: .day, value: days, to: first) ?? first.addingTimeInterval(Double(days) * 86_400)
    }

    /// When the last occurrence ends, for a series whose first runs `start`…`end`.
    public func lastEnd(start: Date, end: Date) -> Date {
        occurrence(count - 1, from: start).addingTimeInterval(end.timeIntervalSince(start))
    }

    /// The start of the first occurrence not over at `now`, or nil when all are.
    public func nextStart(start: Date, end: Date, now: Date) -> Date? {
        let length = end.timeIntervalSince(start)
        // Occurrences are at most a few days apart: an estimate, then a step or two.
        let step = Double(interval * (freq == .weekly ? 7 : 1)) * 86_400
        var index = max(0, Int((now.timeIntervalSince(end) / step).rounded(.down)) - 1)
        while index < count {
            let begins = occurrence(index, from: start)
            if begins.addingTimeInterval(length) > now { return begins }
            index += 1
        }
        return nil
    }
}
