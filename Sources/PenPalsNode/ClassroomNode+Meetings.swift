import Foundation
import PenPalsCore
import PenPalsStore
import Webex

/// Making the WebEx meeting of an accepted invitation, at the sender's node, with
/// the sender's own account. Jobs are durable: a job found `creating` after a
/// restart may have made its meeting already, so it is looked up by its
/// integration tag before anything is created again.
extension ClassroomNode {
    /// The meeting jobs are to run now (a job was opened or changed).
    func wantMeetingJobs() {
        timers.schedule(TimerKey(node: id, purpose: .meetingJobs), at: .now, .earliest) { [self] in await runMeetingJobs() }
    }

    /// Runs the due meeting jobs, on the timers; then sleeps until the next is due, at
    /// most a minute while jobs are open (a wall clock set forward brings one due
    /// early), and not at all without open jobs. One run at a time; asked meanwhile,
    /// the run goes round once more.
    func runMeetingJobs() async {
        let first = jobsRunning.withLock { state -> Bool in
            if state.running { state.again = true; return false }
            state = (true, false)
            return true
        }
        guard first else { return }
        var upcoming: Duration?
        repeat {
            do {
                upcoming = try await runDueJobs()
            } catch {
                logger.error("meeting jobs could not be read", metadata: ["error": "\(error)"])
                upcoming = .seconds(60)
            }
        } while !Task.isCancelled && jobsRunning.withLock { state -> Bool in
            defer { state.again = false }
            if !state.again { state.running = false }
            return state.again
        }
        if Task.isCancelled { jobsRunning.withLock { $0.running = false } }
        if let upcoming {
            timers.schedule(TimerKey(node: id, purpose: .meetingJobs), at: .now + min(upcoming + .milliseconds(1), .seconds(60)), .earliest) {
                [self] in await runMeetingJobs()
            }
        }
    }

    /// Runs every job that is due now, one after the other; returns how long until
    /// the next one is due. Due by the wall clock or by the monotonic clock, whichever
    /// comes first (`MonotonicSchedule`): a clock set back stalls no job.
    @discardableResult
    public func runDueJobs() async throws -> Duration? {
        let time = now().timeIntervalSince1970
        let open = try await store.backgroundRead { try $0.openJobs() }
        jobSchedule.keep(only: Set(open.map(\.invitationID.lowercasedString)))
        for due in open where remaining(due, wallNow: time) == .zero {
            guard !Task.isCancelled else { break }
            // Read again: an earlier job's call took time, in which this one may have changed (a cancel).
            guard let job = try await store.read({ try $0.job(forInvitation: due.invitationID) }), job.isOpen,
                  remaining(job, wallNow: time) == .zero else { continue }
            await run(job)
        }
        let later = now().timeIntervalSince1970
        return try await store.backgroundRead { try $0.openJobs() }.map { remaining($0, wallNow: later) }.min()
    }

    private func remaining(_ job: MeetingJob, wallNow: Double) -> Duration {
        jobSchedule.remaining(job.invitationID.lowercasedString, wallDue: job.nextAttempt.timeIntervalSince1970,
                              wallNow: wallNow, now: uptime())
    }

    var jobPolicy: MeetingJobMachine.Policy {
        MeetingJobMachine.Policy(webexTimeout: settings.webexTimeout, backoffBase: settings.webexBackoffBase,
                                 maxAttempts: settings.webexMaxAttempts)
    }

