import Foundation

/// Every rule of an invitation, in one place, as pure functions: given the invitation
/// (or none), what happened (a teacher's action, a partner's event, a meeting job's
/// outcome, the clock), this node's side and the time, they return what changes: the
/// invitation's new state, a meeting to record, the events to send to the other
/// classroom and the command for the invitation's meeting job. The node stores and
/// carries out what they return, in one transaction; nothing here touches a store.
///
/// The sender's node is the authority: an event that does not fit the invitation's
/// state changes nothing, and the receiver adopts what the sender says.
public enum InvitationMachine {
    /// The node a rule runs at, and when.
    public struct Context: Sendable {
        public var localID: NodeID
        /// The classroom's display name, for messages the partner's teacher reads.
        public var localName: String
        public var now: Date

        public init(localID: NodeID, localName: String, now: Date) {
            self.localID = localID
            self.localName = localName
            self.now = now
        }
    }

    /// What a teacher can do with an invitation that exists.
    public enum TeacherAction: Sendable, Equatable {
        case accept
        case decline(reason: String?)
        case cancel(reason: String?)
        case retry

        var verb: String {
            switch self {
            case .accept: "accept"
            case .decline: "decline"
            case .cancel: "cancel"
            case .retry: "retry"
            }
        }
    }

    /// What follows from one step.
    public struct Change: Sendable, Equatable {
        /// The invitation as it is now, to be saved; nil when it did not change.
        public var invitation: Invitation?
        /// A meeting to record (at the receiver, from the sender's `meeting` event;
        /// at the sender, the one its job made).
        public var meeting: Meeting?
        /// Events for the other classroom of the invitation, in this order.
        public var send: [EventBody] = []
        /// What the invitation's meeting job must do (only ever at the sender).
        public var job: MeetingJobCommand?
        /// Why nothing changed, when an event does not fit (for the log).
        public var ignored: String?
        /// A line worth logging about what changed.
        public var note: String?
        /// The invitation's meeting, where this node has one, takes the invitation's new
        /// title, times and revision (a reschedule).
        public var meetingRevised = false

        public init(invitation: Invitation? = nil, meeting: Meeting? = nil, send: [EventBody] = [],
                    job: MeetingJobCommand? = nil, ignored: String? = nil, note: String? = nil, meetingRevised: Bool = false) {
            self.invitation = invitation
            self.meeting = meeting
            self.send = send
            self.job = job
            self.ignored = ignored
            self.note = note
            self.meetingRevised = meetingRevised
        }

        static func ignore(_ why: String, send: [EventBody] = []) -> Change {
            Change(send: send, ignored: why)
        }
    }

    // MARK: The teacher's actions

    /// A new invitation to `receiver`, checked against WebEx's rules for a meeting, and
    /// the change that saves it and sends the `invitation` event that offers it.
    /// `recurrence`: a series (version 1.1), its times those of the first occurrence.
    /// `group`: one of a group's invitations (version 1.1), one for each classroom.
    public static func invite(id: UUID, to receiver: NodeID, title: String, start: Date, end: Date, recurrence: Recurrence? = nil,
                              group: UUID? = nil, in context: Context) throws(MeetingRules.Violation) -> (Invitation, Change) {
        if let violation = MeetingRules.check(title: title, start: start, end: end, now: context.now) { throw violation }
        if let violation = recurrence?.violation { throw violation }
        let invitation = Invitation(id: id, title: title, startTime: start, endTime: end, senderID: context.localID,
                                    receiverID: receiver, status: .pending, createdAt: context.now, recurrence: recurrence,
                                    groupID: group)
        let offer = InvitationOffer(invitationID: id, title: title, startTime: Timestamp.format(start), endTime: Timestamp.format(end),
                                    recurrence: recurrence, groupID: group)
        return (invitation, Change(invitation: invitation, send: [.invitation(offer)]))
    }

