import Foundation
import PenPalsCore
@testable import PenPalsNode
import PenPalsStore
import Synchronization
import Testing
import WebexSandbox

/// Plays classroom "b" for a lone node "a": opens what a pushes and answers with b's
/// signed clock, announcing `features` (nil: a node of protocol v1 only).
final class ScriptedPeer: PeerTransport {
    let key: NodeKey
    let local: NodeID
    let features: Mutex<[NodeFeature]?>
    /// The bodies of a's events, in the order they arrived.
    let received = Mutex<[EventBody]>([])

    init(key: NodeKey, local: NodeID, features: [NodeFeature]?) {
        self.key = key
        self.local = local
        self.features = Mutex(features)
    }

    func post(_ body: Data, to peer: Classroom, path: String) async throws -> SignedEnvelope {
        let cipher = try ChannelCipher(local: key, peer: local)
        var highest = received.withLock { $0.count }
        if path == "/p2p/v1/events" {
            let batch = try WireJSON.decode(Batch.self, from: body)
            for envelope in batch.events {
                let event = try EventSealing.open(envelope, localID: key.id) { $0 == self.local ? cipher : nil }
                guard event.payload.seq == highest + 1 else { continue }
                received.withLock { $0.append(event.body) }
                highest = event.payload.seq
            }
        }
        let clock = PairClock(author: key.id, peer: local, sent: 0, applied: highest)
        let announced = features.withLock { $0 }
        return ClockMessage(clock: clock, createdAt: Date(), events: path == "/p2p/v1/sync" ? [] : nil,
                            more: path == "/p2p/v1/sync" ? false : nil, features: announced).signed(with: key)
    }
}

@Suite("Meetings that change: reschedule and propose (contract §7.2)")
struct MeetingChangesTests {
    static func invitation(_ network: TestNetwork, _ id: String, at name: String) async throws -> [String: Any] {
        try #require(try await invitations(network, name, query: "?box=all&status=all").first { $0["id"] as? String == id })
    }

    @Test func aRescheduleOfAScheduledInvitationMovesBothNodesAndTheWebexMeetingAtOnce() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.startPair()
            let id = try await network.inviteAndAccept()
            try await expectExactlyOneMeeting(network, for: id)
            // b's acknowledgements have told a that b takes reschedules.
            let before = try #require(await sandboxMeetings(network, for: id).first)

            let start = Date().addingTimeInterval(3 * 86_400).rounded(), end = start.addingTimeInterval(3_600)
            let moved = try await network.api("a", "POST", "/api/webex/invitations/\(id)/reschedule", json: [
                "start_time": Timestamp.format(start), "end_time": Timestamp.format(end), "title": "Seasons, moved",
            ])
            #expect(moved.status == 200, "\(moved.text)")
            let answered = try #require(moved.object["invitation"] as? [String: Any])
            #expect(answered["revision"] as? Int == 1)
            #expect(answered["status"] as? String == "scheduled")
            #expect(answered["start_time"] as? String == Timestamp.format(start))

            try await eventually("b shows the new times and revision") {
                let atB = try await Self.invitation(network, id, at: "b")
                return atB["revision"] as? Int == 1 && atB["start_time"] as? String == Timestamp.format(start)
                    && atB["title"] as? String == "Seasons, moved" && atB["status"] as? String == "scheduled"
            }
            try await eventually("the WebEx meeting has the new times, under its id and link", timeout: .seconds(15)) {
                guard let meeting = await sandboxMeetings(network, for: id).first else { return false }
                return meeting.id == before.id && meeting.webLink == before.webLink && meeting.title == "Seasons, moved"
                    && Timestamp.parse(meeting.start) == start && Timestamp.parse(meeting.end) == end
            }
            #expect(await sandboxMeetings(network, for: id).count == 1, "no second meeting")
            let puts = await network.sandbox.requestLog().filter { $0.method == "PUT" && $0.path.hasPrefix("/v1/meetings/") }
            #expect(puts.map(\.status) == [200], "one PUT")
            try await eventually("the job is done") { try await job(id, at: "a", in: network)?.state == .created }

            // Both meetings lists and calendars carry the revision.
            for name in ["a", "b"] {
                let meetings = try #require(try await network.api(name, "GET", "/api/meetings").object["meetings"] as? [[String: Any]])
                #expect(meetings.first?["revision"] as? Int == 1, "\(name)")
                #expect(meetings.first?["start_time"] as? String == Timestamp.format(start), "\(name)")
                let ics = try await network.api(name, "GET", "/api/meetings/\(id)/calendar.ics")
                #expect(ics.text.contains("SEQUENCE:1\r\n"), "\(name): \(ics.text)")
            }

