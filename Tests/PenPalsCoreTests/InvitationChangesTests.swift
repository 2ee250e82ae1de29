import Foundation
import Testing
@testable import PenPalsCore

/// Reschedules and proposals (contract §7.2) without a store: who may, in which
/// statuses, what each node keeps, and how crossing changes end.
@Suite("InvitationMachine: reschedule and propose")
struct InvitationChangesTests {
    let sender = NodeKey.generate().id, receiver = NodeKey.generate().id
    let start = december1, end = december1.addingTimeInterval(3600)
    let before = december1.addingTimeInterval(-86400)
    var later: Date { start.addingTimeInterval(86_400) }

    func at(_ node: NodeID) -> InvitationMachine.Context {
        InvitationMachine.Context(localID: node, localName: node == sender ? "Room A" : "Room B", now: before)
    }

    func invitation(_ status: InvitationStatus, revision: Int = 0) -> Invitation {
        Invitation(id: UUID(uuidString: "00000000-0000-7000-8000-000000000002")!, title: "Hello", startTime: start, endTime: end,
                   senderID: sender, receiverID: receiver, status: status, createdAt: before, revision: revision)
    }

    @Test("the sender reschedules in pending, accepted and scheduled only; the status stays and the job follows the meeting",
          arguments: InvitationStatus.allCases)
    func reschedule(status: InvitationStatus) throws {
        let current = invitation(status, revision: 2)
        guard InvitationStatus.changeable.contains(status) else {
            #expect(throws: InvitationRefusal.wrongState(status, action: "reschedule")) {
                try InvitationMachine.reschedule(current, title: nil, start: later, end: later.addingTimeInterval(1800), in: at(sender))
            }
            return
        }
        let change = try InvitationMachine.reschedule(current, title: "Moved", start: later, end: later.addingTimeInterval(1800), in: at(sender))
        let moved = try #require(change.invitation)
        #expect(moved.status == status)
        #expect(moved.revision == 3 && moved.title == "Moved" && moved.startTime == later)
        #expect(change.send == [.reschedule(Reschedule(invitationID: current.id, revision: 3, status: status, title: "Moved",
                                                       startTime: Timestamp.format(later),
                                                       endTime: Timestamp.format(later.addingTimeInterval(1800))))])
        #expect(change.meetingRevised)
        #expect(change.job == (status == .pending ? nil : .update(revision: 3)))
        #expect(throws: InvitationRefusal.notSender(action: "reschedule")) {
            try InvitationMachine.reschedule(current, title: nil, start: later, end: later.addingTimeInterval(1800), in: at(receiver))
        }
    }

    @Test("the receiver adopts the highest revision whatever crossed it, and an older one changes nothing")
    func receiveReschedule() {
        let event = Reschedule(invitationID: invitation(.pending).id, revision: 2, title: "Moved",
                               startTime: Timestamp.format(later), endTime: Timestamp.format(later.addingTimeInterval(3600)))
        for status in InvitationStatus.allCases {
            var mine = invitation(status, revision: 1)
            mine.proposal = TimeRange(start: later, end: later.addingTimeInterval(60))
            let change = InvitationMachine.receive(.reschedule(event), from: sender, createdAt: before, existing: mine, in: at(receiver))
            let adopted = change.invitation
            #expect(adopted?.revision == 2 && adopted?.startTime == later && adopted?.title == "Moved", "\(status)")
            #expect(adopted?.proposal == nil, "\(status): the proposal is answered")
            // Expired on this node's clock: the sender's new times make it pending again.
            #expect(adopted?.status == (status == .expired ? .pending : status), "\(status)")
        }
        // The sender had accepted (this node's accept reached it): an own-clock expiry takes that up again.
        var ofAccepted = event
        ofAccepted.status = .accepted
        let resumed = InvitationMachine.receive(.reschedule(ofAccepted), from: sender, createdAt: before,
                                                existing: invitation(.expired, revision: 1), in: at(receiver))
        #expect(resumed.invitation?.status == .accepted)
        // Pending again here while the sender took this node's crossing accept: its meeting_failed says so.
        let waiting = MeetingFailure(invitationID: event.invitationID, code: "webex_not_connected", message: "Waiting", retrying: true)
        let caughtUp = InvitationMachine.receive(.meetingFailed(waiting), from: sender, createdAt: before,
                                                 existing: invitation(.pending, revision: 2), in: at(receiver))
        #expect(caughtUp.invitation?.status == .accepted)
        let stale = InvitationMachine.receive(.reschedule(event), from: sender, createdAt: before,
                                              existing: invitation(.scheduled, revision: 2), in: at(receiver))
        #expect(stale.invitation == nil && stale.ignored != nil)
        let forged = InvitationMachine.receive(.reschedule(event), from: receiver, createdAt: before,
                                               existing: invitation(.scheduled, revision: 1), in: at(sender))
        #expect(forged.invitation == nil && forged.ignored != nil, "only the sender reschedules")
    }

    @Test("a proposal is shown at the sender only for the revision it was made at, in a changeable status")
    func proposals() throws {
        let change = try InvitationMachine.propose(invitation(.accepted, revision: 1), start: later, end: later.addingTimeInterval(3600),
                                                   in: at(receiver))
        #expect(change.invitation?.proposal == TimeRange(start: later, end: later.addingTimeInterval(3600)))
        #expect(change.invitation?.status == .accepted)
        guard case .propose(let proposal) = try #require(change.send.first) else { Issue.record("no propose event"); return }
        #expect(proposal.revision == 1)
        #expect(throws: InvitationRefusal.notReceiver(action: "propose a new time for")) {
            try InvitationMachine.propose(invitation(.accepted), start: later, end: later.addingTimeInterval(3600), in: at(sender))
        }
        #expect(throws: InvitationRefusal.wrongState(.declined, action: "propose")) {
            try InvitationMachine.propose(invitation(.declined), start: later, end: later.addingTimeInterval(3600), in: at(receiver))
        }

        let shown = InvitationMachine.receive(.propose(proposal), from: receiver, createdAt: before,
                                              existing: invitation(.accepted, revision: 1), in: at(sender))
        #expect(shown.invitation?.proposal?.start == later)
        // The sender rescheduled meanwhile: the proposal was for times that are gone.
        let crossed = InvitationMachine.receive(.propose(proposal), from: receiver, createdAt: before,
                                                existing: invitation(.accepted, revision: 2), in: at(sender))
        #expect(crossed.invitation == nil && crossed.ignored != nil)
        let settled = InvitationMachine.receive(.propose(proposal), from: receiver, createdAt: before,
                                                existing: invitation(.cancelled, revision: 1), in: at(sender))
        #expect(settled.invitation == nil)
    }

    @Test("an event of a type this node does not know changes nothing")
    func unknownType() throws {
        let type = try #require(EventType(rawValue: "sticker"))
        let change = InvitationMachine.receive(.unknown(type: type, json: Data("{}".utf8)), from: sender, createdAt: before,
                                               existing: invitation(.pending), in: at(receiver))
        #expect(change.invitation == nil && change.send.isEmpty && change.ignored != nil)
        #expect(EventType(rawValue: "Sticker") == nil && EventType(rawValue: "") == nil
                && EventType(rawValue: String(repeating: "a", count: 65)) == nil, "names the wire allows only")
        #expect(try EventBody.decode(type: type, from: Data("not even json".utf8)) == .unknown(type: type, json: Data("not even json".utf8)))
    }

    @Test("the meeting job: an update after the meeting exists, one remembered while it is made, and the last revision wins")
    func updateJob() {
        let made = MeetingJob(invitationID: invitation(.scheduled).id, state: .created, attempts: 0, nextAttempt: before,
                              lastError: nil, updatedAt: before)
        let updating = MeetingJobMachine.apply(.update(revision: 1), to: made, invitationID: made.invitationID,
                                               recordedMeeting: "m1", now: before)
        #expect(updating?.state == .updating && updating?.updateRevision == 1)
        let policy = MeetingJobMachine.Policy(webexTimeout: 30, backoffBase: 1, maxAttempts: 3)
        #expect(MeetingJobMachine.next(updating!, invitation: .scheduled, connected: true, now: before, policy: policy) == .update)
        // Rescheduled again while the PUT of revision 1 ran: once more.
        let again = MeetingJobMachine.apply(.update(revision: 2), to: updating, invitationID: made.invitationID,
                                            recordedMeeting: "m1", now: before)!
        #expect(MeetingJobMachine.updated(again, to: 1, now: before).state == .updating)
        #expect(MeetingJobMachine.updated(again, to: 2, now: before).state == .created)
        // While the meeting is being made: remembered, and `made` goes on to update.
        let creating = MeetingJob(invitationID: made.invitationID, state: .creating, attempts: 1, nextAttempt: before,
                                  lastError: nil, updatedAt: before)
        let remembered = MeetingJobMachine.apply(.update(revision: 1), to: creating, invitationID: made.invitationID,
                                                 recordedMeeting: nil, now: before)
        #expect(remembered?.state == .creating && remembered?.updateRevision == 1)
        #expect(MeetingJobMachine.apply(.made(webexMeetingID: "m1", update: nil), to: remembered, invitationID: made.invitationID,
                                        recordedMeeting: nil, now: before)?.state == .updating)
        // A cancel while updating deletes the meeting.
        #expect(MeetingJobMachine.apply(.drop, to: updating, invitationID: made.invitationID, recordedMeeting: "m1", now: before)?.state
                == .deleting)
        // WebEx refusing the new times stops the job; a 503 retries.
        guard case .giveUp(let stopped, _) = MeetingJobMachine.afterUpdateFailure(.rejected(status: 400, message: "no"), job: updating!,
                                                                                  now: before, policy: policy, jitter: { $0.lowerBound }) else {
            Issue.record("a 400 must stop the update")
            return
        }
        #expect(stopped.state == .created)
        guard case .retry(let retried) = MeetingJobMachine.afterUpdateFailure(.server("503"), job: updating!, now: before,
                                                                              policy: policy, jitter: { $0.lowerBound }) else {
            Issue.record("a 503 must be retried")
            return
        }
        #expect(retried.state == .updating && retried.nextAttempt > before)
    }
}
