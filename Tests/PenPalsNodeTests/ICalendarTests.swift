import Testing
@testable import PenPalsNode

/// `.ics` values from other classrooms (titles, names) cannot start a property of
/// their own: TEXT is escaped per RFC 5545, parameters are quoted.
@Suite("iCalendar values are escaped")
struct ICalendarTests {
    @Test(arguments: [
        ("plain", "plain"),
        ("a;b,c\\d", "a\\;b\\,c\\\\d"),
        ("one\r\nURL:https://evil.example", "one\\nURL:https://evil.example"),
        ("cr\rlf\nboth\r\n", "cr\\nlf\\nboth\\n"),
        ("bell\u{07}tab\tdel\u{7F}", "belltab\tdel"),
        ("日本語 é", "日本語 é"),
    ])
    func textValues(_ text: String, _ written: String) {
        #expect(ICalendar.escape(text) == written)
        #expect(!ICalendar.escape(text).contains("\r") && !ICalendar.escape(text).contains("\n"))
    }

    @Test func parametersAreQuotedWithoutQuotesOrControls() {
        #expect(ICalendar.parameter("Room 12; Lincoln: \"A\"\r\nX") == "\"Room 12; Lincoln: AX\"")
    }

    @Test func longLinesFoldAtSeventyFiveOctetsWithoutSplittingACharacter() {
        let line = "SUMMARY:" + String(repeating: "é", count: 60)
        let folded = ICalendar.fold(line)
        for part in folded.components(separatedBy: "\r\n") {
            #expect(part.utf8.count <= 75)
        }
        #expect(folded.replacingOccurrences(of: "\r\n ", with: "") == line)
    }
}