    /// Runs one due job: asks `MeetingJobMachine` what to do, does it, saves what comes back.
    private func run(_ job: MeetingJob) async {
        let invitationID = job.invitationID
        let time = now()
        do {
            guard let invitation = try await store.read({ try $0.invitation(invitationID) }) else { return }
            let connected = job.state == .deleting || job.state == .updating || invitation.status == .accepted
                ? try await meetingHost?.isConnected() ?? false : false
            switch MeetingJobMachine.next(job, invitation: invitation.status, connected: connected, now: time, policy: jobPolicy) {
            case .delete:
                await delete(job, invitation: invitation, connected: connected)
            case .update:
                await update(job, invitation: invitation)
            case .finish(let done):
                try await store.write { try $0.save(done) }
            case .waitForWebex:
                try await waitForWebex(job, invitation: invitation)
            case .lookUpFirst(let settled):
                // A call started before a crash may still be finishing at WebEx. Look the
                // meeting up at once and adopt it when WebEx has it; only when it does not,
                // wait until that call must have ended (or a second meeting could be made),
                // and look again then, before creating.
                guard let meetingHost else { return }
                if let meeting = try await findMeeting(for: invitation, host: meetingHost) {
                    logger.info("adopted the WebEx meeting of a call interrupted by a restart",
                                metadata: ["invitation": "\(invitationID.lowercasedString)"])
                    return try await record(meeting, for: invitation, job: job)
                }
                logger.info("waiting for a WebEx call interrupted by a restart to end before looking again",
                            metadata: ["invitation": "\(invitationID.lowercasedString)", "until": "\(Timestamp.format(settled))"])
                let postponed = MeetingJobMachine.postponed(job, until: settled)
                try await store.write { try $0.save(postponed) }
            case .call(let started, let inDoubt):
                guard let meetingHost else { return }
                if let group = invitation.groupID {
                    // One meeting for the group: an earlier acceptance's is this one's too,
                    // and while another invitation's call is in doubt this one waits for it.
                    let siblings = try await store.read { tx in
                        try tx.invitations(inGroup: group).filter { $0.id != invitationID }.map { sibling in
                            (try tx.meeting(forInvitation: sibling.id), try tx.job(forInvitation: sibling.id))
                        }
                    }
                    if let made = siblings.lazy.compactMap(\.0).first {
                        let adopted = WebexMeeting(id: made.webexMeetingID, title: made.title, start: Timestamp.format(made.startTime),
                                                   end: Timestamp.format(made.endTime), webLink: made.webLink)
                        return try await record(adopted, for: invitation, job: job)
                    }
                    if siblings.contains(where: { $0.1?.state == .creating }) {
                        let waiting = MeetingJobMachine.postponed(job, until: time.addingTimeInterval(5))
                        try await store.write { try $0.save(waiting) }
                        return
                    }
                }
                // Commit the doubt before the call: a crash from here on is resolved by lookup.
                try await store.write { try $0.save(started) }
                let meeting = try await createOrAdopt(invitation, inDoubt: inDoubt || invitation.groupID != nil, host: meetingHost)
                try await record(meeting, for: invitation, job: started)
            }
        } catch {
            await handle(Self.failure(error), job: job, invitationID: invitationID)
        }
    }

    /// A failed call as the job's rules tell them apart.
    static func failure(_ error: any Error) -> MeetingJobFailure {
        switch error {
        case let error as UnusableLink: return .unusableLink(error.problem)
        case let error as WebexError:
            switch error {
            case .notConnected, .unauthorized: return .notConnected(refused: false)
            case .invalidGrant: return .notConnected(refused: true)
            case .rateLimited(let retryAfter, let status, let message):
                return .rateLimited(retryAfter: retryAfter, status: status, message: message)
            case .server: return .server("\(error)")
            case .transport, .badResponse: return .lost("\(error)")
            case .rejected(let status, let message): return .rejected(status: status, message: message)
            }
        default: return .other("\(error)")
        }
    }

    private func createOrAdopt(_ invitation: Invitation, inDoubt: Bool, host: any MeetingHost) async throws -> WebexMeeting {
        if inDoubt, let meeting = try await findMeeting(for: invitation, host: host) {
            logger.info("adopted the WebEx meeting made before a restart", metadata: ["invitation": "\(invitation.id.lowercasedString)"])
            return meeting
        }
        return try await host.createMeeting(Self.newWebexMeeting(for: invitation, in: settings.timezone))
    }

    /// The meeting WebEx holds under the invitation's integration tag, if any.
    private func findMeeting(for invitation: Invitation, host: any MeetingHost) async throws -> WebexMeeting? {
        try await host.findMeeting(tag: invitation.integrationTag, from: invitation.startTime.addingTimeInterval(-86_400),
                                   to: invitation.endTime.addingTimeInterval(86_400))
    }

    /// What WebEx is asked to schedule: times with the offset `zone` has at each of them
    /// (so a meeting across a daylight-saving change carries two offsets), and that zone;
    /// a series' rule (the first occurrence's times above). A PUT sends the same fields.
    static func newWebexMeeting(for invitation: Invitation, in zone: TimeZone) -> NewWebexMeeting {
        NewWebexMeeting(title: invitation.title,
                        start: Timestamp.format(invitation.startTime, in: zone),
                        end: Timestamp.format(invitation.endTime, in: zone),
                        timezone: zone.identifier, integrationTag: invitation.integrationTag,
                        recurrence: invitation.recurrence?.rrule)
    }

