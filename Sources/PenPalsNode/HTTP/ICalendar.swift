import Foundation
import PenPalsCore

/// A meeting as an iCalendar (RFC 5545) file for the teacher's calendar.
enum ICalendar {
    static func document(for meeting: MeetingView, organizer: String, now: Date) -> String {
        let lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//PenPals//PenPals node//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "BEGIN:VEVENT",
            "UID:\(meeting.meeting.id.lowercasedString)@penpals",
            "DTSTAMP:\(stamp(now))",
            "DTSTART:\(stamp(meeting.meeting.startTime))",
            "DTEND:\(stamp(meeting.meeting.endTime))",
            "SUMMARY:\(escape(meeting.meeting.title))",
            "DESCRIPTION:\(escape("PenPals call with \(meeting.participants.map(\.name).joined(separator: " and ")). Join: \(meeting.meeting.webLink)"))",
            "LOCATION:\(escape(meeting.meeting.webLink))",
            "URL:\(meeting.meeting.webLink)",
            "ORGANIZER;CN=\(escape(organizer)):urn:penpals:\(meeting.meeting.creatorID.rawValue)",
            "END:VEVENT",
            "END:VCALENDAR",
        ]
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    /// `20261201T150000Z`
    static func stamp(_ date: Date) -> String {
        Timestamp.format(date).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: ";", with: "\\;")
            .replacingOccurrences(of: ",", with: "\\,")
            .replacingOccurrences(of: "\r\n", with: "\\n")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Lines longer than 75 octets continue on the next line after a space, never inside a character.
    static func fold(_ line: String) -> String {
        var result = ""
        var current = 0
        for character in line {
            let size = String(character).utf8.count
            if current + size > 75 {
                result += "\r\n "
                current = 1
            }
            result.append(character)
            current += size
        }
        return result
    }
}