    /// A teacher's action on an invitation that exists (already expired if its time ran out).
    public static func teacher(_ action: TeacherAction, on invitation: Invitation,
                               in context: Context) throws(InvitationRefusal) -> Change {
        guard let role = invitation.role(at: context.localID) else { throw .notFound(invitation.id) }
        var invitation = invitation
        let id = invitation.id
        switch action {
        case .accept, .decline:
            guard role == .receiver else { throw .notReceiver(action: action.verb) }
            let step: InvitationAction = action == .accept ? .accept : .decline
            guard invitation.status == .pending, let next = invitation.status.applying(step, as: role) else {
                throw .wrongState(invitation.status, action: action.verb)
            }
            invitation.status = next
            let event: EventBody
            if case .decline(let reason) = action {
                event = .decline(invitationID: id, reason: reason)
            } else {
                event = .accept(invitationID: id)
            }
            return Change(invitation: invitation, send: [event])

        case .cancel(let reason):
            if role == .receiver, invitation.status == .pending { throw .notSender(action: "cancel_pending") }
            guard let next = invitation.status.applying(role == .sender ? .cancel : .withdraw, as: role) else {
                throw .wrongState(invitation.status, action: action.verb)
            }
            invitation.status = next
            return Change(invitation: invitation, send: [.cancel(invitationID: id, reason: reason)],
                          job: role == .sender ? .drop : nil)

        case .retry:
            guard role == .sender else { throw .notSender(action: action.verb) }
            guard invitation.status == .failed, let next = invitation.status.applying(.retry, as: role) else {
                throw .wrongState(invitation.status, action: action.verb)
            }
            invitation.status = next
            invitation.problem = nil
            let message = "\(context.localName) is trying again to create the WebEx meeting."
            return Change(invitation: invitation,
                          send: [.meetingFailed(MeetingFailure(invitationID: id, code: "retrying", message: message, retrying: true))],
                          job: .restart)
        }
    }

    /// The sender gives an invitation new times (and a title), in `pending`, `accepted`
    /// or `scheduled` (version 1.1): the status stays, `revision` goes up by one, a
    /// proposal is cleared, the receiver gets the new times in a `reschedule` event,
    /// and a meeting that exists (or is being made) is brought to them at WebEx.
    /// The times are checked against WebEx's rules by the caller (`MeetingRules`).
    public static func reschedule(_ invitation: Invitation, title: String?, start: Date, end: Date,
                                  in context: Context) throws(InvitationRefusal) -> Change {
        guard let role = invitation.role(at: context.localID) else { throw .notFound(invitation.id) }
        guard role == .sender else { throw .notSender(action: "reschedule") }
        guard InvitationStatus.changeable.contains(invitation.status),
              let status = invitation.status.applying(.reschedule, as: .sender) else {
            throw .wrongState(invitation.status, action: "reschedule")
        }
        var next = invitation
        next.status = status
        next.title = title ?? invitation.title
        next.startTime = start
        next.endTime = end
        next.revision = invitation.revision + 1
        next.proposal = nil
        let event = Reschedule(invitationID: invitation.id, revision: next.revision, status: status, title: next.title,
                               startTime: Timestamp.format(start), endTime: Timestamp.format(end))
        return Change(invitation: next, send: [.reschedule(event)],
                      job: invitation.status == .pending ? nil : .update(revision: next.revision), meetingRevised: true)
    }

    /// The receiver asks for a new time, in `pending`, `accepted` or `scheduled`
    /// (version 1.1): shown on both nodes until the sender reschedules.
    public static func propose(_ invitation: Invitation, start: Date, end: Date,
                               in context: Context) throws(InvitationRefusal) -> Change {
        guard let role = invitation.role(at: context.localID) else { throw .notFound(invitation.id) }
        guard role == .receiver else { throw .notReceiver(action: "propose a new time for") }
        guard InvitationStatus.changeable.contains(invitation.status) else { throw .wrongState(invitation.status, action: "propose") }
        var next = invitation
        next.proposal = TimeRange(start: start, end: end)
        let event = Proposal(invitationID: invitation.id, revision: invitation.revision,
                             startTime: Timestamp.format(start), endTime: Timestamp.format(end))
        return Change(invitation: next, send: [.propose(event)])
    }

    // MARK: The partner's events

