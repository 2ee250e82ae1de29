import Foundation

/// RFC 3339 times relative to now, for meetings the sandbox accepts or refuses.
enum Times {
    /// `now + seconds`, in UTC, to the minute: `2026-11-25T12:00:00Z`.
    static func utc(_ seconds: TimeInterval, from now: Date = Date()) -> String {
        let date = now.addingTimeInterval(seconds)
        let minute = Date(timeIntervalSinceReferenceDate: (date.timeIntervalSinceReferenceDate / 60).rounded(.down) * 60)
        return minute.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }
}
