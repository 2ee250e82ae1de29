import Foundation
import PenPalsCore
import PenPalsStore
import Webex

/// Making the WebEx meeting of an accepted invitation, at the sender's node, with
/// the sender's own account. Jobs are durable: a job found `creating` after a
/// restart may have made its meeting already, so it is looked up by its
/// integration tag before anything is created again.
extension ClassroomNode {
    func runMeetingJobs() async {
        while !Task.isCancelled {
            var wait: Duration = .seconds(60)
            do {
                if let upcoming = try await runDueJobs() {
                    wait = min(wait, upcoming + .milliseconds(1))
                }
            } catch {
                logger.error("meeting jobs could not be read", metadata: ["error": "\(error)"])
            }
            await jobBell.wait(timeout: wait)
        }
    }

    /// Runs every job that is due now, one after the other; returns how long until
    /// the next one is due. Due by the wall clock or by the monotonic clock, whichever
    /// comes first (`MonotonicSchedule`): a clock set back stalls no job.
    @discardableResult
    public func runDueJobs() async throws -> Duration? {
        let time = now().timeIntervalSince1970
        let open = try await store.read { try $0.openJobs() }
        jobSchedule.keep(only: Set(open.map(\.invitationID)))
        for due in open where jobSchedule.remaining(due.invitationID, wallDue: due.nextAttempt, wallNow: time, now: uptime()) == .zero {
            guard !Task.isCancelled else { break }
            // Read again: an earlier job's call took time, in which this one may have changed (a cancel).
            guard let id = UUID(uuidString: due.invitationID), let job = try await store.read({ try $0.job(forInvitation: id) }),
                  [.pending, .creating, .deleting].contains(job.state),
                  jobSchedule.remaining(job.invitationID, wallDue: job.nextAttempt, wallNow: time, now: uptime()) == .zero else { continue }
            await run(job)
        }
        let later = now().timeIntervalSince1970
        return try await store.read { try $0.openJobs() }
            .map { jobSchedule.remaining($0.invitationID, wallDue: $0.nextAttempt, wallNow: later, now: uptime()) }.min()
    }

    static func integrationTag(_ invitationID: UUID) -> String {
        "penpals-\(invitationID.lowercasedString)"
    }