    /// One event of `author`, applied in channel order to the invitation it is about
    /// (`existing`: this node's copy, if any). `createdAt` is the event's own time.
    public static func receive(_ body: EventBody, from author: NodeID, createdAt: Date, existing: Invitation?,
                               in context: Context) -> Change {
        let local = context.localID
        // The author is the receiver of an invitation this node sent, or its sender.
        let fromReceiver = existing.map { $0.senderID == local && $0.receiverID == author } ?? false
        let fromSender = existing.map { $0.senderID == author && $0.receiverID == local } ?? false
        let notSentToAuthor = "not an invitation this node sent to the author"
        let notSentHere = "not an invitation the author sent here"

        switch body {
        case .invitation(let offer):
            guard existing == nil else { return .ignore("invitation already known") }
            guard let start = Timestamp.parse(offer.startTime), let end = Timestamp.parse(offer.endTime) else {
                return .ignore("bad times")
            }
            var invitation = Invitation(id: offer.invitationID, title: offer.title, startTime: start, endTime: end,
                                        senderID: author, receiverID: local, status: .pending, createdAt: createdAt,
                                        recurrence: offer.recurrence, groupID: offer.groupID)
            // One that arrives after its start is expired at once, as the sender's own clock has it.
            if invitation.dueExpiry(now: context.now), let next = invitation.status.applying(.expire, as: .receiver) {
                invitation.status = next
            }
            return Change(invitation: invitation)

        case .accept:
            guard var invitation = existing, fromReceiver else { return .ignore(notSentToAuthor) }
            let tooLate = [EventBody.cancel(invitationID: invitation.id, reason: EventBody.expiredReason)]
            if invitation.status == .expired {
                // Accepted too late: no meeting; the receiver adopts the sender's word.
                return Change(send: tooLate)
            }
            if invitation.status == .pending, invitation.dueExpiry(now: context.now),
               let next = invitation.status.applying(.expire, as: .sender) {
                invitation.status = next
                return Change(invitation: invitation, send: tooLate)
            }
            guard let next = invitation.status.applying(.accept, as: .sender) else {
                return .ignore("invitation is \(invitation.status.rawValue)")
            }
            invitation.status = next
            return Change(invitation: invitation, job: .start)

        case .decline:
            guard var invitation = existing, fromReceiver else { return .ignore(notSentToAuthor) }
            if let next = invitation.status.applying(.decline, as: .sender) {
                invitation.status = next
                return Change(invitation: invitation)
            }
            return rebuffIfExpired(invitation)

        case .cancel(_, let reason):
            if var invitation = existing, fromReceiver {
                // The receiver cancelled its participation after accepting: the sender
                // cancels too and deletes the meeting.
                guard let next = invitation.status.applying(.withdraw, as: .sender) else { return rebuffIfExpired(invitation) }
                invitation.status = next
                invitation.problem = nil
                return Change(invitation: invitation, job: .drop, note: "the invited classroom cancelled its participation")
            }
            guard var invitation = existing, fromSender else { return .ignore(notSentHere) }
            // The sender's cancel is final and overrides what crossed it here, so both sides agree.
            let step: InvitationAction = reason == EventBody.expiredReason ? .senderExpired : .cancel
            guard let next = invitation.status.applying(step, as: .receiver) else {
                return .ignore("already \(invitation.status.rawValue)")
            }
            invitation.status = next
            return Change(invitation: invitation)

        case .meeting(let notice):
            guard var invitation = existing, fromSender else { return .ignore(notSentHere) }
            // A group's meeting names every classroom on the call, as the sender knows them.
            let participants = notice.participants.map { $0.map(\.id) } ?? [author, local]
            var names: [NodeID: String] = [:]
            for participant in notice.participants ?? [] where names[participant.id] == nil { names[participant.id] = participant.name }
            let meeting = Meeting(id: invitation.id, invitationID: invitation.id, title: notice.title,
                                  startTime: Timestamp.parse(notice.startTime) ?? invitation.startTime,
                                  endTime: Timestamp.parse(notice.endTime) ?? invitation.endTime,
                                  webLink: notice.webLink, webexMeetingID: notice.webexMeetingID,
                                  creatorID: author, participants: participants, revision: invitation.revision,
                                  recurrence: invitation.recurrence, participantNames: names, groupID: invitation.groupID)
            if invitation.status == .scheduled {
                // A group's meeting, sent again as classrooms join it or leave it.
                guard notice.participants != nil else { return .ignore("invitation is scheduled") }
                return Change(meeting: meeting)
            }
            // The sender made the meeting: that holds even if this node gave up
            // waiting (failed) or expired the invitation on its own clock meanwhile.
            guard let next = invitation.status.applying(.schedule, as: .receiver) else {
                return .ignore("invitation is \(invitation.status.rawValue)")
            }
            invitation.status = next
            invitation.problem = nil
            return Change(invitation: invitation, meeting: meeting)

        case .reschedule(let change):
            guard var invitation = existing, fromSender else { return .ignore(notSentHere) }
            // Crossing changes end with the sender's highest revision on both nodes.
            guard change.revision > invitation.revision else {
                return .ignore("revision \(change.revision) is not newer than \(invitation.revision)")
            }
            let step: InvitationAction = change.status == .pending ? .reschedule : .rescheduleAccepted
            guard let start = Timestamp.parse(change.startTime), let end = Timestamp.parse(change.endTime),
                  let next = invitation.status.applying(step, as: .receiver) else { return .ignore("bad times") }
            invitation.status = next
            invitation.title = change.title
            invitation.startTime = start
            invitation.endTime = end
            invitation.revision = change.revision
            invitation.proposal = nil
            return Change(invitation: invitation, meetingRevised: true)

        case .propose(let proposal):
            guard var invitation = existing, fromReceiver else { return .ignore(notSentToAuthor) }
            guard proposal.revision == invitation.revision else {
                return .ignore("a proposal for revision \(proposal.revision); the invitation is at \(invitation.revision)")
            }
            guard InvitationStatus.changeable.contains(invitation.status) else {
                return .ignore("invitation is \(invitation.status.rawValue)")
            }
            guard let start = Timestamp.parse(proposal.startTime), let end = Timestamp.parse(proposal.endTime) else {
                return .ignore("bad times")
            }
            invitation.proposal = TimeRange(start: start, end: end)
            return Change(invitation: invitation)

        case .unknown(let type, _):
            return .ignore("an event of type \(type.rawValue), which this node does not know")

        case .meetingFailed(let failure):
            guard var invitation = existing, fromSender else { return .ignore(notSentHere) }
            guard !invitation.status.isFinal else { return .ignore("invitation is \(invitation.status.rawValue)") }
            invitation.problem = Problem(code: failure.code, message: failure.message, retrying: failure.retrying)
            if !failure.retrying, let next = invitation.status.applying(.fail, as: .receiver) {
                invitation.status = next
            } else if failure.retrying, invitation.status == .failed, let next = invitation.status.applying(.retry, as: .receiver) {
                // The sender retries a failed invitation (`POST …/retry`): accepted again.
                invitation.status = next
            } else if failure.retrying, invitation.status == .pending, let next = invitation.status.applying(.accept, as: .receiver) {
                // The sender has this node's accept, which crossed a reschedule that made the
                // invitation pending again here (after this node expired it on its own clock).
                invitation.status = next
            }
            return Change(invitation: invitation)
        }
    }

