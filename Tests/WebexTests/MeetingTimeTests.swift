import Foundation
import Testing
@testable import WebexSandbox

@Suite("Sandbox time handling")
struct MeetingTimeTests {
    @Test(arguments: [
        ("2026-11-25T13:00:00+01:00", 0.0, 3600),
        ("2026-11-25T12:00:00Z", 0.0, 0),
        ("2026-11-25T12:00Z", 0.0, 0),
        ("2026-11-25T07:00:00.250-05:00", 0.25, -18_000),
    ])
    func parsesOffsets(text: String, fraction: Double, offset: Int) throws {
        let time = try #require(MeetingTime(text))
        let noon = try #require(MeetingTime("2026-11-25T12:00:00Z")).date
        #expect(time.date.timeIntervalSince(noon) == fraction)
        #expect(time.offset == offset)
    }

    @Test(arguments: ["", "2026-13-01T00:00:00Z", "2026-02-30T10:00:00Z", "2026-11-25T25:00:00Z", "next tuesday", "2026-11-25T12:00:00+0100junk"])
    func refusesNonsense(text: String) {
        #expect(MeetingTime(text) == nil)
    }

    @Test func formatsWithTheOffset() throws {
        let date = try #require(MeetingTime("2026-11-25T12:00:00Z")).date
        #expect(MeetingTime.format(date, offset: 0) == "2026-11-25T12:00:00Z")
        #expect(MeetingTime.format(date, offset: 3600) == "2026-11-25T13:00:00+01:00")
        #expect(MeetingTime.format(date, offset: -(9 * 3600 + 30 * 60)) == "2026-11-25T02:30:00-09:30")
    }

    @Test func stripsSecondsAsWebexDoes() throws {
        let now = try #require(MeetingTime("2026-11-25T09:32:16Z")).date
        let body = MeetingDraft.Body(
            title: "T", start: "2026-11-25T11:32:41+01:00", end: "2026-11-25T12:52:28.076+01:00",
            timezone: nil, integrationTags: nil
        )
        let draft = try MeetingDraft(body: body, now: now)
        #expect(draft.startText == "2026-11-25T11:32:00+01:00")
        #expect(draft.endText == "2026-11-25T12:52:00+01:00")
        #expect(draft.timezone == "UTC")
    }

    @Test func aStartInTheCurrentMinuteMovesToTheNext() throws {
        let now = try #require(MeetingTime("2026-11-25T10:32:16Z")).date
        let body = MeetingDraft.Body(
            title: "T", start: "2026-11-25T10:32:28Z", end: "2026-11-25T11:00:00Z", timezone: nil, integrationTags: nil
        )
        let draft = try MeetingDraft(body: body, now: now)
        #expect(draft.startText == "2026-11-25T10:33:00Z")
    }
}