            // Only the sender reschedules; the receiver proposes.
            let refused = try await network.api("b", "POST", "/api/webex/invitations/\(id)/reschedule", json: [
                "start_time": Timestamp.format(start), "end_time": Timestamp.format(end),
            ])
            #expect(refused.status == 403)
            #expect(refused.errorCode == "not_sender")
        }
    }

    @Test func aProposalShowsOnBothNodesUntilTheSenderReschedulesToAnyTime() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.startPair()
            let id = try await invite(network, from: "a", to: "b")
            try await eventually("b has the invitation") { try await status(of: id, at: "b", in: network) == "pending" }
            let start = Date().addingTimeInterval(4 * 86_400).rounded(), end = start.addingTimeInterval(1_800)
            let times = ["start_time": Timestamp.format(start), "end_time": Timestamp.format(end)]

            // b heard of a's features only through a's pushes until its first sync with a.
            try await eventually("b knows what a takes") {
                try await network.node("b").store.read { try $0.features(of: network.member("a").key.id) } == [.meetingChanges]
            }
            let proposed = try await network.api("b", "POST", "/api/webex/invitations/\(id)/propose", json: times)
            #expect(proposed.status == 200, "\(proposed.text)")
            try await eventually("a shows the proposal") {
                let proposal = try await Self.invitation(network, id, at: "a")["proposal"] as? [String: Any]
                return proposal?["start_time"] as? String == Timestamp.format(start)
            }
            #expect(try await Self.invitation(network, id, at: "a")["status"] as? String == "pending", "status unchanged")
            let wrongSide = try await network.api("a", "POST", "/api/webex/invitations/\(id)/propose", json: times)
            #expect(wrongSide.status == 403)
            #expect(wrongSide.errorCode == "not_receiver")

            // A reschedule to other times than proposed clears the proposal on both nodes.
            let other = start.addingTimeInterval(86_400)
            let moved = try await network.api("a", "POST", "/api/webex/invitations/\(id)/reschedule", json: [
                "start_time": Timestamp.format(other), "end_time": Timestamp.format(other.addingTimeInterval(3_600)),
            ])
            #expect(moved.status == 200, "\(moved.text)")
            try await eventually("both nodes dropped the proposal, at revision 1") {
                let atA = try await Self.invitation(network, id, at: "a")
                let atB = try await Self.invitation(network, id, at: "b")
                return atA["proposal"] is NSNull && atB["proposal"] is NSNull
                    && atA["revision"] as? Int == 1 && atB["revision"] as? Int == 1 && atB["status"] as? String == "pending"
            }
            #expect(await sandboxMeetings(network, for: id).isEmpty, "a pending invitation has no meeting to update")
        }
    }

    @Test func timesAndStatesOutsideTheRulesAreRefusedAndChangeNothing() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.startPair()
            let id = try await invite(network, from: "a", to: "b")
            try await eventually("b has the invitation") { try await status(of: id, at: "b", in: network) == "pending" }
            let soon = Date().addingTimeInterval(86_400).rounded()
            let cases: [([String: Any], String)] = [
                (["start_time": Timestamp.format(soon), "end_time": Timestamp.format(soon.addingTimeInterval(300))], "too_short"),
                (["start_time": Timestamp.format(soon.addingTimeInterval(-2 * 86_400)),
                  "end_time": Timestamp.format(soon.addingTimeInterval(-2 * 86_400 + 3_600))], "start_in_past"),
                (["start_time": "tomorrow", "end_time": Timestamp.format(soon)], "bad_time"),
                (["start_time": Timestamp.format(soon), "end_time": Timestamp.format(soon.addingTimeInterval(3_600)),
                  "title": String(repeating: "x", count: 129)], "title_too_long"),
            ]
            for (body, code) in cases {
                let answer = try await network.api("a", "POST", "/api/webex/invitations/\(id)/reschedule", json: body)
                #expect(answer.status == 400, "\(code): \(answer.text)")
                #expect(answer.errorCode == code)
            }
            #expect(try await Self.invitation(network, id, at: "a")["revision"] as? Int == 0)
            #expect(try await network.api("b", "POST", "/api/webex/invitations/\(id)/decline").status == 200)
            try await eventually("a sees the decline") { try await status(of: id, at: "a", in: network) == "declined" }
            let late = try await network.api("a", "POST", "/api/webex/invitations/\(id)/reschedule", json: [
                "start_time": Timestamp.format(soon), "end_time": Timestamp.format(soon.addingTimeInterval(3_600)),
            ])
            #expect(late.status == 409)
            #expect(late.errorCode == "wrong_state")
        }
    }

    @Test func aPeerOfProtocolV1GetsNoRescheduleAndOneThatAnnouncesItDoes() async throws {
        let keyA = NodeKey.generate(), keyB = NodeKey.generate()
        let peer = ScriptedPeer(key: keyB, local: keyA.id, features: nil)
        let node = try await ClassroomNode.lone(key: keyA, peer: keyB, transport: peer)
        let start = Date().addingTimeInterval(2 * 86_400).rounded()
        let invitation = try await node.invite(classroom: "b", title: "Pen pals", start: start, end: start.addingTimeInterval(3_600))
        _ = try await node.syncNow(peer: "b")
        #expect(try await node.store.read { try $0.peer(keyB.id) }?.acked == 1, "b acknowledged the invitation")
        #expect(try await node.store.read { try $0.features(of: keyB.id) } == [], "heard, and announcing nothing")

        let later = start.addingTimeInterval(86_400)
        await #expect(throws: InvitationRefusal.partnerOutdated(name: "B", action: "reschedule")) {
            try await node.reschedule(invitation.id, title: nil, start: later, end: later.addingTimeInterval(3_600))
        }
        let unchanged = try #require(try await node.store.read { try $0.invitation(invitation.id) })
        #expect(unchanged.revision == 0 && unchanged.startTime == start)
        #expect(try await node.store.read { try $0.peer(keyB.id) }?.sent == 1, "no event was made")

        // b's node is updated: its next clock announces the feature, and a reschedule goes to it.
        peer.features.withLock { $0 = NodeFeature.supported }
        _ = try await node.syncNow(peer: "b")
        #expect(try await node.store.read { try $0.features(of: keyB.id) } == [.meetingChanges])
        let moved = try await node.reschedule(invitation.id, title: nil, start: later, end: later.addingTimeInterval(3_600))
        #expect(moved.revision == 1)
        _ = try await node.syncNow(peer: "b")
        #expect(peer.received.withLock { $0.count } == 2, "b received the reschedule")
        guard case .reschedule(let change) = try #require(peer.received.withLock { $0.last }) else {
            Issue.record("not a reschedule: \(peer.received.withLock { $0 })")
            return
        }
        #expect(change == Reschedule(invitationID: invitation.id, revision: 1, title: "Pen pals",
                                     startTime: Timestamp.format(later), endTime: Timestamp.format(later.addingTimeInterval(3_600))))
    }

    @Test func anEventOfATypeThisNodeDoesNotKnowIsStoredAcknowledgedAndTheChannelGoesOn() async throws {
        let keyA = NodeKey.generate(), keyB = NodeKey.generate()
        let node = try await ClassroomNode.lone(key: keyA, peer: keyB, transport: NoNetwork())
        let cipher = try ChannelCipher(local: keyB, peer: keyA.id)
        let invitationID = UUID()
        let start = Date().addingTimeInterval(2 * 86_400).rounded()
        // A newer node's event (a sticker on the invitation), then an invitation.
        let sticker = EventSealing.seal(.unknown(type: try #require(EventType(rawValue: "sticker")),
                                                 json: Data(#"{"invitation_id":"\#(invitationID.lowercasedString)","emoji":"🐧"}"#.utf8)),
                                        seq: 1, applied: 0, createdAt: Date(), key: keyB, cipher: cipher)
        let offer = InvitationOffer(invitationID: invitationID, title: "From the future", startTime: Timestamp.format(start),
                                    endTime: Timestamp.format(start.addingTimeInterval(3_600)))
        let invite = EventSealing.seal(.invitation(offer), seq: 2, applied: 0, createdAt: Date(), key: keyB, cipher: cipher)

        let ack = try await node.receive([sticker.envelope, invite.envelope])
        let (_, clock) = try ClockMessage.open(ack, expectedAuthor: keyA.id, localID: keyB.id) { $0 == keyA.id }
        #expect(clock.applied == 2, "both acknowledged: the unknown type holds nothing up")
        let stored = try await node.store.read { try $0.storedEnvelopes(author: keyB.id, recipient: keyA.id, from: 1, to: 2) }
        #expect(stored[1] == sticker.envelope.jsonData, "stored as it came")
        let listed = try await node.invitations(.init(box: .received, statuses: nil))
        #expect(listed.map(\.id) == [invitationID])
        #expect(listed.first?.title == "From the future")
        // The same batch again is a repeat, acknowledged alike.
        let again = try await node.receive([sticker.envelope, invite.envelope])
        #expect(try ClockMessage.open(again, expectedAuthor: keyA.id, localID: keyB.id) { $0 == keyA.id }.1.applied == 2)
    }
}

extension Date {
    /// To the whole minute (as a teacher picks times, and as WebEx answers them).
    func rounded() -> Date { Date(timeIntervalSince1970: (timeIntervalSince1970 / 60).rounded() * 60) }
}

@Suite("A weekly series of calls (contract §7.2)")
struct SeriesTests {
    @Test func aWeeklySeriesIsOneWebexSeriesListedOnceWithItsNextCall() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.startPair()
            let start = Date().addingTimeInterval(2 * 86_400).rounded(), end = start.addingTimeInterval(3_600)
            let made = try await network.api("a", "POST", "/api/webex/meeting", json: [
                "classroom_id": "b", "title": "Term of pen pals", "start_time": Timestamp.format(start), "end_time": Timestamp.format(end),
                "recurrence": ["freq": "weekly", "count": 10],
            ])
            #expect(made.status == 201, "\(made.text)")
            let invitation = try #require(made.object["invitation"] as? [String: Any])
            let id = try #require(invitation["id"] as? String)
            #expect(invitation["recurrence"] as? [String: Int] == nil)
            #expect((invitation["recurrence"] as? [String: Any])?["interval"] as? Int == 1)
            try await eventually("b has the series") {
                let atB = try await invitations(network, "b", query: "?box=all&status=all").first { $0["id"] as? String == id }
                return (atB?["recurrence"] as? [String: Any])?["count"] as? Int == 10
            }
            let accepted = try await network.api("b", "POST", "/api/webex/invitations/\(id)/accept")
            #expect([200, 202].contains(accepted.status))
            try await expectExactlyOneMeeting(network, for: id)
            let webex = try #require(await sandboxMeetings(network, for: id).first)
            #expect(webex.recurrence == "FREQ=WEEKLY;INTERVAL=1;COUNT=10")

            for name in ["a", "b"] {
                let meetings = try #require(try await network.api(name, "GET", "/api/meetings").object["meetings"] as? [[String: Any]])
                #expect(meetings.count == 1, "\(name): a series is listed once")
                #expect(meetings.first?["next_start_time"] as? String == Timestamp.format(start), "\(name)")
                #expect((meetings.first?["recurrence"] as? [String: Any])?["freq"] as? String == "weekly", "\(name)")
                let ics = try await network.api(name, "GET", "/api/meetings/\(id)/calendar.ics")
                #expect(ics.text.contains("RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=10\r\n"), "\(name)")
            }

            // A reschedule moves the series: the PUT carries the rule again (a PUT replaces).
            let later = start.addingTimeInterval(86_400)
            let moved = try await network.api("a", "POST", "/api/webex/invitations/\(id)/reschedule", json: [
                "start_time": Timestamp.format(later), "end_time": Timestamp.format(later.addingTimeInterval(3_600)),
            ])
            #expect(moved.status == 200, "\(moved.text)")
            try await eventually("the series moved at WebEx, still a series", timeout: .seconds(15)) {
                guard let meeting = await sandboxMeetings(network, for: id).first else { return false }
                return meeting.startDate == later && meeting.recurrence == "FREQ=WEEKLY;INTERVAL=1;COUNT=10"
            }
        }
    }

    @Test func aSeriesOutsideTheLimitsIsRefused() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.startPair()
            let start = Date().addingTimeInterval(2 * 86_400).rounded()
            for series in [["freq": "monthly", "count": 3], ["freq": "weekly", "count": 1], ["freq": "weekly", "count": 53],
                           ["freq": "daily", "interval": 5, "count": 3]] as [[String: Any]] {
                let answer = try await network.api("a", "POST", "/api/webex/meeting", json: [
                    "classroom_id": "b", "title": "Term", "start_time": Timestamp.format(start),
                    "end_time": Timestamp.format(start.addingTimeInterval(3_600)), "recurrence": series,
                ])
                #expect(answer.status == 400, "\(series): \(answer.text)")
                #expect(answer.errorCode == "bad_recurrence")
            }
            #expect(try await invitations(network, "a", query: "?box=all&status=all").isEmpty, "nothing was made")
        }
    }
}