    /// An answer that came after the invitation expired here (the sender's clock):
    /// the receiver is told, and adopts it.
    private static func rebuffIfExpired(_ invitation: Invitation) -> Change {
        let why = "invitation is \(invitation.status.rawValue)"
        guard invitation.status == .expired else { return .ignore(why) }
        return .ignore(why, send: [.cancel(invitationID: invitation.id, reason: EventBody.expiredReason)])
    }

    // MARK: Groups

    /// Who is on a group's call, at its sender: the sender, then every invited
    /// classroom whose invitation is accepted or scheduled, in the group's order.
    public static func groupParticipants(_ group: [Invitation], sender: NodeID) -> [NodeID] {
        [sender] + group.filter { $0.status == .accepted || $0.status == .scheduled }.map(\.receiverID)
    }

    /// Whether a group still wants its meeting: an invitation of it is pending, accepted or scheduled.
    public static func groupIsLive(_ group: [Invitation]) -> Bool {
        group.contains { InvitationStatus.changeable.contains($0.status) }
    }

    // MARK: The clock

    /// The invitation expired at `now` on this node's clock, or nil when it is not due.
    /// A meeting job that has not made its meeting stops.
    public static func expire(_ invitation: Invitation, in context: Context) -> Change? {
        guard invitation.dueExpiry(now: context.now), let role = invitation.role(at: context.localID),
              let next = invitation.status.applying(.expire, as: role) else { return nil }
        var expired = invitation
        expired.status = next
        return Change(invitation: expired, job: role == .sender ? .stop(reason: "expired") : nil)
    }

