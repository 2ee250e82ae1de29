import Foundation
import Testing
@testable import PenPalsCore

/// The invitation's rules without a store: each step's new state, events and job command.
@Suite("InvitationMachine")
struct InvitationMachineTests {
    let sender = NodeKey.generate().id, receiver = NodeKey.generate().id, stranger = NodeKey.generate().id
    let start = december1, end = december1.addingTimeInterval(3600)
    let before = december1.addingTimeInterval(-86400)

    func at(_ node: NodeID, _ now: Date? = nil) -> InvitationMachine.Context {
        InvitationMachine.Context(localID: node, localName: node == sender ? "Room A" : "Room B", now: now ?? before)
    }

    func invitation(_ status: InvitationStatus, problem: Problem? = nil) -> Invitation {
        Invitation(id: UUID(uuidString: "00000000-0000-7000-8000-000000000001")!, title: "Hello", startTime: start, endTime: end,
                   senderID: sender, receiverID: receiver, status: status, createdAt: before.addingTimeInterval(-60), problem: problem)
    }

    var id: UUID { invitation(.pending).id }

    @Test("invite: a pending invitation and its offer; WebEx's rules refuse a bad one")
    func invite() throws {
        let (invitation, change) = try InvitationMachine.invite(id: id, to: receiver, title: "Hello", start: start, end: end,
                                                                in: at(sender))
        #expect(invitation.status == .pending)
        #expect(invitation.senderID == sender)
        #expect(change.invitation == invitation)
        #expect(change.send == [.invitation(InvitationOffer(invitationID: id, title: "Hello", startTime: Timestamp.format(start),
                                                            endTime: Timestamp.format(end)))])
        #expect(change.job == nil)
        #expect(throws: MeetingRules.Violation.self) {
            try InvitationMachine.invite(id: id, to: receiver, title: "Hello", start: start, end: start.addingTimeInterval(60), in: at(sender))
        }
    }

    @Test("the receiver accepts a pending invitation; the sender's node starts the meeting job")
    func acceptFlow() throws {
        let accepted = try InvitationMachine.teacher(.accept, on: invitation(.pending), in: at(receiver))
        #expect(accepted.invitation?.status == .accepted)
        #expect(accepted.send == [.accept(invitationID: id)])
        #expect(accepted.job == nil)

        let atSender = InvitationMachine.receive(.accept(invitationID: id), from: receiver, createdAt: before,
                                                 existing: invitation(.pending), in: at(sender))
        #expect(atSender.invitation?.status == .accepted)
        #expect(atSender.job == .start)
        #expect(atSender.send.isEmpty)
    }

    @Test("an accept that arrives after the start expires the invitation and tells the receiver")
    func lateAccept() {
        let late = InvitationMachine.receive(.accept(invitationID: id), from: receiver, createdAt: before,
                                             existing: invitation(.pending), in: at(sender, start))
        #expect(late.invitation?.status == .expired)
        #expect(late.job == nil)
        #expect(late.send == [.cancel(invitationID: id, reason: EventBody.expiredReason)])
        // Already expired here: nothing to save, the receiver is told again.
        let again = InvitationMachine.receive(.accept(invitationID: id), from: receiver, createdAt: before,
                                              existing: invitation(.expired), in: at(sender, start))
        #expect(again.invitation == nil)
        #expect(again.send == [.cancel(invitationID: id, reason: EventBody.expiredReason)])
    }

    @Test("teachers are refused what their side may not do")
    func refusals() {
        #expect(throws: InvitationRefusal.notReceiver(action: "accept")) {
            try InvitationMachine.teacher(.accept, on: invitation(.pending), in: at(sender))
        }
        #expect(throws: InvitationRefusal.notSender(action: "cancel_pending")) {
            try InvitationMachine.teacher(.cancel(reason: nil), on: invitation(.pending), in: at(receiver))
        }
        #expect(throws: InvitationRefusal.notSender(action: "retry")) {
            try InvitationMachine.teacher(.retry, on: invitation(.failed), in: at(receiver))
        }
        #expect(throws: InvitationRefusal.wrongState(.scheduled, action: "accept")) {
            try InvitationMachine.teacher(.accept, on: invitation(.scheduled), in: at(receiver))
        }
        #expect(throws: InvitationRefusal.wrongState(.declined, action: "cancel")) {
            try InvitationMachine.teacher(.cancel(reason: nil), on: invitation(.declined), in: at(sender))
        }
        #expect(throws: InvitationRefusal.wrongState(.accepted, action: "retry")) {
            try InvitationMachine.teacher(.retry, on: invitation(.accepted), in: at(sender))
        }
        #expect(throws: InvitationRefusal.notFound(id)) {
            try InvitationMachine.teacher(.accept, on: invitation(.pending), in: at(stranger))
        }
        #expect(InvitationRefusal.wrongState(.scheduled, action: "decline").message
                == "This invitation is scheduled; only a pending invitation can be declined.")
    }

    @Test("cancel: the sender's drops the meeting job; the receiver's withdrawal makes the sender drop it")
    func cancel() throws {
        let bySender = try InvitationMachine.teacher(.cancel(reason: "snow day"), on: invitation(.scheduled), in: at(sender))
        #expect(bySender.invitation?.status == .cancelled)
        #expect(bySender.job == .drop)
        #expect(bySender.send == [.cancel(invitationID: id, reason: "snow day")])

        let byReceiver = try InvitationMachine.teacher(.cancel(reason: nil), on: invitation(.scheduled), in: at(receiver))
        #expect(byReceiver.invitation?.status == .cancelled)
        #expect(byReceiver.job == nil)

        let withdrawal = InvitationMachine.receive(.cancel(invitationID: id, reason: nil), from: receiver, createdAt: before,
                                                   existing: invitation(.scheduled), in: at(sender))
        #expect(withdrawal.invitation?.status == .cancelled)
        #expect(withdrawal.job == .drop)
    }

    @Test("the sender's word holds at the receiver over what crossed it", arguments: InvitationStatus.allCases)
    func senderOverrules(status: InvitationStatus) {
        let cancel = InvitationMachine.receive(.cancel(invitationID: id, reason: nil), from: sender, createdAt: before,
                                               existing: invitation(status), in: at(receiver))
        #expect(cancel.invitation?.status == (status == .cancelled ? nil : .cancelled))
        let expired = InvitationMachine.receive(.cancel(invitationID: id, reason: EventBody.expiredReason), from: sender,
                                                createdAt: before, existing: invitation(status), in: at(receiver))
        #expect(expired.invitation?.status == (status == .expired ? nil : .expired))
    }

    @Test("a meeting event schedules a pending, accepted, failed or expired invitation at the receiver, and nothing else")
    func meetingNotice() {
        let notice = MeetingNotice(invitationID: id, webexMeetingID: "m1", webLink: "https://example.webex.com/m1", title: "Hello",
                                   startTime: Timestamp.format(start), endTime: Timestamp.format(end))
        for status in InvitationStatus.allCases {
            let change = InvitationMachine.receive(.meeting(notice), from: sender, createdAt: before,
                                                   existing: invitation(status, problem: Problem(code: "x", message: "y", retrying: true)),
                                                   in: at(receiver))
            // (Pending: one a reschedule made pending again after this node expired it.)
            if [.pending, .accepted, .failed, .expired].contains(status) {
                #expect(change.invitation?.status == .scheduled)
                #expect(change.invitation?.problem == nil)
                #expect(change.meeting?.webLink == "https://example.webex.com/m1")
                #expect(change.meeting?.participants == [sender, receiver])
            } else {
                #expect(change.invitation == nil && change.meeting == nil && change.ignored != nil, "\(status)")
            }
        }
        // From anyone but the sender it changes nothing.
        let forged = InvitationMachine.receive(.meeting(notice), from: stranger, createdAt: before, existing: invitation(.accepted),
                                               in: at(receiver))
        #expect(forged.invitation == nil && forged.ignored != nil)
    }

    @Test("meeting_failed: the problem is shown; retrying false fails, a retry accepts again")
    func meetingFailed() {
        let failure = MeetingFailure(invitationID: id, code: "webex_rejected", message: "no", retrying: false)
        let failed = InvitationMachine.receive(.meetingFailed(failure), from: sender, createdAt: before,
                                               existing: invitation(.accepted), in: at(receiver))
        #expect(failed.invitation?.status == .failed)
        #expect(failed.invitation?.problem == Problem(code: "webex_rejected", message: "no", retrying: false))
        let retrying = MeetingFailure(invitationID: id, code: "retrying", message: "again", retrying: true)
        let again = InvitationMachine.receive(.meetingFailed(retrying), from: sender, createdAt: before,
                                              existing: invitation(.failed), in: at(receiver))
        #expect(again.invitation?.status == .accepted)
        let final = InvitationMachine.receive(.meetingFailed(failure), from: sender, createdAt: before,
                                              existing: invitation(.cancelled), in: at(receiver))
        #expect(final.invitation == nil)
    }

    @Test("retry: a failed invitation is accepted again, the receiver hears, the job restarts in doubt")
    func retry() throws {
        let change = try InvitationMachine.teacher(.retry, on: invitation(.failed, problem: Problem(code: "a", message: "b", retrying: false)),
                                                   in: at(sender))
        #expect(change.invitation?.status == .accepted)
        #expect(change.invitation?.problem == nil)
        #expect(change.job == .restart)
        #expect(change.send == [.meetingFailed(MeetingFailure(invitationID: id, code: "retrying",
                                                              message: "Room A is trying again to create the WebEx meeting.",
                                                              retrying: true))])
    }

    @Test("an invitation that arrives after its start is expired at once")
    func lateOffer() {
        let offer = InvitationOffer(invitationID: id, title: "Hello", startTime: Timestamp.format(start), endTime: Timestamp.format(end))
        let onTime = InvitationMachine.receive(.invitation(offer), from: sender, createdAt: before, existing: nil, in: at(receiver))
        #expect(onTime.invitation?.status == .pending)
        #expect(onTime.invitation?.createdAt == before)
        let late = InvitationMachine.receive(.invitation(offer), from: sender, createdAt: before, existing: nil, in: at(receiver, start))
        #expect(late.invitation?.status == .expired)
        let twice = InvitationMachine.receive(.invitation(offer), from: sender, createdAt: before, existing: invitation(.pending),
                                              in: at(receiver))
        #expect(twice.invitation == nil && twice.ignored == "invitation already known")
    }

    @Test("expiry: due at the start or end by status; the sender's job stops")
    func expire() {
        #expect(InvitationMachine.expire(invitation(.pending), in: at(sender, start.addingTimeInterval(-1))) == nil)
        let pending = InvitationMachine.expire(invitation(.pending), in: at(sender, start))
        #expect(pending?.invitation?.status == .expired)
        #expect(pending?.job == .stop(reason: "expired"))
        #expect(InvitationMachine.expire(invitation(.accepted), in: at(receiver, end))?.job == nil)
        #expect(InvitationMachine.expire(invitation(.scheduled), in: at(sender, end.addingTimeInterval(86400))) == nil)
    }

    @Test("the job's outcome: a meeting made schedules, or is unwanted once the invitation was settled")
    func meetingMade() {
        let made = InvitationMachine.meetingMade(webexMeetingID: "m1", webLink: "https://x.webex.com/m1",
                                                 for: invitation(.accepted), in: at(sender))
        #expect(made.invitation?.status == .scheduled)
        #expect(made.job == .made(webexMeetingID: "m1", update: nil))
        guard case .meeting(let notice)? = made.send.first else { Issue.record("no meeting event"); return }
        #expect(notice.webLink == "https://x.webex.com/m1")
        let late = InvitationMachine.meetingMade(webexMeetingID: "m1", webLink: "https://x.webex.com/m1",
                                                 for: invitation(.cancelled), in: at(sender))
        #expect(late.invitation == nil && late.send.isEmpty)
        #expect(late.job == .unwanted(webexMeetingID: "m1"))

        let gaveUp = InvitationMachine.meetingGaveUp(invitation(.accepted), code: "webex_quota", message: "tomorrow")
        #expect(gaveUp.invitation?.status == .failed)
        #expect(gaveUp.send.count == 1)
        let waiting = InvitationMachine.waitingForWebex(invitation(.accepted), message: "connect")
        #expect(waiting.invitation?.problem == Problem(code: "webex_not_connected", message: "connect", retrying: true))
        // Said once: the same message again sends nothing.
        #expect(InvitationMachine.waitingForWebex(waiting.invitation, message: "connect") == .init())
    }
}
