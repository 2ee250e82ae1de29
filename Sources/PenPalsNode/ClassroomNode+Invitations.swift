import Foundation
import PenPalsCore
import PenPalsStore

/// The teacher's own actions: invite, accept, decline, cancel, retry. The rules are
/// `InvitationMachine`'s; the node stores and carries out what it returns.
extension ClassroomNode {
    /// The machine's context at this node at `time`.
    func context(_ time: Date) -> InvitationMachine.Context {
        InvitationMachine.Context(localID: id, localName: directory.local.displayName, now: time)
    }

    /// Sends an invitation to a peer; nothing touches WebEx until it is accepted.
    /// `recurrence`: a series (contract §7.2), in this classroom's time zone.
    public func invite(classroom: String, title: String, start: Date, end: Date, recurrence: Recurrence? = nil) async throws -> Invitation {
        try await invite(classrooms: [classroom], title: title, start: start, end: end, recurrence: recurrence)[0]
    }

    /// The classrooms a group may invite at once (contract §7.2).
    public static let groupSizes = 2...8

    /// Sends one invitation to each of `classrooms` (names or node ids), in one
    /// transaction; several make a group with one `group_id` and, once one accepts,
    /// one WebEx meeting for all (contract §7.2).
    public func invite(classrooms: [String], title: String, start: Date, end: Date,
                       recurrence: Recurrence? = nil) async throws -> [Invitation] {
        var peers: [Directory.Peer] = []
        for classroom in classrooms {
            guard let peer = directory.peer(classroom) else {
                throw InvitationRefusal.unknownClassroom(classroom, isSelf: classroom == id.rawValue || classroom == directory.local.name)
            }
            guard !peers.contains(where: { $0.classroom.id == peer.classroom.id }) else {
                throw InvitationRefusal.groupRepeats(peer.classroom.name)
            }
            peers.append(peer)
        }
        guard classrooms.count == 1 || Self.groupSizes.contains(classrooms.count) else {
            throw InvitationRefusal.groupSize(classrooms.count)
        }
        let time = now()
        let zone = settings.timezone.identifier
        let series = recurrence.map { rule in
            var rule = rule
            rule.timezone = zone
            return rule
        }
        let group: UUID? = peers.count > 1 ? .timeOrdered(at: time) : nil
        var made: [(Invitation, InvitationMachine.Change)] = []
        for peer in peers {
            made.append(try InvitationMachine.invite(id: .timeOrdered(at: time), to: peer.classroom.id, title: title,
                                                     start: start, end: end, recurrence: series, group: group, in: context(time)))
        }
        if series != nil { for peer in peers { try await learnFeatures(of: peer) } }
        let effects = try await store.write { [made, peers] tx in
            var effects = Effects()
            // A series shown as one call would mislead a node of version 1: it is not sent one.
            for peer in peers where series != nil {
                if try !(tx.features(of: peer.classroom.id) ?? []).contains(.meetingChanges) {
                    throw InvitationRefusal.partnerOutdated(name: peer.classroom.displayName, action: "take a series of calls")
                }
            }
            for (_, change) in made { try self.carryOut(change, on: nil, in: tx, now: time, effects: &effects) }
            return effects
        }
        settle(effects)
        for ((invitation, _), peer) in zip(made, peers) {
            logger.info("invitation sent", metadata: ["invitation": "\(invitation.id.lowercasedString)", "to": "\(peer.classroom.name)"])
        }
        return made.map(\.0)
    }

    /// Accepts a received invitation, then waits up to `acceptWait` for the sender's meeting.
    public func accept(_ invitationID: UUID) async throws -> (Invitation, Meeting?) {
        let bell = watch.bell(for: invitationID)
        defer { watch.forget(bell, for: invitationID) }
        _ = try await act(.accept, on: invitationID)
        let deadline = ContinuousClock.now + settings.acceptWait
        while true {
            let (invitation, meeting) = try await store.read { tx in
                (try tx.invitation(invitationID), try tx.meeting(forInvitation: invitationID))
            }
            guard let invitation else { throw InvitationRefusal.notFound(invitationID) }
            if let meeting, invitation.status == .scheduled { return (invitation, meeting) }
            let remaining = deadline - ContinuousClock.now
            // A meeting_failed (e.g. the sender has no WebEx yet) is news enough to answer now.
            if invitation.status != .accepted || invitation.problem != nil || remaining <= .zero { return (invitation, nil) }
            await bell.wait(timeout: remaining)
        }
    }