@Suite("A group of classrooms on one call (contract §7.2)")
struct GroupTests {
    func invitation(_ network: TestNetwork, _ id: String, at name: String) async throws -> [String: Any]? {
        try await invitations(network, name, query: "?box=all&status=all").first { $0["id"] as? String == id }
    }

    func meetings(_ network: TestNetwork, at name: String) async throws -> [[String: Any]] {
        try await network.api(name, "GET", "/api/meetings").object["meetings"] as? [[String: Any]] ?? []
    }

    @Test func threeClassroomsShareOneWebexMeetingThatGrowsShrinksAndGoesWithTheLast() async throws {
        try await TestNetwork.with(["a", "b", "c"]) { network in
            try await network.startPair()
            try await network.start("c")
            let start = Date().addingTimeInterval(2 * 86_400).rounded()
            let made = try await network.api("a", "POST", "/api/webex/meeting", json: [
                "classroom_ids": ["b", "c"], "title": "Three schools", "start_time": Timestamp.format(start),
                "end_time": Timestamp.format(start.addingTimeInterval(3_600)),
            ])
            #expect(made.status == 201, "\(made.text)")
            let sent = try #require(made.object["invitations"] as? [[String: Any]])
            #expect(sent.count == 2)
            let group = try #require(sent.first?["group_id"] as? String)
            #expect(sent.allSatisfy { $0["group_id"] as? String == group })
            let (toB, toC) = (try #require(sent[0]["id"] as? String), try #require(sent[1]["id"] as? String))
            for (name, id) in [("b", toB), ("c", toC)] {
                try await eventually("\(name) has its invitation of the group") {
                    try await invitation(network, id, at: name)?["group_id"] as? String == group
                }
            }

            // b accepts: one meeting for the group; c accepts: the same meeting, no second.
            #expect([200, 202].contains(try await network.api("b", "POST", "/api/webex/invitations/\(toB)/accept").status))
            try await eventually("b is scheduled", timeout: .seconds(15)) { try await status(of: toB, at: "b", in: network) == "scheduled" }
            #expect([200, 202].contains(try await network.api("c", "POST", "/api/webex/invitations/\(toC)/accept").status))
            try await eventually("c is scheduled", timeout: .seconds(15)) { try await status(of: toC, at: "c", in: network) == "scheduled" }
            let webex = await network.sandbox.meetings().filter { $0.integrationTags.contains("penpals-\(group)") }
            #expect(webex.count == 1, "one WebEx meeting for the group")
            #expect(await network.sandbox.requestLog().filter { $0.method == "POST" && $0.path == "/v1/meetings" }.count == 1)
            let link = try #require(webex.first?.webLink)
            let ids = [network.member("a"), network.member("b"), network.member("c")].map(\.key.id.rawValue)
            for name in ["a", "b", "c"] {
                try await eventually("\(name) lists the group's meeting once, with all three classrooms") {
                    let listed = try await meetings(network, at: name)
                    let people = (listed.first?["participants"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                    // The sender first, then the classrooms in the group's order (by invitation id).
                    return listed.count == 1 && listed.first?["id"] as? String == group && listed.first?["web_link"] as? String == link
                        && people.first == ids[0] && Set(people) == Set(ids) && people.count == 3
                }
            }
            #expect(try await meetings(network, at: "a").first?["invitation_ids"] as? [String] == [toB, toC].sorted())

            // A reschedule of one moves the group: both invitations, one PUT.
            let later = start.addingTimeInterval(86_400)
            let moved = try await network.api("a", "POST", "/api/webex/invitations/\(toB)/reschedule", json: [
                "start_time": Timestamp.format(later), "end_time": Timestamp.format(later.addingTimeInterval(3_600)),
            ])
            #expect(moved.status == 200, "\(moved.text)")
            for (name, id) in [("b", toB), ("c", toC)] {
                try await eventually("\(name) is at revision 1") { try await invitation(network, id, at: name)?["revision"] as? Int == 1 }
            }
            try await eventually("the group's meeting moved at WebEx", timeout: .seconds(15)) {
                await network.sandbox.meetings().first { $0.integrationTags.contains("penpals-\(group)") }?.startDate == later
            }
            #expect(await network.sandbox.requestLog().filter { $0.method == "PUT" }.count == 1, "one PUT for the group")

            // b leaves: the meeting stays for a and c, whose lists drop b.
            #expect(try await network.api("b", "POST", "/api/webex/invitations/\(toB)/cancel").status == 200)
            try await eventually("a and c list two classrooms") {
                for name in ["a", "c"] {
                    let people = (try await meetings(network, at: name).first?["participants"] as? [[String: Any]] ?? [])
                    guard people.count == 2 else { return false }
                }
                return true
            }
            #expect(await network.sandbox.meetings().contains { $0.integrationTags.contains("penpals-\(group)") }, "still there for c")
            // c leaves too: the last one, so the meeting is deleted at WebEx.
            #expect(try await network.api("c", "POST", "/api/webex/invitations/\(toC)/cancel").status == 200)
            try await eventually("the group's meeting is deleted", timeout: .seconds(15)) {
                await !network.sandbox.meetings().contains { $0.integrationTags.contains("penpals-\(group)") }
            }
            #expect(try await meetings(network, at: "a").isEmpty)
        }
    }

    @Test func theMeetingGoesWhenTheLastClassroomDeclinesAfterTheOnlyAcceptanceLeft() async throws {
        try await TestNetwork.with(["a", "b", "c"]) { network in
            try await network.startPair()
            try await network.start("c")
            let start = Date().addingTimeInterval(2 * 86_400).rounded()
            let made = try await network.api("a", "POST", "/api/webex/meeting", json: [
                "classroom_ids": ["b", "c"], "title": "Two maybe", "start_time": Timestamp.format(start),
                "end_time": Timestamp.format(start.addingTimeInterval(3_600)),
            ])
            let sent = try #require(made.object["invitations"] as? [[String: Any]])
            let (toB, toC) = (try #require(sent[0]["id"] as? String), try #require(sent[1]["id"] as? String))
            let group = try #require(sent[0]["group_id"] as? String)
            try await eventually("b and c have it") {
                let (atB, atC) = (try await status(of: toB, at: "b", in: network), try await status(of: toC, at: "c", in: network))
                return atB == "pending" && atC == "pending"
            }
            #expect([200, 202].contains(try await network.api("b", "POST", "/api/webex/invitations/\(toB)/accept").status))
            try await eventually("the group's meeting exists", timeout: .seconds(15)) {
                await network.sandbox.meetings().contains { $0.integrationTags.contains("penpals-\(group)") }
            }
            // b leaves; c (still pending, with no job of its own) may still come: the meeting stays.
            #expect(try await network.api("b", "POST", "/api/webex/invitations/\(toB)/cancel").status == 200)
            try await eventually("a sees b leave") { try await status(of: toB, at: "a", in: network) == "cancelled" }
            #expect(await network.sandbox.meetings().contains { $0.integrationTags.contains("penpals-\(group)") })
            // c declines: nobody is left, and the meeting goes.
            #expect(try await network.api("c", "POST", "/api/webex/invitations/\(toC)/decline").status == 200)
            try await eventually("the group's meeting is deleted", timeout: .seconds(15)) {
                await !network.sandbox.meetings().contains { $0.integrationTags.contains("penpals-\(group)") }
            }
        }
    }

    @Test func aGroupNamesTwoToEightDistinctPartners() async throws {
        try await TestNetwork.with(["a", "b", "c"]) { network in
            try await network.startPair()
            let start = Date().addingTimeInterval(2 * 86_400).rounded()
            for (ids, code) in [(["b"], "bad_group"), (["b", "b"], "bad_group"), (["b", "nobody"], "unknown_classroom"), (["b", "a"], "cannot_invite_self")] {
                let answer = try await network.api("a", "POST", "/api/webex/meeting", json: [
                    "classroom_ids": ids, "title": "Group", "start_time": Timestamp.format(start),
                    "end_time": Timestamp.format(start.addingTimeInterval(3_600)),
                ])
                #expect(answer.status == 400, "\(ids): \(answer.text)")
                #expect(answer.errorCode == code, "\(ids)")
            }
            #expect(try await invitations(network, "a", query: "?box=all&status=all").isEmpty)
        }
    }
}
