import Foundation
import PenPalsCore

/// Text for people: times in the classroom's own zone, one thing a line.
struct Display {
    let zone: TimeZone

    init(zone identifier: String) {
        zone = TimeZone(identifier: identifier) ?? .current
    }

    func time(_ text: Any?) -> String {
        guard let text = text as? String, let date = Timestamp.parse(text) else { return "?" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "EEE d MMM yyyy HH:mm zzz"
        return formatter.string(from: date)
    }

    func span(_ start: Any?, _ end: Any?) -> String {
        let from = time(start)
        guard let endText = end as? String, let endDate = Timestamp.parse(endText) else { return from }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "HH:mm"
        return "\(from) – \(formatter.string(from: endDate))"
    }

    func invitation(_ invitation: [String: Any], localID: String?) -> String {
        let sent = (invitation["sender_id"] as? String) == localID
        let partner = sent ? "to \(invitation["receiver_name"] as? String ?? "?")" : "from \(invitation["sender_name"] as? String ?? "?")"
        var lines = [
            "\(invitation["id"] as? String ?? "?")  [\(invitation["status"] as? String ?? "?")]",
            "  \"\(invitation["title"] as? String ?? "")\" \(partner)",
            "  \(span(invitation["start_time"], invitation["end_time"]))",
        ]
        if let series = invitation["recurrence"] as? [String: Any] { lines.append("  \(Self.series(series))") }
        if let revision = invitation["revision"] as? Int, revision > 0 { lines.append("  revision \(revision)") }
        if let proposal = invitation["proposal"] as? [String: Any] {
            lines.append("  proposed instead: \(span(proposal["start_time"], proposal["end_time"]))")
        }
        if let link = invitation["web_link"] as? String { lines.append("  join: \(link)") }
        if let problem = invitation["problem"] as? [String: Any], let message = problem["message"] as? String {
            lines.append("  note: \(message)")
        }
        return lines.joined(separator: "\n")
    }

    /// "weekly, 10 calls" / "every 2 days, 5 calls".
    static func series(_ series: [String: Any]) -> String {
        let unit = series["freq"] as? String == "daily" ? "day" : "week"
        let every = series["interval"] as? Int ?? 1
        let cadence = every == 1 ? (unit == "day" ? "daily" : "weekly") : "every \(every) \(unit)s"
        return "\(cadence), \(series["count"] as? Int ?? 0) calls"
    }

    func meeting(_ meeting: [String: Any]) -> String {
        let names = (meeting["participants"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        var first = "\(span(meeting["start_time"], meeting["end_time"]))  \"\(meeting["title"] as? String ?? "")\""
        if let series = meeting["recurrence"] as? [String: Any] {
            first += "  (\(Self.series(series)); next: \(span(meeting["next_start_time"], nil)))"
        }
        return [
            first,
            "  with: \(names.joined(separator: " and "))   host: \(meeting["creator_name"] as? String ?? "?")",
            "  join: \(meeting["web_link"] as? String ?? "?")",
            "  id:   \(meeting["id"] as? String ?? "?")",
        ].joined(separator: "\n")
    }
}
