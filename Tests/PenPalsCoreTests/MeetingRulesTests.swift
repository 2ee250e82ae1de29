import Foundation
import Testing
@testable import PenPalsCore

@Suite("MeetingRules")
struct MeetingRulesTests {
    let now = december1
    var start: Date { now.addingTimeInterval(86400) }

    func code(title: String = "Pen pals", start: Date? = nil, duration: TimeInterval = 3600) -> String? {
        let start = start ?? self.start
        return MeetingRules.check(title: title, start: start, end: start.addingTimeInterval(duration), now: now)?.code
    }

    @Test("a good meeting passes")
    func good() {
        #expect(code() == nil)
    }

    @Test("an empty or blank title is refused", arguments: ["", " ", "   \n\t "])
    func emptyTitle(title: String) {
        #expect(code(title: title) == "title_empty")
    }

    @Test("a title of 128 characters passes, 129 is refused")
    func titleLength() {
        #expect(code(title: String(repeating: "a", count: 128)) == nil)
        #expect(code(title: String(repeating: "a", count: 129)) == "title_too_long")
        #expect(code(title: String(repeating: "é", count: 128)) == nil)
        let violation = MeetingRules.check(title: String(repeating: "a", count: 129), start: start,
                                           end: start.addingTimeInterval(3600), now: now)
        #expect(violation?.message.contains("129") == true)
    }

    @Test("an end not after the start is refused")
    func endNotAfterStart() {
        #expect(code(duration: 0) == "end_not_after_start")
        #expect(code(duration: -600) == "end_not_after_start")
    }

    static let badDurations: [(Double, String)] = [
        (1, "too_short"), (540, "too_short"), (599, "too_short"),
        (86_400, "too_long"), (86_341, "too_long"),
    ]

    @Test("durations outside 10 minutes to 23 hours 59 minutes are refused", arguments: badDurations)
    func badDuration(duration: Double, expected: String) {
        #expect(code(duration: duration) == expected)
    }

    @Test("durations of exactly 10 minutes and 23 hours 59 minutes pass", arguments: [600.0, 86_340.0])
    func boundaryDurations(duration: Double) {
        #expect(code(duration: duration) == nil)
    }

    @Test("a start in the past or right now is refused")
    func startInPast() {
        #expect(code(start: now.addingTimeInterval(-60)) == "start_in_past")
        #expect(code(start: now) == "start_in_past")
        #expect(code(start: now.addingTimeInterval(1)) == nil)
    }

    @Test("messages are sentences a teacher can act on")
    func messages() throws {
        let short = try #require(MeetingRules.check(title: "x", start: start, end: start.addingTimeInterval(9 * 60), now: now))
        #expect(short.message.contains("9 min"))
        let long = try #require(MeetingRules.check(title: "x", start: start, end: start.addingTimeInterval(25 * 3600), now: now))
        #expect(long.message.contains("25 h 0 min"))
    }
}
