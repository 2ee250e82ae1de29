import Foundation
import PenPalsCore
import PenPalsStore

/// The teacher's own actions: invite, accept, decline, cancel.
extension ClassroomNode {
    /// Sends an invitation to a peer; nothing touches WebEx until it is accepted.
    public func invite(classroom: String, title: String, start: Date, end: Date) async throws -> Invitation {
        guard let peer = directory.peer(classroom) else {
            if classroom == id.rawValue || classroom == directory.local.name {
                throw APIError.badRequest("cannot_invite_self", "A classroom cannot invite itself; choose a partner classroom.")
            }
            throw APIError.badRequest("unknown_classroom", "No partner classroom \"\(classroom)\" is known to this node; see GET /api/classrooms.")
        }
        let time = now()
        if let violation = MeetingRules.check(title: title, start: start, end: end, now: time) {
            throw APIError.badRequest(violation.code, violation.message)
        }
        let invitation = Invitation(id: .timeOrdered(at: time), title: title, startTime: start, endTime: end, senderID: id,
                                    receiverID: peer.classroom.id, status: .pending, createdAt: time)
        let effects = try await store.write { tx in
            var effects = Effects()
            try tx.save(invitation, now: time)
            let offer = InvitationOffer(invitationID: invitation.id, title: title,
                                        startTime: Timestamp.format(start), endTime: Timestamp.format(end))
            try self.send(.invitation(offer), to: peer.classroom.id, in: tx, effects: &effects)
            effects.changed.insert(invitation.id)
            return effects
        }
        settle(effects)
        logger.info("invitation sent", metadata: ["invitation": "\(invitation.id.lowercasedString)", "to": "\(peer.classroom.name)"])
        return invitation
    }

    /// Accepts a received invitation, then waits up to `acceptWait` for the sender's meeting.
    public func accept(_ invitationID: UUID) async throws -> (Invitation, Meeting?) {
        let bell = watch.bell(for: invitationID)
        defer { watch.forget(bell, for: invitationID) }
        _ = try await answer(invitationID, action: .accept, body: .accept(invitationID: invitationID))
        let deadline = ContinuousClock.now + settings.acceptWait
        while true {
            let (invitation, meeting) = try await store.read { tx in
                (try tx.invitation(invitationID), try tx.meeting(forInvitation: invitationID))
            }
            guard let invitation else { throw APIError.notFound("Invitation \(invitationID.lowercasedString)") }
            if let meeting, invitation.status == .scheduled { return (invitation, meeting) }
            let remaining = deadline - ContinuousClock.now
            // A meeting_failed (e.g. the sender has no WebEx yet) is news enough to answer now.
            if invitation.status != .accepted || invitation.problem != nil || remaining <= .zero { return (invitation, nil) }
            await bell.wait(timeout: remaining)
        }
    }

    public func decline(_ invitationID: UUID, reason: String?) async throws -> Invitation {
        try await answer(invitationID, action: .decline, body: .decline(invitationID: invitationID, reason: reason))
    }

    /// The receiver's answer: allowed only to the invited classroom and only while pending.
    private func answer(_ invitationID: UUID, action: InvitationAction, body: EventBody) async throws -> Invitation {
        let time = now()
        let (invitation, effects) = try await store.write { tx in
            var effects = Effects()
            var invitation = try self.expiringInvitation(invitationID, in: tx, now: time, effects: &effects)
            guard invitation.receiverID == self.id else {
                throw APIError(.forbidden, "not_receiver", "Only the invited classroom can \(action.rawValue) this invitation; you sent it.")
            }
            guard let next = invitation.status.applying(action), invitation.status == .pending else {
                throw APIError.conflict("wrong_state", "This invitation is \(invitation.status.rawValue); only a pending invitation can be \(action == .accept ? "accepted" : "declined").")
            }
            invitation.status = next
            try tx.save(invitation, now: time)
            try self.send(body, to: invitation.senderID, in: tx, effects: &effects)
            effects.changed.insert(invitationID)
            return (invitation, effects)
        }
        settle(effects)
        return invitation
    }