    public func decline(_ invitationID: UUID, reason: String?) async throws -> Invitation {
        try await act(.decline(reason: reason), on: invitationID)
    }

    /// Withdraws an invitation. The sender may cancel it at any time before it is
    /// settled; the receiver may cancel its participation once it has accepted (a
    /// pending one it declines instead). Either way the other node is told, and the
    /// sender's node deletes a meeting already made at WebEx.
    public func cancel(_ invitationID: UUID, reason: String? = nil) async throws -> Invitation {
        try await act(.cancel(reason: reason), on: invitationID)
    }

    /// The sender tries a failed invitation again: it is accepted again, a new job
    /// starts, and the receiver hears (as `meeting_failed` with `retrying: true`).
    ///
    /// The new job starts in doubt, so it looks the meeting up before creating one:
    /// the failed job's last call may have made it without the answer arriving.
    public func retry(_ invitationID: UUID) async throws -> Invitation {
        let invitation = try await act(.retry, on: invitationID)
        logger.info("retrying the WebEx meeting", metadata: ["invitation": "\(invitationID.lowercasedString)"])
        return invitation
    }

    /// The sender gives an invitation new times and, optionally, a new title (contract §7.2).
    /// For a group, every invitation of it in pending, accepted or scheduled is moved
    /// with it, and the group's one meeting is updated once.
    public func reschedule(_ invitationID: UUID, title: String?, start: Date, end: Date) async throws -> Invitation {
        try await change(invitationID, action: "reschedule") { invitation, time, tx in
            if let violation = MeetingRules.check(title: title ?? invitation.title, start: start, end: end, now: time) { throw violation }
            let first = try InvitationMachine.reschedule(invitation, title: title, start: start, end: end, in: self.context(time))
            guard let group = invitation.groupID else { return [(invitation, first)] }
            var changes: [(Invitation, InvitationMachine.Change)] = []
            var updating = false
            for member in try tx.invitations(inGroup: group) where InvitationStatus.changeable.contains(member.status) {
                var change = member.id == invitation.id ? first
                    : try InvitationMachine.reschedule(member, title: title, start: start, end: end, in: self.context(time))
                // One PUT for the group's one meeting: the first job that has it does it.
                if change.job != nil { if updating { change.job = nil } else { updating = true } }
                changes.append((member, change))
            }
            return changes
        }
    }

    /// The receiver proposes a new time (contract §7.2).
    public func propose(_ invitationID: UUID, start: Date, end: Date) async throws -> Invitation {
        try await change(invitationID, action: "propose a new time") { invitation, time, _ in
            if let violation = MeetingRules.check(title: invitation.title, start: start, end: end, now: time) { throw violation }
            return [(invitation, try InvitationMachine.propose(invitation, start: start, end: end, in: self.context(time)))]
        }
    }

    /// What `peer` takes, learnt now by a sync when no signed clock of it was read yet
    /// (docs/protocol.md §13.1); refused when it cannot be reached to tell.
    func learnFeatures(of peer: Directory.Peer) async throws {
        let id = peer.classroom.id
        guard try await store.read({ try $0.features(of: id) }) == nil else { return }
        _ = try? await sync(with: peer)
        guard try await store.read({ try $0.features(of: id) }) != nil else {
            throw InvitationRefusal.partnerUnheard(name: peer.classroom.displayName)
        }
    }

