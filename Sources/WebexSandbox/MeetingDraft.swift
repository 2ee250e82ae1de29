import Foundation

/// A `POST /v1/meetings` or `PUT /v1/meetings/{id}` body checked against the rules of WebEx's spec.
///
/// Rules kept: `title` required, at most 128 characters; `start` and `end`
/// required, ISO 8601; `end` after `start`; a duration of 10 minutes to 23
/// hours 59 minutes; `start` not before now (60 s of grace for clock skew) and
/// less than 10 years ahead; `timezone` an IANA zone; at most 3
/// `integrationTags` of at most 64 characters; `recurrence` optional and, as
/// the node uses it, `FREQ=DAILY|WEEKLY`, `INTERVAL=1…4` and `COUNT=2…52`
/// (see `checkRecurrence`). Like WebEx, start and end are kept to the minute,
/// and a start within the current minute moves to the next.
struct MeetingDraft {
    var title: String
    var start: Date
    var end: Date
    var startText: String
    var endText: String
    var timezone: String
    var integrationTags: [String]
    /// The series' rule as given; nil for a one-off meeting.
    var recurrence: String?

    /// Clock skew tolerated on `start`, so a node whose clock is a little ahead is not refused.
    static let pastGrace: TimeInterval = 60
    static let minimumDuration: TimeInterval = 10 * 60
    static let maximumDuration: TimeInterval = 23 * 3600 + 59 * 60
    /// The recurrence frequencies the node uses.
    static let recurrenceFrequencies: Set<Substring> = ["DAILY", "WEEKLY"]
    static let recurrenceIntervals = 1...4
    static let recurrenceCounts = 2...52

    /// The fields of the body the sandbox reads; everything else is ignored.
    struct Body: Decodable {
        var title: String?
        var start: String?
        var end: String?
        var timezone: String?
        var integrationTags: [String]?
        var recurrence: String?
    }

    init(body: Body, now: Date) throws(SandboxFailure) {
        guard let title = body.title, !title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .invalid("title is required and cannot be empty.")
        }
        guard title.count <= 128 else {
            throw .invalid("title can be a maximum of 128 characters long.")
        }
        var zone: TimeZone?
        if let name = body.timezone {
            guard let known = Self.ianaZone(name) else {
                throw .invalid("timezone '\(name)' is not a valid IANA time zone.")
            }
            zone = known
        }
        guard let startText = body.start, !startText.isEmpty else { throw .invalid("start is required.") }
        guard let endText = body.end, !endText.isEmpty else { throw .invalid("end is required.") }
        guard let start = MeetingTime(startText, zone: zone) else {
            throw .invalid("start '\(startText)' is not a valid ISO 8601 date and time.")
        }
        guard let end = MeetingTime(endText, zone: zone) else {
            throw .invalid("end '\(endText)' is not a valid ISO 8601 date and time.")
        }
        guard start.date >= now.addingTimeInterval(-Self.pastGrace) else {
            throw .invalid("start cannot be before current date and time.")
        }
        guard end.date > start.date else {
            throw .invalid("end cannot be before start.")
        }
        let duration = end.date.timeIntervalSince(start.date)
        guard duration >= Self.minimumDuration else {
            throw .invalid("The duration between start and end cannot be shorter than 10 minutes.")
        }
        guard duration <= Self.maximumDuration else {
            throw .invalid("The duration between start and end cannot be longer than 23 hours 59 minutes.")
        }
        guard start.date < now.addingTimeInterval(10 * 365.25 * 86400) else {
            throw .invalid("start cannot be 10 years or more in the future.")
        }
        let tags = body.integrationTags ?? []
        guard tags.count <= 3 else {
            throw .invalid("The maximum size of integrationTags is 3.")
        }
        guard tags.allSatisfy({ $0.count <= 64 }) else {
            throw .invalid("Each item of integrationTags can be a maximum of 64 characters long.")
        }
        if let recurrence = body.recurrence {
            try Self.checkRecurrence(recurrence)
        }

