import Foundation
import PenPalsCore
@testable import PenPalsNode
import Testing

/// The times a sender's node gives WebEx carry, at each instant, the offset of
/// the zone it names, on both sides of a daylight-saving change. No network.
@Suite("Meeting times across daylight-saving changes")
struct DaylightSavingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var zone: String
        var start: String
        var end: String
        var localStart: String
        var localEnd: String
        var testDescription: String { "\(zone) \(start)–\(end)" }
    }

    static let cases: [Case] = [
        // America/Chicago: 02:00 CDT → 01:00 CST on 1 November 2026 (07:00 UTC); 01:30 happens twice.
        Case(zone: "America/Chicago", start: "2026-11-01T06:30:00Z", end: "2026-11-01T06:50:00Z",
             localStart: "2026-11-01T01:30:00-05:00", localEnd: "2026-11-01T01:50:00-05:00"),
        Case(zone: "America/Chicago", start: "2026-11-01T07:30:00Z", end: "2026-11-01T07:50:00Z",
             localStart: "2026-11-01T01:30:00-06:00", localEnd: "2026-11-01T01:50:00-06:00"),
        Case(zone: "America/Chicago", start: "2026-11-01T06:00:00Z", end: "2026-11-01T08:00:00Z",
             localStart: "2026-11-01T01:00:00-05:00", localEnd: "2026-11-01T02:00:00-06:00"),
        // Europe/Oslo: 03:00 CEST → 02:00 CET on 25 October 2026 (01:00 UTC); 02:30 happens twice.
        Case(zone: "Europe/Oslo", start: "2026-10-25T00:30:00Z", end: "2026-10-25T00:45:00Z",
             localStart: "2026-10-25T02:30:00+02:00", localEnd: "2026-10-25T02:45:00+02:00"),
        Case(zone: "Europe/Oslo", start: "2026-10-25T01:30:00Z", end: "2026-10-25T01:45:00Z",
             localStart: "2026-10-25T02:30:00+01:00", localEnd: "2026-10-25T02:45:00+01:00"),
        Case(zone: "Europe/Oslo", start: "2026-10-25T00:00:00Z", end: "2026-10-25T02:00:00Z",
             localStart: "2026-10-25T02:00:00+02:00", localEnd: "2026-10-25T03:00:00+01:00"),
        // Spring forward: America/Chicago 14 March 2027, 02:00 CST → 03:00 CDT (08:00 UTC).
        Case(zone: "America/Chicago", start: "2027-03-14T07:30:00Z", end: "2027-03-14T08:30:00Z",
             localStart: "2027-03-14T01:30:00-06:00", localEnd: "2027-03-14T03:30:00-05:00"),
    ]

    @Test(arguments: cases)
    func timestampCarriesTheOffsetOfItsZoneAtThatInstant(_ sample: Case) throws {
        let zone = try #require(TimeZone(identifier: sample.zone))
        let start = try #require(Timestamp.parse(sample.start))
        let end = try #require(Timestamp.parse(sample.end))
        #expect(Timestamp.format(start, in: zone) == sample.localStart)
        #expect(Timestamp.format(end, in: zone) == sample.localEnd)
        #expect(Timestamp.parse(Timestamp.format(start, in: zone)) == start, "the same instant")
        #expect(Timestamp.parse(Timestamp.format(end, in: zone)) == end)
    }

    @Test(arguments: cases)
    func newWebexMeetingSendsTheZoneItsOffsetsBelongTo(_ sample: Case) throws {
        let zone = try #require(TimeZone(identifier: sample.zone))
        let invitation = Invitation(id: UUID(), title: "Across the change",
                                    startTime: try #require(Timestamp.parse(sample.start)),
                                    endTime: try #require(Timestamp.parse(sample.end)),
                                    senderID: NodeKey.generate().id, receiverID: NodeKey.generate().id,
                                    status: .accepted, createdAt: Date())
        let meeting = ClassroomNode.newWebexMeeting(for: invitation, in: zone)
        #expect(meeting.start == sample.localStart)
        #expect(meeting.end == sample.localEnd)
        #expect(meeting.timezone == sample.zone)
        #expect(meeting.integrationTag == "penpals-\(invitation.id.uuidString.lowercased())")
        try expectOffsetsAgree(start: meeting.start, end: meeting.end, zone: meeting.timezone)
    }
}
