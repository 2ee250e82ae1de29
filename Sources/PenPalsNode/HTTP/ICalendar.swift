import Foundation
import PenPalsCore

/// A meeting as an iCalendar (RFC 5545) file for the teacher's calendar.
enum ICalendar {
    static func document(for meeting: MeetingView, organizer: String, now: Date) -> String {
        // Every node checks a join link before it stores one; one stored before that
        // check existed is left out rather than written into a property unchecked.
        let link = MeetingNotice.linkProblem(meeting.meeting.webLink) == nil ? meeting.meeting.webLink : nil
        let lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//PenPals//PenPals node//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "BEGIN:VEVENT",
            "UID:\(meeting.meeting.id.lowercasedString)@penpals",
            "DTSTAMP:\(stamp(now))",
            // The invitation's revision: a calendar replaces the event it holds with a higher one.
            "SEQUENCE:\(meeting.meeting.revision)",
            "DTSTART:\(stamp(meeting.meeting.startTime))",
            "DTEND:\(stamp(meeting.meeting.endTime))",
        ] + (meeting.meeting.recurrence.map { ["RRULE:\($0.rrule)"] } ?? []) + [
            "SUMMARY:\(escape(meeting.meeting.title))",
            "DESCRIPTION:\(escape("PenPals call with \(meeting.participants.map(\.name).joined(separator: " and ")). Join: \(link ?? "")"))",
        ] + (link.map { ["LOCATION:\(escape($0))", "URL:\($0)"] } ?? []) + [
            "ORGANIZER;CN=\(parameter(organizer)):urn:penpals:\(meeting.meeting.creatorID.rawValue)",
            "END:VEVENT",
            "END:VCALENDAR",
        ]
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    /// `20261201T150000Z`
    static func stamp(_ date: Date) -> String {
        Timestamp.format(date).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    }

    /// A TEXT value (RFC 5545 §3.3.11): backslash, semicolon and comma escaped, a line
    /// break (CR LF, LF or CR) written `\n`, and other control characters, which TEXT
    /// may not hold, left out (a tab stays).
    static func escape(_ text: String) -> String {
        var out = ""
        var scalars = text.unicodeScalars.makeIterator()
        var pending = scalars.next()
        while let scalar = pending {
            pending = scalars.next()
            switch scalar {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\r":
                out += "\\n"
                if pending == "\n" { pending = scalars.next() }
            case "\n": out += "\\n"
            case "\t": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A parameter value (RFC 5545 §3.1): quoted, without the quotes and control
    /// characters a quoted value may not hold.
    static func parameter(_ text: String) -> String {
        "\"" + String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\"" && $0.value >= 0x20 && $0.value != 0x7F })) + "\""
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