    private func run(_ job: MeetingJob) async {
        guard let invitationID = UUID(uuidString: job.invitationID) else { return }
        if job.state == .deleting { return await delete(job, invitationID: invitationID) }
        do {
            guard let invitation = try await store.read({ try $0.invitation(invitationID) }) else { return }
            guard invitation.status == .accepted else {
                return try await finish(job, state: invitation.status == .scheduled ? .created : .failed,
                                        note: "invitation is \(invitation.status.rawValue)")
            }
            guard let meetingHost, try await meetingHost.isConnected() else {
                return try await waitForWebex(job, invitation: invitation)
            }
            // A call started before a crash may still be finishing at WebEx. Look the
            // meeting up at once and adopt it when WebEx has it; only when it does not,
            // wait until that call must have ended (or a second meeting could be made),
            // and look again then, before creating.
            let settled = job.updatedAt + 2 * settings.webexTimeout
            if job.state == .creating, job.attempts > 0, now().timeIntervalSince1970 < settled {
                if let meeting = try await findMeeting(for: invitation, host: meetingHost) {
                    logger.info("adopted the WebEx meeting of a call interrupted by a restart",
                                metadata: ["invitation": "\(invitation.id.lowercasedString)"])
                    return try await record(meeting, for: invitation, job: job)
                }
                logger.info("waiting for a WebEx call interrupted by a restart to end before looking again",
                            metadata: ["invitation": "\(invitation.id.lowercasedString)",
                                       "until": "\(Timestamp.format(Date(timeIntervalSince1970: settled)))"])
                var waiting = job
                waiting.nextAttempt = settled
                let postponed = waiting
                try await store.write { try $0.save(postponed) }
                return
            }
            // Commit the doubt before the call: a crash from here on is resolved by lookup.
            let inDoubt = job.state == .creating
            var started = job
            started.state = .creating
            started.attempts += 1
            started.updatedAt = now().timeIntervalSince1970
            let startedJob = started
            try await store.write { try $0.save(startedJob) }

            let meeting = try await createOrAdopt(invitation, inDoubt: inDoubt, host: meetingHost)
            try await record(meeting, for: invitation, job: started)
        } catch let error as UnusableLink {
            try? await fail(job, invitationID: invitationID, code: "webex_bad_link",
                            message: "WebEx answered a join link this node cannot pass on (\(error.problem)); the sender can try again.")
        } catch let error as WebexError {
            await handle(error, job: job, invitationID: invitationID)
        } catch {
            logger.error("meeting job failed", metadata: ["invitation": "\(invitationID.lowercasedString)", "error": "\(error)"])
            try? await retryLater(job, after: 30, error: "\(error)", keepDoubt: true)
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
        try await host.findMeeting(tag: Self.integrationTag(invitation.id), from: invitation.startTime.addingTimeInterval(-86_400),
                                   to: invitation.endTime.addingTimeInterval(86_400))
    }

    /// What WebEx is asked to schedule: times with the offset `zone` has at each of them
    /// (so a meeting across a daylight-saving change carries two offsets), and that zone.
    static func newWebexMeeting(for invitation: Invitation, in zone: TimeZone) -> NewWebexMeeting {
        NewWebexMeeting(title: invitation.title,
                        start: Timestamp.format(invitation.startTime, in: zone),
                        end: Timestamp.format(invitation.endTime, in: zone),
                        timezone: zone.identifier, integrationTag: integrationTag(invitation.id))
    }

    /// A WebEx meeting whose join link breaks the rule every node checks (`MeetingNotice.linkProblem`).
    struct UnusableLink: Error { var problem: String }

    /// Stores the meeting, schedules the invitation and tells the receiver, in one transaction.
    private func record(_ webexMeeting: WebexMeeting, for invitation: Invitation, job: MeetingJob) async throws {
        if let problem = MeetingNotice.linkProblem(webexMeeting.webLink) { throw UnusableLink(problem: problem) }
        let time = now()
        let meeting = Meeting(id: invitation.id, invitationID: invitation.id, title: invitation.title,
                              startTime: invitation.startTime, endTime: invitation.endTime,
                              webLink: webexMeeting.webLink, webexMeetingID: webexMeeting.id,
                              creatorID: id, participants: [id, invitation.receiverID])
        let effects = try await store.write { tx in
            var effects = Effects()
            var done = job
            done.state = .created
            done.lastError = nil
            done.updatedAt = time.timeIntervalSince1970
            guard var current = try tx.invitation(invitation.id), let next = current.status.applying(.schedule) else {
                // Cancelled while WebEx was answering: the meeting must not stay.
                done.state = .deleting
                done.webexMeetingID = webexMeeting.id
                done.attempts = 0
                done.lastError = "cancelled"
                try tx.save(done)
                effects.runJobs = true
                return effects
            }
            try tx.save(done)
            current.status = next
            current.problem = nil
            try tx.save(current, now: time)
            try tx.save(meeting)
            let notice = MeetingNotice(invitationID: invitation.id, webexMeetingID: webexMeeting.id, webLink: webexMeeting.webLink,
                                       title: invitation.title, startTime: Timestamp.format(invitation.startTime),
                                       endTime: Timestamp.format(invitation.endTime))
            try self.send(.meeting(notice), to: invitation.receiverID, in: tx, effects: &effects)
            effects.changed.insert(invitation.id)
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
        let effects = try await store.write { tx in
            var effects = Effects()
            if refused { try tx.setWebexProblem(Self.webexReconnect, now: time) }
            let message = try tx.webexProblem() == Self.webexReconnect
                ? "Waiting for \(name) to reconnect WebEx; the meeting will be created as soon as they do."
                : "Waiting for \(name) to connect WebEx; the meeting will be created as soon as they do."
            var waiting = job
            waiting.state = job.state == .creating ? .creating : .pending
            waiting.nextAttempt = time.addingTimeInterval(24 * 3600).timeIntervalSince1970
            waiting.lastError = "webex_not_connected"
            waiting.updatedAt = time.timeIntervalSince1970
            try tx.save(waiting)
            guard var current = try tx.invitation(invitation.id),
                  current.problem?.code != "webex_not_connected" || current.problem?.message != message else { return effects }
            current.problem = Problem(code: "webex_not_connected", message: message, retrying: true)
            try tx.save(current, now: time)
            try self.send(.meetingFailed(MeetingFailure(invitationID: invitation.id, code: "webex_not_connected",
                                                        message: message, retrying: true)),
                          to: invitation.receiverID, in: tx, effects: &effects)
            effects.changed.insert(invitation.id)
            return effects
        }
        settle(effects)
    }

    private func handle(_ error: WebexError, job: MeetingJob, invitationID: UUID) async {
        logger.warning("WebEx call failed", metadata: ["invitation": "\(invitationID.lowercasedString)", "error": "\(error)"])
        let attempts = job.attempts + 1
        do {
            switch error {
            case .notConnected, .invalidGrant, .unauthorized:
                if let invitation = try await store.read({ try $0.invitation(invitationID) }) {
                    var refused = false
                    if case .invalidGrant = error { refused = true }
                    try await waitForWebex(job, invitation: invitation, refused: refused)
                }
            case .rateLimited(let retryAfter, let status, let message):
                if let retryAfter, retryAfter > Self.longestRateLimitWait {
                    // Waiting hours in silence helps no one: say what happened and let the sender retry.
                    try await fail(job, invitationID: invitationID, code: "webex_quota",
                                   message: Self.quotaMessage(sender: directory.local.displayName, status: status,
                                                              message: message, retryAfter: retryAfter))
                } else {
                    try await retryLater(job, after: retryAfter ?? backoff(attempts), error: "\(error)", keepDoubt: false)
                }
            case .server, .transport, .badResponse:
                // A timeout or lost answer may hide a created meeting: stay in doubt, and
                // give a slow WebEx time to finish that call before looking it up.
                let doubtful: Bool
                if case .server = error { doubtful = false } else { doubtful = true }
                if attempts >= settings.webexMaxAttempts {
                    try await fail(job, invitationID: invitationID, code: "webex_unavailable",
                                   message: "WebEx could not be reached after \(attempts) attempts; the sender can try again later.",
                                   settledAt: doubtful ? now().addingTimeInterval(2 * settings.webexTimeout) : nil)
                } else {
                    let delay = doubtful ? max(backoff(attempts), 2 * settings.webexTimeout) : backoff(attempts)
                    try await retryLater(job, after: delay, error: "\(error)", keepDoubt: doubtful)
                }
            case .rejected(_, let message):
                try await fail(job, invitationID: invitationID, code: "webex_rejected",
                               message: "WebEx refused to create the meeting: \(message)")
            }
        } catch {
            logger.error("meeting job could not be updated", metadata: ["invitation": "\(invitationID.lowercasedString)", "error": "\(error)"])
        }
    }

    /// A `Retry-After` longer than this fails the job with a message instead of waiting.
    static let longestRateLimitWait: TimeInterval = 3600
    static let webexReconnect = "reconnect"

    /// What the teacher reads when WebEx refuses new meetings for hours (the daily quota).
    static func quotaMessage(sender: String, status: Int, message: String, retryAfter: TimeInterval) -> String {
        let hours = Int((retryAfter / 3600).rounded(.up))
        let quota = status == 429 && message.lowercased().contains("limit")
        if quota || retryAfter >= 12 * 3600 {
            return "\(sender)'s WebEx account reached its limit of 100 meetings a day; try again tomorrow"
                + " (WebEx accepts new meetings again in about \(hours) h)."
        }
        return "WebEx refuses new meetings from \(sender)'s account for about \(hours) h (\(message)); try again later."
    }

    private func backoff(_ attempts: Int) -> TimeInterval {
        let ceiling = min(Self.backoffCap, settings.webexBackoffBase * pow(2, Double(attempts)))
        return jitter(ceiling / 2...ceiling)
    }

    private func retryLater(_ job: MeetingJob, after delay: TimeInterval, error: String, keepDoubt: Bool) async throws {
        try await reschedule(job, state: keepDoubt ? .creating : .pending, after: delay, error: error)
    }

    /// Counts the failed attempt and sets the job's next one `delay` seconds from now.
    private func reschedule(_ job: MeetingJob, state: MeetingJob.State, after delay: TimeInterval, error: String) async throws {
        let time = now()
        var next = job
        next.state = state
        next.attempts = job.attempts + 1
        next.nextAttempt = time.addingTimeInterval(delay).timeIntervalSince1970
        next.lastError = error
        next.updatedAt = time.timeIntervalSince1970
        let job = next
        try await store.write { try $0.save(job) }
    }

    private func finish(_ job: MeetingJob, state: MeetingJob.State, note: String) async throws {
        var done = job
        done.state = state
        done.lastError = note
        done.updatedAt = now().timeIntervalSince1970
        let finished = done
        try await store.write { try $0.save(finished) }
    }

    /// Gives up: the invitation fails on both nodes with a message a teacher can act on.
    ///
    /// - Parameter settledAt: when the last call was in doubt (a timeout), the time by which
    ///   it must have ended at WebEx; a retry looks the meeting up only then.
    private func fail(_ job: MeetingJob, invitationID: UUID, code: String, message: String, settledAt: Date? = nil) async throws {
        let time = now()
        let effects = try await store.write { tx in
            var effects = Effects()
            var failed = job
            failed.state = .failed
            failed.nextAttempt = (settledAt ?? time).timeIntervalSince1970
            failed.lastError = message
            failed.updatedAt = time.timeIntervalSince1970
            try tx.save(failed)
            guard var invitation = try tx.invitation(invitationID), let next = invitation.status.applying(.fail) else { return effects }
            invitation.status = next
            invitation.problem = Problem(code: code, message: message, retrying: false)
            try tx.save(invitation, now: time)
            try self.send(.meetingFailed(MeetingFailure(invitationID: invitationID, code: code, message: message, retrying: false)),
                          to: invitation.receiverID, in: tx, effects: &effects)
            effects.changed.insert(invitationID)
            return effects
        }
        settle(effects)
    }

    /// Jobs waiting for WebEx run again now (after the classroom connected its account).
    func resumeJobsWaitingForWebex() async throws {
        let time = now()
        try await store.write { tx in
            try tx.setWebexProblem(nil, now: time)
            for var job in try tx.openJobs() where job.lastError == "webex_not_connected" {
                job.nextAttempt = time.timeIntervalSince1970
                try tx.save(job)
            }
        }
        jobBell.ring()
    }

    /// The sender tries a failed invitation again: it is accepted again, a new job
    /// starts, and the receiver hears (as `meeting_failed` with `retrying: true`).
    ///
    /// The new job starts in doubt, so it looks the meeting up before creating one:
    /// the failed job's last call may have made it without the answer arriving.
    public func retry(_ invitationID: UUID) async throws -> Invitation {
        let time = now()
        let name = directory.local.displayName
        let (invitation, effects) = try await store.write { tx in
            var effects = Effects()
            var invitation = try self.expiringInvitation(invitationID, in: tx, now: time, effects: &effects)
            guard invitation.senderID == self.id else {
                throw APIError(.forbidden, "not_sender", "Only the classroom that sent this invitation can retry it.")
            }
            guard invitation.status == .failed, let next = invitation.status.applying(.retry) else {
                throw APIError.conflict("wrong_state", "This invitation is \(invitation.status.rawValue); only a failed invitation can be retried.")
            }
            invitation.status = next
            invitation.problem = nil
            try tx.save(invitation, now: time)
            // The failed job's last call (one that timed out, say) may still be finishing at
            // WebEx: the lookup waits until that call must have ended, or it could miss its meeting.
            // (A failed job's `nextAttempt` is that time, set when it gave up.)
            let settled = try tx.job(forInvitation: invitationID)?.nextAttempt ?? 0
            try tx.save(MeetingJob(invitationID: invitationID.lowercasedString, state: .creating, attempts: 0,
                                   nextAttempt: max(time.timeIntervalSince1970, settled), lastError: nil,
                                   updatedAt: time.timeIntervalSince1970))
            let message = "\(name) is trying again to create the WebEx meeting."
            try self.send(.meetingFailed(MeetingFailure(invitationID: invitationID, code: "retrying", message: message, retrying: true)),
                          to: invitation.receiverID, in: tx, effects: &effects)
            effects.changed.insert(invitationID)
            effects.runJobs = true
            return (invitation, effects)
        }
        settle(effects)
        logger.info("retrying the WebEx meeting", metadata: ["invitation": "\(invitationID.lowercasedString)"])
        return invitation
    }

    /// Deletes the WebEx meeting of a cancelled invitation: the one recorded, or the
    /// one found by its tag when a create call was under way. WebEx answering that it
    /// is gone already counts as done; other failures are tried again with backoff.
    private func delete(_ job: MeetingJob, invitationID: UUID) async {
        do {
            guard let meetingHost, try await meetingHost.isConnected() else {
                // A meeting made with an account that is gone now: wait for the reconnect.
                return try await retryDeletion(job, after: 24 * 3600, error: "webex_not_connected")
            }
            var meetingID = job.webexMeetingID
            if meetingID == nil, let invitation = try await store.read({ try $0.invitation(invitationID) }) {
                meetingID = try await meetingHost.findMeeting(tag: Self.integrationTag(invitationID),
                                                              from: invitation.startTime.addingTimeInterval(-86_400),
                                                              to: invitation.endTime.addingTimeInterval(86_400))?.id
            }
            if let meetingID {
                do {
                    try await meetingHost.deleteMeeting(id: meetingID)
                } catch WebexError.rejected(404, _) {
                    // Gone already (deleted by hand at WebEx, or by an earlier call whose answer was lost).
                }
            }
            try await finish(job, state: .deleted, note: meetingID == nil ? "cancelled; no meeting was made" : "cancelled; deleted at WebEx")
            logger.info("the WebEx meeting of a cancelled invitation is deleted", metadata: ["invitation": "\(invitationID.lowercasedString)"])
        } catch let error as WebexError {
            logger.warning("the WebEx meeting of a cancelled invitation could not be deleted yet",
                           metadata: ["invitation": "\(invitationID.lowercasedString)", "error": "\(error)"])
            switch error {
            case .notConnected, .invalidGrant, .unauthorized:
                try? await retryDeletion(job, after: 24 * 3600, error: "webex_not_connected")
            case .rateLimited(let retryAfter, _, _):
                try? await retryDeletion(job, after: retryAfter ?? backoff(job.attempts + 1), error: "\(error)")
            case .server, .transport, .badResponse, .rejected:
                try? await retryDeletion(job, after: backoff(job.attempts + 1), error: "\(error)")
            }
        } catch {
            logger.error("meeting deletion failed", metadata: ["invitation": "\(invitationID.lowercasedString)", "error": "\(error)"])
            try? await retryDeletion(job, after: 30, error: "\(error)")
        }
    }

    private func retryDeletion(_ job: MeetingJob, after delay: TimeInterval, error: String) async throws {
        try await reschedule(job, state: .deleting, after: delay, error: error)
    }
}