    /// A WebEx meeting whose join link breaks the rule every node checks (`MeetingNotice.linkProblem`).
    struct UnusableLink: Error { var problem: String }

    /// Stores the meeting, schedules the invitation and tells the receiver, in one
    /// transaction (`InvitationMachine.meetingMade`).
    private func record(_ webexMeeting: WebexMeeting, for invitation: Invitation, job: MeetingJob) async throws {
        if let problem = MeetingNotice.linkProblem(webexMeeting.webLink) { throw UnusableLink(problem: problem) }
        let time = now()
        let effects = try await store.write { tx in
            var effects = Effects()
            let current = try tx.invitation(invitation.id)
            let change = InvitationMachine.meetingMade(webexMeetingID: webexMeeting.id, webLink: webexMeeting.webLink,
                                                       for: current, madeFrom: invitation.revision, in: self.context(time))
            try self.carryOut(change, on: current, in: tx, now: time, effects: &effects)
            return effects
        }
        settle(effects)
        logger.info("WebEx meeting created", metadata: ["invitation": "\(invitation.id.lowercasedString)"])
    }

    /// The sender has no WebEx account connected: tell the receiver once and wait for `/webex/callback`.
    ///
    /// - Parameter refused: WebEx refused the refresh token (`invalid_grant`) just now; the node
    ///   remembers that the classroom must reconnect, which `GET /api/status` shows.
    private func waitForWebex(_ job: MeetingJob, invitation: Invitation, refused: Bool = false) async throws {
        let time = now()
        let name = directory.local.displayName
        let policy = jobPolicy
        let effects = try await store.write { tx in
            var effects = Effects()
            if refused { try tx.setWebexProblem(Self.webexReconnect, now: time) }
            let message = try tx.webexProblem() == Self.webexReconnect
                ? "Waiting for \(name) to reconnect WebEx; the meeting will be created as soon as they do."
                : "Waiting for \(name) to connect WebEx; the meeting will be created as soon as they do."
            try tx.save(MeetingJobMachine.waitingForWebex(job, now: time, policy: policy))
            let current = try tx.invitation(invitation.id)
            try self.carryOut(InvitationMachine.waitingForWebex(current, message: message), on: current, in: tx,
                              now: time, effects: &effects)
            return effects
        }
        settle(effects)
    }

    private func handle(_ failure: MeetingJobFailure, job: MeetingJob, invitationID: UUID) async {
        logger.warning("WebEx call failed", metadata: ["invitation": "\(invitationID.lowercasedString)", "error": "\(failure)"])
        let time = now()
        do {
            switch MeetingJobMachine.after(failure, job: job, senderName: directory.local.displayName, now: time,
                                           policy: jobPolicy, jitter: jitter) {
            case .waitForWebex(let refused):
                if let invitation = try await store.read({ try $0.invitation(invitationID) }) {
                    try await waitForWebex(job, invitation: invitation, refused: refused)
                }
            case .retry(let next):
                try await store.write { try $0.save(next) }
            case .fail(let failed, let code, let message):
                let effects = try await store.write { tx in
                    var effects = Effects()
                    try tx.save(failed)
                    let current = try tx.invitation(invitationID)
                    try self.carryOut(InvitationMachine.meetingGaveUp(current, code: code, message: message), on: current,
                                      in: tx, now: time, effects: &effects)
                    return effects
                }
                settle(effects)
            }
        } catch {
            logger.error("meeting job could not be updated", metadata: ["invitation": "\(invitationID.lowercasedString)", "error": "\(error)"])
        }
    }

    static let webexReconnect = "reconnect"

    /// Jobs waiting for WebEx run again now (after the classroom connected its account).
    func resumeJobsWaitingForWebex() async throws {
        let time = now()
        try await store.write { tx in
            try tx.setWebexProblem(nil, now: time)
            for job in try tx.openJobs() {
                if let resumed = MeetingJobMachine.resumed(job, now: time) { try tx.save(resumed) }
            }
        }
        wantMeetingJobs()
    }