    // MARK: The sender's meeting job

    /// The sender's job made `webexMeetingID` with `webLink` for the invitation (as it
    /// is now, `current`): the invitation is scheduled and the receiver gets the link;
    /// or, where it was settled while WebEx answered, the meeting must go.
    /// `madeFrom`: the revision of the invitation the meeting was made with; where the
    /// invitation was rescheduled meanwhile, the job goes on to bring WebEx to its times.
    public static func meetingMade(webexMeetingID: String, webLink: String, for current: Invitation?, madeFrom: Int? = nil,
                                   in context: Context) -> Change {
        guard var invitation = current, let next = invitation.status.applying(.schedule, as: .sender) else {
            return Change(job: .unwanted(webexMeetingID: webexMeetingID), note: "settled while WebEx made its meeting")
        }
        invitation.status = next
        invitation.problem = nil
        let meeting = Meeting(id: invitation.id, invitationID: invitation.id, title: invitation.title,
                              startTime: invitation.startTime, endTime: invitation.endTime,
                              webLink: webLink, webexMeetingID: webexMeetingID,
                              creatorID: context.localID, participants: [context.localID, invitation.receiverID],
                              revision: invitation.revision, recurrence: invitation.recurrence, groupID: invitation.groupID)
        let stale = (madeFrom ?? invitation.revision) < invitation.revision
        let notice = MeetingNotice(invitationID: invitation.id, webexMeetingID: webexMeetingID, webLink: webLink,
                                   title: invitation.title, startTime: Timestamp.format(invitation.startTime),
                                   endTime: Timestamp.format(invitation.endTime))
        return Change(invitation: invitation, meeting: meeting, send: [.meeting(notice)],
                      job: .made(webexMeetingID: webexMeetingID, update: stale ? invitation.revision : nil))
    }

    /// The sender's job gave up: the invitation fails on both nodes with a message a teacher can act on.
    public static func meetingGaveUp(_ current: Invitation?, code: String, message: String) -> Change {
        guard var invitation = current, let next = invitation.status.applying(.fail, as: .sender) else { return Change() }
        invitation.status = next
        invitation.problem = Problem(code: code, message: message, retrying: false)
        return Change(invitation: invitation,
                      send: [.meetingFailed(MeetingFailure(invitationID: invitation.id, code: code, message: message, retrying: false))])
    }

    /// WebEx refused the rescheduled times of the sender's meeting: the invitation keeps
    /// its new times and status on both nodes, and the sender's teacher reads why the
    /// meeting at WebEx still has its earlier ones.
    public static func meetingUpdateRefused(_ current: Invitation?, message: String) -> Change {
        guard var invitation = current, invitation.status == .scheduled else { return Change() }
        invitation.problem = Problem(code: "webex_update_failed", message: message, retrying: false)
        return Change(invitation: invitation)
    }

    /// The sender's job waits for its classroom to connect WebEx: the receiver is told once (per message).
    public static func waitingForWebex(_ current: Invitation?, message: String) -> Change {
        let code = "webex_not_connected"
        guard var invitation = current, invitation.problem?.code != code || invitation.problem?.message != message else {
            return Change()
        }
        invitation.problem = Problem(code: code, message: message, retrying: true)
        return Change(invitation: invitation,
                      send: [.meetingFailed(MeetingFailure(invitationID: invitation.id, code: code, message: message, retrying: true))])
    }
}

