import Foundation
import Testing
@testable import PenPalsCore

@Suite("Recurrence: a series of calls")
struct RecurrenceTests {
    @Test("a weekly series keeps its local time across a daylight-saving change, as WebEx keeps it")
    func localTimeKept() throws {
        // 15:00 in Chicago on 2026-10-22 (CDT, UTC-5); clocks go back on 2026-11-01.
        let first = try #require(Timestamp.parse("2026-10-22T15:00:00-05:00"))
        let series = Recurrence(freq: .weekly, interval: 1, count: 4, timezone: "America/Chicago")
        #expect(Timestamp.format(series.occurrence(1, from: first)) == "2026-10-29T20:00:00Z")
        #expect(Timestamp.format(series.occurrence(2, from: first)) == "2026-11-05T21:00:00Z", "15:00 CST")
        #expect(Timestamp.format(series.lastEnd(start: first, end: first.addingTimeInterval(3600))) == "2026-11-12T22:00:00Z")
        #expect(series.rrule == "FREQ=WEEKLY;INTERVAL=1;COUNT=4")
        let daily = Recurrence(freq: .daily, interval: 2, count: 3)
        #expect(Timestamp.format(daily.occurrence(2, from: first)) == "2026-10-26T20:00:00Z", "UTC without a zone")
    }

    @Test("the next call is the first not over yet, and none once the last has ended")
    func nextStart() throws {
        let first = try #require(Timestamp.parse("2026-12-01T15:00:00Z"))
        let end = first.addingTimeInterval(3600)
        let series = Recurrence(freq: .weekly, interval: 2, count: 3)
        #expect(series.nextStart(start: first, end: end, now: first.addingTimeInterval(-86_400)) == first)
        #expect(series.nextStart(start: first, end: end, now: first.addingTimeInterval(1800)) == first, "in progress")
        #expect(series.nextStart(start: first, end: end, now: end) == first.addingTimeInterval(14 * 86_400))
        #expect(series.nextStart(start: first, end: end, now: first.addingTimeInterval(20 * 86_400)) == first.addingTimeInterval(28 * 86_400))
        #expect(series.nextStart(start: first, end: end, now: first.addingTimeInterval(28 * 86_400 + 3600)) == nil)
        let meeting = Meeting(id: UUID(), invitationID: UUID(), title: "t", startTime: first, endTime: end, webLink: "https://x",
                              webexMeetingID: "m", creatorID: NodeKey.generate().id, participants: [], recurrence: series)
        #expect(meeting.lastEnd == first.addingTimeInterval(28 * 86_400 + 3600))
    }

    @Test("interval 1-4, 2-52 calls, a real zone; else a bad_recurrence", arguments: [
        (Recurrence(freq: .weekly, interval: 1, count: 2), true), (Recurrence(freq: .daily, interval: 4, count: 52), true),
        (Recurrence(freq: .weekly, interval: 0, count: 10), false), (Recurrence(freq: .weekly, interval: 5, count: 10), false),
        (Recurrence(freq: .weekly, interval: 1, count: 1), false), (Recurrence(freq: .weekly, interval: 1, count: 53), false),
        (Recurrence(freq: .weekly, interval: 1, count: 10, timezone: "Mars/Olympus"), false),
    ])
    func limits(series: Recurrence, valid: Bool) {
        #expect((series.violation == nil) == valid)
        #expect(series.violation.map { $0.code == "bad_recurrence" } ?? true)
    }

    @Test("an invitation body with a series reads the same through every reader, and without one as before")
    func offerOnTheWire() throws {
        let offer = InvitationOffer(invitationID: UUID(uuidString: "01a21293-b600-7927-8a50-341bb8e83734")!, title: "Term",
                                    startTime: "2026-12-01T15:00:00Z", endTime: "2026-12-01T16:00:00Z",
                                    recurrence: Recurrence(freq: .weekly, interval: 1, count: 10, timezone: "Asia/Tokyo"))
        let written = WireJSON.encode(offer)
        #expect(String(decoding: written, as: UTF8.self)
                == #"{"end_time":"2026-12-01T16:00:00Z","invitation_id":"01a21293-b600-7927-8a50-341bb8e83734","recurrence":{"count":10,"freq":"weekly","interval":1,"timezone":"Asia/Tokyo"},"start_time":"2026-12-01T15:00:00Z","title":"Term"}"#)
        #expect(try EventBody.decode(type: .invitation, from: written) == .invitation(offer))
        #expect(try JSONDecoder().decode(InvitationOffer.self, from: written) == offer)
        #expect(InvitationOffer(exactJSON: written) == nil, "not the exact form of a one-off: left to the other readers")
        var single = offer
        single.recurrence = nil
        #expect(try EventBody.decode(type: .invitation, from: WireJSON.encode(single)) == .invitation(single))
        let bad = String(decoding: written, as: UTF8.self).replacingOccurrences(of: #""count":10"#, with: #""count":99"#)
        #expect(throws: (any Error).self) { try EventBody.decode(type: .invitation, from: Data(bad.utf8)) }
    }
}