    /// A change of version 1.1 to an invitation, in one transaction after expiring what
    /// is due; refused when the partner's node has not announced that it takes it.
    private func change(_ invitationID: UUID, action: String,
                        _ decide: @escaping @Sendable (Invitation, Date, StoreTransaction) throws -> [(Invitation, InvitationMachine.Change)])
        async throws -> Invitation {
        if let known = try await store.read({ try $0.invitation(invitationID) }),
           let peer = directory.peer(id: known.senderID == id ? known.receiverID : known.senderID) {
            try await learnFeatures(of: peer)
        }
        let time = now()
        let (invitation, effects) = try await store.write { tx in
            var effects = Effects()
            let invitation = try self.expiringInvitation(invitationID, in: tx, now: time, effects: &effects)
            let changes = try decide(invitation, time, tx)
            for (member, change) in changes {
                let other = member.senderID == self.id ? member.receiverID : member.senderID
                let features = try tx.features(of: other) ?? []
                for body in change.send {
                    if let needed = body.type.feature, !features.contains(needed) {
                        throw InvitationRefusal.partnerOutdated(name: self.directory.peer(id: other)?.classroom.displayName ?? other.rawValue,
                                                                action: action)
                    }
                }
            }
            var answer = invitation
            for (member, change) in changes {
                try self.carryOut(change, on: member, in: tx, now: time, effects: &effects)
                if member.id == invitation.id { answer = change.invitation ?? member }
            }
            return (answer, effects)
        }
        settle(effects)
        return invitation
    }

    /// One teacher's action, in one transaction, after expiring what is due.
    private func act(_ action: InvitationMachine.TeacherAction, on invitationID: UUID) async throws -> Invitation {
        let time = now()
        let (invitation, effects) = try await store.write { tx in
            var effects = Effects()
            let invitation = try self.expiringInvitation(invitationID, in: tx, now: time, effects: &effects)
            let change = try InvitationMachine.teacher(action, on: invitation, in: self.context(time))
            try self.carryOut(change, on: invitation, in: tx, now: time, effects: &effects)
            return (change.invitation ?? invitation, effects)
        }
        settle(effects)
        return invitation
    }

    /// Stores and carries out what the machine decided about `invitation` (as it was
    /// before; nil for a new one): the invitation's new state, a meeting, the events
    /// for the other classroom and the meeting job's command.
    func carryOut(_ change: InvitationMachine.Change, on invitation: Invitation?, in tx: StoreTransaction, now time: Date,
                  effects: inout Effects) throws {
        if let changed = change.invitation {
            try tx.save(changed, now: time)
            effects.changed.insert(changed.id)
        }
        if let meeting = change.meeting { try tx.save(meeting) }
        guard let current = change.invitation ?? invitation else { return }
        if change.meetingRevised, var meeting = try tx.meeting(forInvitation: current.id) {
            meeting.title = current.title
            meeting.startTime = current.startTime
            meeting.endTime = current.endTime
            meeting.revision = current.revision
            try tx.save(meeting)
        }
        if !change.send.isEmpty {
            let other = current.senderID == id ? current.receiverID : current.senderID
            for body in change.send { try send(body, to: other, in: tx, effects: &effects) }
        }
        // A group's invitations share one meeting, at the sender: one leaving keeps it
        // for the others, the last one leaving deletes it.
        let group = current.senderID == id ? try current.groupID.map { try tx.invitations(inGroup: $0) } : nil
        let groupMeeting = try group.flatMap { invitations in
            try invitations.lazy.compactMap { try tx.meeting(forInvitation: $0.id)?.webexMeetingID }.first
        }
        var command = change.job
        if command == .drop, let group, InvitationMachine.groupIsLive(group) { command = .leave }
        if let group, command == nil, let before = invitation, InvitationStatus.changeable.contains(before.status),
           !InvitationStatus.changeable.contains(current.status), !InvitationMachine.groupIsLive(group), let groupMeeting {
            command = .deleteGroupMeeting(webexMeetingID: groupMeeting)
        }
        if let command {
            let existing = try tx.job(forInvitation: current.id)
            let recorded = command == .drop ? try tx.meeting(forInvitation: current.id)?.webexMeetingID ?? groupMeeting : nil
            if let job = MeetingJobMachine.apply(command, to: existing, invitationID: current.id, recordedMeeting: recorded, now: time) {
                try tx.save(job)
                if job.isOpen { effects.runJobs = true }
            }
        }
        if let group, change.invitation?.status != invitation?.status || change.meeting != nil {
            try refreshGroup(group, in: tx, effects: &effects)
        }
        if let note = change.note {
            logger.info("\(note)", metadata: ["invitation": "\(current.id.lowercasedString)"])
        }
    }