/// Why a teacher's action on an invitation is refused.
public enum InvitationRefusal: Error, Equatable, Sendable {
    /// No such invitation at this node.
    case notFound(UUID)
    /// The classroom to invite is not a partner of this node (`self`: it is this node).
    case unknownClassroom(String, isSelf: Bool)
    /// Only the invited classroom may do this.
    case notReceiver(action: String)
    /// Only the sender may do this (`cancel_pending`: a receiver cancelling a pending one).
    case notSender(action: String)
    /// Not in this status.
    case wrongState(InvitationStatus, action: String)
    /// The partner's node has not announced the feature the action needs (a v1 node).
    case partnerOutdated(name: String, action: String)
    /// No signed clock of the partner was read yet, and it cannot be reached to tell what it takes.
    case partnerUnheard(name: String)
    /// A group names a classroom twice.
    case groupRepeats(String)
    /// A group of this many classrooms (2 to 8 are taken).
    case groupSize(Int)

    public var code: String {
        switch self {
        case .notFound: "not_found"
        case .unknownClassroom(_, let isSelf): isSelf ? "cannot_invite_self" : "unknown_classroom"
        case .notReceiver: "not_receiver"
        case .notSender: "not_sender"
        case .wrongState: "wrong_state"
        case .partnerOutdated: "partner_outdated"
        case .partnerUnheard: "partner_unreachable"
        case .groupRepeats, .groupSize: "bad_group"
        }
    }

    public var message: String {
        switch self {
        case .notFound(let id): "Invitation \(id.lowercasedString) does not exist on this node."
        case .unknownClassroom(_, isSelf: true): "A classroom cannot invite itself; choose a partner classroom."
        case .unknownClassroom(let name, isSelf: false):
            "No partner classroom \"\(name)\" is known to this node; see GET /api/classrooms."
        case .notReceiver(let action): "Only the invited classroom can \(action) this invitation; you sent it."
        case .notSender("cancel_pending"):
            "Only the classroom that sent this invitation can cancel it while it is pending; decline it instead."
        case .notSender(let action): "Only the classroom that sent this invitation can \(action) it."
        case .wrongState(let status, "cancel"): "This invitation is \(status.rawValue) and can no longer be cancelled."
        case .wrongState(let status, "retry"): "This invitation is \(status.rawValue); only a failed invitation can be retried."
        case .wrongState(let status, "reschedule"):
            "This invitation is \(status.rawValue); only a pending, accepted or scheduled invitation can be rescheduled."
        case .wrongState(let status, "propose"):
            "This invitation is \(status.rawValue); a new time can be proposed only while it is pending, accepted or scheduled."
        case .groupRepeats(let name): "classroom_ids names \(name) twice; list each classroom once."
        case .groupSize(let count): "classroom_ids has \(count) classrooms; a group call has 2 to 8."
        case .partnerUnheard(let name):
            "\(name)'s node has not been reached yet, so this node cannot tell whether it takes this; try again once it answers (see penpals status)."
        case .partnerOutdated(let name, let action):
            "\(name)'s node runs an older PenPals that cannot \(action) yet; cancel and invite again, or ask its IT lead to update it."
        case .wrongState(let status, let action):
            "This invitation is \(status.rawValue); only a pending invitation can be \(action == "accept" ? "accepted" : "declined")."
        }
    }
}

extension Invitation {
    /// This node's side of the invitation, or nil when it is neither.
    public func role(at node: NodeID) -> InvitationRole? {
        if senderID == node { return .sender }
        if receiverID == node { return .receiver }
        return nil
    }

    /// Whether its time ran out at `now` on this node's clock: pending past its
    /// start, or accepted or failed (no meeting) past its end.
    public func dueExpiry(now: Date) -> Bool {
        if InvitationStatus.expiringAtStart.contains(status) { return startTime <= now }
        if InvitationStatus.expiringAtEnd.contains(status) { return endTime <= now }
        return false
    }
}