        // WebEx keeps minutes only; a start within the current minute moves to the next one.
        let startMinute = Self.minute(start.date)
        let currentMinute = Self.minute(now)
        let adjustedStart = startMinute <= currentMinute ? currentMinute.addingTimeInterval(60) : startMinute
        let adjustedEnd = Self.minute(end.date)

        self.title = title
        self.start = adjustedStart
        self.end = adjustedEnd
        // The name as given (already checked to be IANA): Foundation answers "UTC" as "GMT".
        self.timezone = body.timezone ?? "UTC"
        self.startText = Self.text(for: adjustedStart, given: startText, parsed: start, zone: zone)
        self.endText = Self.text(for: adjustedEnd, given: endText, parsed: end, zone: zone)
        self.integrationTags = tags
        self.recurrence = body.recurrence
    }

    /// Checks a `recurrence` rule against the subset of RFC 2445 the node uses:
    /// `FREQ`, `INTERVAL` and `COUNT`, each exactly once, in any order,
    /// separated by `;`, with `FREQ` `DAILY` or `WEEKLY`, `INTERVAL` 1 to 4 and
    /// `COUNT` 2 to 52 in plain decimal. Names and values are upper case as the
    /// spec's examples write them; nothing else (other parts, spaces, empty
    /// parts) is accepted.
    static func checkRecurrence(_ rule: String) throws(SandboxFailure) {
        func refuse(_ reason: String) -> SandboxFailure {
            .invalid("recurrence '\(rule)' is not a valid recurrence rule: \(reason)")
        }
        var values: [Substring: Substring] = [:]
        for part in rule.split(separator: ";", omittingEmptySubsequences: false) {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, let name = pair.first, let value = pair.last else {
                throw refuse("each part must be NAME=value.")
            }
            guard ["FREQ", "INTERVAL", "COUNT"].contains(name) else {
                throw refuse("only FREQ, INTERVAL and COUNT are supported.")
            }
            guard values[name] == nil else {
                throw refuse("\(name) can be given only once.")
            }
            values[name] = value
        }
        guard let frequency = values["FREQ"] else { throw refuse("FREQ is required.") }
        guard Self.recurrenceFrequencies.contains(frequency) else {
            throw refuse("FREQ must be DAILY or WEEKLY.")
        }
        guard let interval = values["INTERVAL"] else { throw refuse("INTERVAL is required.") }
        guard let number = Self.decimal(interval), Self.recurrenceIntervals.contains(number) else {
            throw refuse("INTERVAL must be a number from 1 to 4.")
        }
        guard let count = values["COUNT"] else { throw refuse("COUNT is required.") }
        guard let number = Self.decimal(count), Self.recurrenceCounts.contains(number) else {
            throw refuse("COUNT must be a number from 2 to 52.")
        }
    }

    /// A number written in plain decimal, without sign, spaces or leading zeros.
    private static func decimal(_ text: Substring) -> Int? {
        guard let number = Int(text), String(number) == text else { return nil }
        return number
    }

    /// The zone for an IANA name, refusing abbreviations and offsets Foundation also accepts.
    static func ianaZone(_ name: String) -> TimeZone? {
        guard name == "UTC" || TimeZone.knownTimeZoneIdentifiers.contains(name) else { return nil }
        return TimeZone(identifier: name)
    }

    private static func minute(_ date: Date) -> Date {
        Date(timeIntervalSinceReferenceDate: (date.timeIntervalSinceReferenceDate / 60).rounded(.down) * 60)
    }

    /// The time as WebEx answers it: in the meeting's zone when one was given,
    /// else in the offset it was written with; the caller's text unchanged when
    /// it already says exactly that.
    private static func text(for date: Date, given: String, parsed: MeetingTime, zone: TimeZone?) -> String {
        let offset = zone?.secondsFromGMT(for: date) ?? parsed.offset ?? 0
        if date == parsed.date, parsed.offset == offset { return given }
        return MeetingTime.format(date, offset: offset)
    }
}