    /// Withdraws an invitation. The sender may cancel it at any time before it is
    /// settled; the receiver may cancel its participation once it has accepted (a
    /// pending one it declines instead). Either way the other node is told, and the
    /// sender's node deletes a meeting already made at WebEx.
    public func cancel(_ invitationID: UUID, reason: String? = nil) async throws -> Invitation {
        let time = now()
        let (invitation, effects) = try await store.write { tx in
            var effects = Effects()
            var invitation = try self.expiringInvitation(invitationID, in: tx, now: time, effects: &effects)
            let isSender = invitation.senderID == self.id
            if !isSender, invitation.status == .pending {
                throw APIError(.forbidden, "not_sender", "Only the classroom that sent this invitation can cancel it while it is pending; decline it instead.")
            }
            guard let next = invitation.status.applying(isSender ? .cancel : .withdraw) else {
                throw APIError.conflict("wrong_state", "This invitation is \(invitation.status.rawValue) and can no longer be cancelled.")
            }
            invitation.status = next
            try tx.save(invitation, now: time)
            if isSender { try self.dropMeeting(of: invitationID, in: tx, now: time, effects: &effects) }
            let other = isSender ? invitation.receiverID : invitation.senderID
            try self.send(.cancel(invitationID: invitationID, reason: reason), to: other, in: tx, effects: &effects)
            effects.changed.insert(invitationID)
            return (invitation, effects)
        }
        settle(effects)
        return invitation
    }

    /// At the sender of a cancelled invitation: stops its creation job and, where a
    /// meeting was made (or a create call was under way, whose meeting may exist),
    /// turns it into a durable deletion of that meeting at WebEx.
    func dropMeeting(of invitationID: UUID, in tx: StoreTransaction, now time: Date, effects: inout Effects) throws {
        guard var job = try tx.job(forInvitation: invitationID) else { return }
        let meeting = try tx.meeting(forInvitation: invitationID)
        switch job.state {
        case .created where meeting != nil, .creating:
            job.state = .deleting
            job.webexMeetingID = meeting?.webexMeetingID
            job.attempts = 0
            job.nextAttempt = time.timeIntervalSince1970
            job.lastError = "cancelled"
            effects.runJobs = true
        case .pending, .failed, .created:
            job.state = .failed
            job.lastError = "cancelled"
        case .deleting, .deleted:
            return
        }
        job.updatedAt = time.timeIntervalSince1970
        try tx.save(job)
    }

    /// The invitation, first expired if its time ran out on this node's clock.
    func expiringInvitation(_ id: UUID, in tx: StoreTransaction, now: Date, effects: inout Effects) throws -> Invitation {
        _ = try expireDue(in: tx, now: now, effects: &effects)
        guard let invitation = try tx.invitation(id) else { throw APIError.notFound("Invitation \(id.lowercasedString)") }
        return invitation
    }

    /// Expires what is due at `now`; a sender whose accepted invitation expires tells the receiver.
    func expireDue(in tx: StoreTransaction, now: Date, effects: inout Effects) throws -> Int {
        let expired = try tx.expireDue(now: now)
        for invitation in expired {
            effects.changed.insert(invitation.id)
            if var job = try tx.job(forInvitation: invitation.id), job.state == .pending || job.state == .creating {
                job.state = .failed
                job.lastError = "expired"
                job.updatedAt = now.timeIntervalSince1970
                try tx.save(job)
            }
        }
        return expired.count
    }

    /// Expires due invitations now (run periodically and before lists are read).
    public func expireDue() async throws {
        let time = now()
        let effects = try await store.write { tx in
            var effects = Effects()
            _ = try self.expireDue(in: tx, now: time, effects: &effects)
            return effects
        }
        settle(effects)
    }

    public func invitations(_ query: InvitationQuery) async throws -> [Invitation] {
        try await expireDue()
        let localID = id
        return try await store.read { try $0.invitations(query, localID: localID) }
    }

    public func meetings(all: Bool) async throws -> [Meeting] {
        try await expireDue()
        let time = now()
        return try await store.read { try $0.meetings(notEndedBy: all ? nil : time) }
    }

    public func meeting(_ id: UUID) async throws -> Meeting? {
        try await store.read { try $0.meeting(id) }
    }

    public func invitation(_ id: UUID) async throws -> Invitation? {
        try await store.read { try $0.invitation(id) }
    }
}