    /// Brings a rescheduled invitation's WebEx meeting to its current title and times:
    /// one PUT with every field the meeting was made with. A PUT repeated after a crash
    /// or a lost answer changes nothing more, so the job needs no doubt state; a
    /// reschedule while it ran is caught by `MeetingJobMachine.updated`.
    private func update(_ job: MeetingJob, invitation: Invitation) async {
        let invitationID = invitation.id
        do {
            guard let meetingHost else { throw WebexError.notConnected }
            guard let meeting = try await store.read({ try $0.meeting(forInvitation: invitationID) }) else {
                let done = MeetingJobMachine.finished(job, state: .created, note: "no meeting to update", now: now())
                try await store.write { try $0.save(done) }
                return
            }
            _ = try await meetingHost.updateMeeting(id: meeting.webexMeetingID, Self.newWebexMeeting(for: invitation, in: settings.timezone))
            let time = now()
            try await store.write { tx in
                // The job as it is now: a reschedule during the call raised its revision.
                guard let current = try tx.job(forInvitation: invitationID) else { return }
                try tx.save(MeetingJobMachine.updated(current, to: invitation.revision, now: time))
            }
            logger.info("WebEx meeting updated", metadata: ["invitation": "\(invitationID.lowercasedString)",
                                                             "revision": "\(invitation.revision)"])
        } catch {
            let failure = Self.failure(error)
            logger.warning("the WebEx meeting could not be updated yet",
                           metadata: ["invitation": "\(invitationID.lowercasedString)", "error": "\(error)"])
            switch MeetingJobMachine.afterUpdateFailure(failure, job: job, now: now(), policy: jobPolicy, jitter: jitter) {
            case .retry(let next):
                try? await store.write { try $0.save(next) }
            case .waitForWebex:
                try? await store.write { [policy = jobPolicy, time = now()] tx in
                    try tx.save(MeetingJobMachine.waitingForWebex(job, now: time, policy: policy))
                }
            case .giveUp(let done, let message):
                let time = now()
                let effects = try? await store.write { tx in
                    var effects = Effects()
                    try tx.save(done)
                    let current = try tx.invitation(invitationID)
                    try self.carryOut(InvitationMachine.meetingUpdateRefused(current, message: message), on: current, in: tx,
                                      now: time, effects: &effects)
                    return effects
                }
                if let effects { settle(effects) }
            }
        }
    }

    /// Deletes the WebEx meeting of a cancelled invitation: the one recorded, or the
    /// one found by its tag when a create call was under way. WebEx answering that it
    /// is gone already counts as done; other failures are tried again with backoff.
    private func delete(_ job: MeetingJob, invitation: Invitation, connected: Bool) async {
        let invitationID = invitation.id
        do {
            guard let meetingHost, connected else {
                // A meeting made with an account that is gone now: wait for the reconnect.
                throw WebexError.notConnected
            }
            var meetingID = job.webexMeetingID
            if meetingID == nil {
                meetingID = try await findMeeting(for: invitation, host: meetingHost)?.id
            }
            if let meetingID {
                do {
                    try await meetingHost.deleteMeeting(id: meetingID)
                } catch WebexError.rejected(404, _) {
                    // Gone already (deleted by hand at WebEx, or by an earlier call whose answer was lost).
                }
            }
            let done = MeetingJobMachine.finished(job, state: .deleted,
                                                  note: meetingID == nil ? "cancelled; no meeting was made" : "cancelled; deleted at WebEx",
                                                  now: now())
            try await store.write { try $0.save(done) }
            logger.info("the WebEx meeting of a cancelled invitation is deleted", metadata: ["invitation": "\(invitationID.lowercasedString)"])
        } catch {
            let failure = Self.failure(error)
            if case .other = failure {
                logger.error("meeting deletion failed", metadata: ["invitation": "\(invitationID.lowercasedString)", "error": "\(error)"])
            } else {
                logger.warning("the WebEx meeting of a cancelled invitation could not be deleted yet",
                               metadata: ["invitation": "\(invitationID.lowercasedString)", "error": "\(error)"])
            }
            let next = MeetingJobMachine.afterDeleteFailure(failure, job: job, now: now(), policy: jobPolicy, jitter: jitter)
            try? await store.write { try $0.save(next) }
        }
    }
}
