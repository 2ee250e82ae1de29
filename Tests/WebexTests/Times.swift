import Foundation

/// RFC 3339 times relative to one fixed minute, for meetings the sandbox accepts or refuses.
///
/// One base for the whole run, so two times taken for one meeting never fall
/// on either side of a minute boundary and change its duration.
enum Times {
    static let base = Date(timeIntervalSinceReferenceDate: (Date().timeIntervalSinceReferenceDate / 60).rounded(.down) * 60)

    /// `base + seconds` in UTC: `2026-11-25T12:00:00Z`.
    static func utc(_ seconds: TimeInterval) -> String {
        base.addingTimeInterval(seconds).formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }
}
