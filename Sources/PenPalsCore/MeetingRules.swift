import Foundation

/// WebEx's rules for a meeting, checked when inviting so a teacher hears about
/// them at once instead of after the partner accepted.
public enum MeetingRules {
    public static let maxTitleLength = 128
    public static let minDuration: TimeInterval = 10 * 60
    public static let maxDuration: TimeInterval = 23 * 3600 + 59 * 60

    public struct Violation: Error, Equatable, Sendable {
        public var code: String
        public var message: String
    }

    public static func check(title: String, start: Date, end: Date, now: Date) -> Violation? {
        if title.allSatisfy(\.isWhitespace) {
            return Violation(code: "title_empty", message: "Give the call a title.")
        }
        if title.count > maxTitleLength {
            return Violation(code: "title_too_long", message: "The title has \(title.count) characters; WebEx allows at most \(maxTitleLength).")
        }
        if end <= start {
            return Violation(code: "end_not_after_start", message: "The end time must be after the start time.")
        }
        let duration = end.timeIntervalSince(start)
        if duration < minDuration {
            return Violation(code: "too_short", message: "A WebEx meeting lasts at least 10 minutes; this one lasts \(minutes(duration)).")
        }
        if duration > maxDuration {
            return Violation(code: "too_long", message: "A WebEx meeting lasts at most 23 hours 59 minutes; this one lasts \(minutes(duration)).")
        }
        if start <= now {
            return Violation(code: "start_in_past", message: "The start time \(Timestamp.format(start)) has already passed; choose a time in the future.")
        }
        return nil
    }

    private static func minutes(_ interval: TimeInterval) -> String {
        let total = Int(interval / 60)
        return total >= 60 ? "\(total / 60) h \(total % 60) min" : "\(total) min"
    }
}