    /// The group's meeting names who is on the call (`InvitationMachine.groupParticipants`)
    /// on every invitation of it that has the meeting; each scheduled classroom whose
    /// list changed is sent the meeting again with it.
    func refreshGroup(_ group: [Invitation], in tx: StoreTransaction, effects: inout Effects) throws {
        let participants = InvitationMachine.groupParticipants(group, sender: id)
        var names: [NodeID: String] = [:]
        for node in participants { names[node] = directory.displayName(of: node) }
        for invitation in group {
            guard var meeting = try tx.meeting(forInvitation: invitation.id), meeting.participants != participants else { continue }
            meeting.participants = participants
            meeting.participantNames = names
            try tx.save(meeting)
            effects.changed.insert(invitation.id)
            guard invitation.status == .scheduled else { continue }
            let notice = MeetingNotice(invitationID: invitation.id, webexMeetingID: meeting.webexMeetingID, webLink: meeting.webLink,
                                       title: meeting.title, startTime: Timestamp.format(meeting.startTime),
                                       endTime: Timestamp.format(meeting.endTime),
                                       participants: participants.map { .init(id: $0, name: names[$0] ?? $0.rawValue) })
            try send(.meeting(notice), to: invitation.receiverID, in: tx, effects: &effects)
        }
    }

    /// The invitation, first expired if its time ran out on this node's clock.
    func expiringInvitation(_ id: UUID, in tx: StoreTransaction, now: Date, effects: inout Effects) throws -> Invitation {
        _ = try expireDue(in: tx, now: now, effects: &effects)
        guard let invitation = try tx.invitation(id) else { throw InvitationRefusal.notFound(id) }
        return invitation
    }

    /// Expires what is due at `now` (`InvitationMachine.expire`); returns how many.
    func expireDue(in tx: StoreTransaction, now: Date, effects: inout Effects) throws -> Int {
        var count = 0
        for invitation in try tx.dueForExpiry(now: now) {
            guard let change = InvitationMachine.expire(invitation, in: context(now)) else { continue }
            try carryOut(change, on: invitation, in: tx, now: now, effects: &effects)
            count += 1
        }
        return count
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

    /// `query` as the store is once what is due at this moment has expired: one read
    /// when nothing is due (a list is no write, and waits for none), else the expiry's
    /// write and then the read.
    func readExpired<T: Sendable>(_ query: @escaping @Sendable (StoreTransaction) throws -> T) async throws -> T {
        let time = now()
        let found = try await store.read { tx -> T? in try tx.anyDueForExpiry(now: time) ? nil : query(tx) }
        if let found { return found }
        try await expireDue()
        return try await store.read(query)
    }

    public func invitations(_ query: InvitationQuery) async throws -> [Invitation] {
        let localID = id
        return try await readExpired { try $0.invitations(query, localID: localID) }
    }

    public func meetings(all: Bool, page: ListPage = ListPage(limit: nil, before: nil)) async throws -> Paged<Meeting> {
        let time = now()
        return try await readExpired { try $0.meetings(notEndedBy: all ? nil : time, page: page) }
    }

    public func meeting(_ id: UUID) async throws -> Meeting? {
        try await store.read { try $0.meeting(id) }
    }

    public func invitation(_ id: UUID) async throws -> Invitation? {
        try await store.read { try $0.invitation(id) }
    }
}
