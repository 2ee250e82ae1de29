import Foundation

/// The durable job, at an invitation's sender, that makes (and, after a cancel,
/// deletes) the invitation's WebEx meeting with the sender's own account.
///
///     pending ──call──▶ creating ──answer──▶ created ──cancel──▶ deleting ──▶ deleted
///        ▲                 │  ▲                                     ▲
///        └──retry later────┘  └─ a call in doubt (timeout, crash) ──┘ (cancel while creating)
///                          └──give up──▶ failed ──teacher's retry──▶ a new job, creating
///
///     created ──reschedule──▶ updating ──PUT of the latest revision──▶ created
///
/// An update is a PUT of the whole meeting with the invitation's current fields: repeated
/// after any doubt, it changes nothing more, and it never makes a second meeting.
///
/// A job found `creating` may have made its meeting already (the call's answer was
/// lost, or the node stopped): it looks the meeting up by its integration tag before
/// anything is created again, so there is exactly one meeting.
public struct MeetingJob: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        /// Waiting for its next attempt.
        case pending
        /// A create call was started: after a crash the meeting may exist, so look it up first.
        case creating
        case created
        case failed
        /// The invitation was cancelled after a meeting was (or may have been) made:
        /// delete it at WebEx (`webexMeetingID`, or the meeting found by its tag).
        case deleting
        /// The meeting of a cancelled invitation is gone from WebEx.
        case deleted
        /// The invitation was rescheduled after its meeting was made: bring the meeting
        /// at WebEx to revision `updateRevision` (version 1.1).
        case updating

        /// The states in which the job still has work to do.
        public static let open: Set<State> = [.pending, .creating, .deleting, .updating]
    }

    public var invitationID: UUID
    public var state: State
    public var attempts: Int
    /// When the next attempt is due (for a failed job: when its last call must have ended).
    public var nextAttempt: Date
    public var lastError: String?
    public var updatedAt: Date
    /// The WebEx meeting to delete, when known (`deleting`).
    public var webexMeetingID: String?
    /// The invitation's revision the WebEx meeting must show (`updating`, or a reschedule
    /// while the meeting was being made).
    public var updateRevision: Int?

    public init(invitationID: UUID, state: State, attempts: Int, nextAttempt: Date, lastError: String?, updatedAt: Date,
                webexMeetingID: String? = nil, updateRevision: Int? = nil) {
        self.invitationID = invitationID
        self.state = state
        self.attempts = attempts
        self.nextAttempt = nextAttempt
        self.lastError = lastError
        self.updatedAt = updatedAt
        self.webexMeetingID = webexMeetingID
        self.updateRevision = updateRevision
    }

    public var isOpen: Bool { State.open.contains(state) }

    /// The tag a job's meeting carries at WebEx, by which it is found again: of the
    /// invitation, or of its group (`Invitation.integrationTag`).
    public static func integrationTag(_ id: UUID) -> String {
        "penpals-\(id.lowercasedString)"
    }
}

/// What an invitation's change asks of its meeting job (`InvitationMachine.Change.job`).
public enum MeetingJobCommand: Sendable, Equatable {
    /// Accepted: make the meeting as soon as possible.
    case start
    /// The sender retries a failed invitation: a new job, in doubt (it looks the
    /// meeting up first), not before the failed job's last call must have ended.
    case restart
    /// Cancelled: stop making the meeting; delete one made, or possibly made.
    case drop
    /// Expired: a job that has not made its meeting stops.
    case stop(reason: String)
    /// The job's meeting is recorded; `update`: the invitation was rescheduled to this
    /// revision while WebEx made it, so the meeting is brought to it next.
    case made(webexMeetingID: String, update: Int?)
    /// Rescheduled to `revision`: a meeting that exists is brought to the new times
    /// (one in the making is, once made).
    case update(revision: Int)
    /// Cancelled, declined or expired while other invitations of its group still want
    /// the group's meeting: stop, and delete nothing.
    case leave
    /// The last live invitation of a group left it: delete the group's meeting (this
    /// invitation's job, made for it if it had none).
    case deleteGroupMeeting(webexMeetingID: String?)
    /// The job made its meeting after the invitation was settled: delete it.
    case unwanted(webexMeetingID: String)
}

/// A meeting job's failed WebEx call, as the job's rules tell them apart.
public enum MeetingJobFailure: Sendable, Equatable {
    /// No account, a refused refresh token (`refused`), or a 401.
    case notConnected(refused: Bool)
    case rateLimited(retryAfter: TimeInterval?, status: Int, message: String)
    /// A 5xx answer: WebEx made no meeting.
    case server(String)
    /// A timeout, a lost connection or an answer that does not read: the meeting may exist.
    case lost(String)
    /// A 4xx other than 401 and 429.
    case rejected(status: Int, message: String)
    /// WebEx answered a join link no node may pass on.
    case unusableLink(String)
    /// Anything else (the store, say): try again in a while, still in doubt.
    case other(String)
}

/// Every rule of a meeting job, as pure functions: the node reads the job, asks here
/// what to do, carries it out (a WebEx call) and saves what comes back.
public enum MeetingJobMachine {
    /// How jobs retry (the node's settings).
    public struct Policy: Sendable {
        /// Seconds a WebEx call may wait for an answer before it counts as lost.
        public var webexTimeout: TimeInterval
        /// Attempt n waits between base·2ⁿ⁻¹ and base·2ⁿ seconds, capped at `backoffCap`.
        public var backoffBase: Double
        public var backoffCap: Double = 300
        /// Attempts through 5xx answers, timeouts and connection errors before the invitation fails.
        public var maxAttempts: Int
        /// A `Retry-After` longer than this fails the job with a message instead of waiting.
        public var longestRateLimitWait: TimeInterval = 3600
        /// How long a job waits for its classroom to connect WebEx before looking again.
        public var connectWait: TimeInterval = 24 * 3600

        public init(webexTimeout: TimeInterval, backoffBase: Double, maxAttempts: Int) {
            self.webexTimeout = webexTimeout
            self.backoffBase = backoffBase
            self.maxAttempts = maxAttempts
        }

        /// By when a call started at `start` must have ended at WebEx, answer or not.
        func settled(after start: Date) -> Date { start.addingTimeInterval(2 * webexTimeout) }
    }

    public static let notConnectedError = "webex_not_connected"

    /// What an invitation's change does to its job (`existing`, if any); nil: nothing to save.
    /// `recordedMeeting` is the WebEx id of the meeting this node recorded for the invitation.
    public static func apply(_ command: MeetingJobCommand, to existing: MeetingJob?, invitationID: UUID,
                             recordedMeeting: String?, now: Date) -> MeetingJob? {
        /// The job turned to deleting `webexMeetingID` (nil: the one its tag finds), at once.
        func deleting(_ job: MeetingJob, _ webexMeetingID: String?, note: String) -> MeetingJob {
            var job = job
            job.state = .deleting
            job.webexMeetingID = webexMeetingID
            job.attempts = 0
            job.nextAttempt = now
            job.lastError = note
            job.updatedAt = now
            return job
        }
        switch command {
        case .start:
            return MeetingJob(invitationID: invitationID, state: .pending, attempts: 0, nextAttempt: now, lastError: nil, updatedAt: now)
        case .restart:
            // The failed job's last call (one that timed out, say) may still be finishing at
            // WebEx: the lookup waits until that call must have ended, or it could miss its
            // meeting. (A failed job's `nextAttempt` is that time, set when it gave up.)
            let settled = existing?.nextAttempt ?? now
            return MeetingJob(invitationID: invitationID, state: .creating, attempts: 0, nextAttempt: max(now, settled),
                              lastError: nil, updatedAt: now)
        case .drop:
            guard var job = existing else { return nil }
            switch job.state {
            case .created where recordedMeeting != nil, .creating, .updating:
                job = deleting(job, recordedMeeting, note: "cancelled")
            case .pending, .failed, .created:
                job.state = .failed
                job.lastError = "cancelled"
            case .deleting, .deleted:
                return nil
            }
            job.updatedAt = now
            return job
        case .stop(let reason):
            guard var job = existing, job.state == .pending || job.state == .creating else { return nil }
            job.state = .failed
            job.lastError = reason
            job.updatedAt = now
            return job
        case .made(_, let update):
            guard var job = existing else { return nil }
            let target = max(update ?? 0, job.updateRevision ?? 0)
            job.state = target > 0 ? .updating : .created
            job.updateRevision = target > 0 ? target : nil
            job.attempts = 0
            job.nextAttempt = now
            job.lastError = nil
            job.updatedAt = now
            return job
        case .leave:
            guard var job = existing, job.isOpen || job.state == .created else { return nil }
            job.state = .failed
            job.lastError = "left the group; its meeting goes on"
            job.updatedAt = now
            return job
        case .deleteGroupMeeting(let webexMeetingID):
            let job = existing ?? MeetingJob(invitationID: invitationID, state: .pending, attempts: 0, nextAttempt: now,
                                             lastError: nil, updatedAt: now)
            guard job.state != .deleted, job.state != .deleting else { return nil }
            return deleting(job, webexMeetingID, note: "the group's last invitation left")
        case .update(let revision):
            guard var job = existing else { return nil }
            switch job.state {
            case .created, .updating:
                job.state = .updating
                job.attempts = 0
                job.nextAttempt = now
                job.lastError = nil
            case .pending, .creating:
                // Made with the invitation's times when it runs; one in flight is told by `made`.
                break
            case .failed, .deleting, .deleted:
                return nil
            }
            job.updateRevision = max(job.updateRevision ?? 0, revision)
            job.updatedAt = now
            return job
        case .unwanted(let webexMeetingID):
            guard let job = existing else { return nil }
            return deleting(job, webexMeetingID, note: "cancelled")
        }
    }

    /// What a due job does next.
    public enum Next: Sendable, Equatable {
        /// Nothing more: the invitation was settled otherwise (saved as this).
        case finish(MeetingJob)
        /// Its classroom has no WebEx account connected.
        case waitForWebex
        /// A call interrupted by a restart may still land: look the meeting up now;
        /// if WebEx does not have it, postpone the job until `settled`.
        case lookUpFirst(settled: Date)
        /// Call WebEx, with `started` saved first (the doubt is durable before the call);
        /// `inDoubt`: look the meeting up before creating one.
        case call(started: MeetingJob, inDoubt: Bool)
        /// Delete the cancelled invitation's meeting.
        case delete
        /// PUT the meeting with the invitation's current fields (version 1.1).
        case update
    }

    /// What `job` does now, given its invitation's status and whether WebEx is connected.
    public static func next(_ job: MeetingJob, invitation: InvitationStatus, connected: Bool, now: Date,
                            policy: Policy) -> Next {
        if job.state == .deleting { return .delete }
        if job.state == .updating {
            guard invitation == .scheduled else {
                return .finish(finished(job, state: .created, note: "invitation is \(invitation.rawValue)", now: now))
            }
            return connected ? .update : .waitForWebex
        }
        guard invitation == .accepted else {
            var done = job
            done.state = invitation == .scheduled ? .created : .failed
            done.lastError = "invitation is \(invitation.rawValue)"
            done.updatedAt = now
            return .finish(done)
        }
        guard connected else { return .waitForWebex }
        let settled = policy.settled(after: job.updatedAt)
        if job.state == .creating, job.attempts > 0, now < settled { return .lookUpFirst(settled: settled) }
        var started = job
        started.state = .creating
        started.attempts += 1
        started.updatedAt = now
        return .call(started: started, inDoubt: job.state == .creating)
    }

    /// The job postponed until an interrupted call must have ended (`Next.lookUpFirst` found nothing).
    public static func postponed(_ job: MeetingJob, until settled: Date) -> MeetingJob {
        var waiting = job
        waiting.nextAttempt = settled
        return waiting
    }

    /// The job waiting for its classroom to connect (or reconnect) WebEx.
    public static func waitingForWebex(_ job: MeetingJob, now: Date, policy: Policy) -> MeetingJob {
        var waiting = job
        if job.state != .deleting { waiting.state = job.state == .creating ? .creating : .pending }
        waiting.nextAttempt = now.addingTimeInterval(policy.connectWait)
        waiting.lastError = notConnectedError
        waiting.updatedAt = now
        return waiting
    }

    /// A job waiting for WebEx runs now (its classroom connected); nil for any other job.
    public static func resumed(_ job: MeetingJob, now: Date) -> MeetingJob? {
        guard job.isOpen, job.lastError == notConnectedError else { return nil }
        var resumed = job
        resumed.nextAttempt = now
        return resumed
    }

    /// What a job does after a failed create call.
    public enum AfterFailure: Sendable, Equatable {
        /// Wait for the classroom to connect WebEx (`refused`: it must reconnect).
        case waitForWebex(refused: Bool)
        /// Try again: the job as saved until then.
        case retry(MeetingJob)
        /// Give up: the job as saved, and what the teachers read.
        case fail(MeetingJob, code: String, message: String)
    }

    /// `job` (as it was before the call) after `failure`.
    /// - Parameter jitter: picks a backoff delay within a range.
    public static func after(_ failure: MeetingJobFailure, job: MeetingJob, senderName: String, now: Date, policy: Policy,
                             jitter: (ClosedRange<Double>) -> Double) -> AfterFailure {
        let attempts = job.attempts + 1
        func retry(after delay: TimeInterval, inDoubt: Bool, error: String) -> AfterFailure {
            .retry(rescheduled(job, state: inDoubt ? .creating : .pending, after: delay, error: error, now: now))
        }
        func fail(_ code: String, _ message: String, settled: Date? = nil) -> AfterFailure {
            var failed = job
            failed.state = .failed
            failed.nextAttempt = settled ?? now
            failed.lastError = message
            failed.updatedAt = now
            return .fail(failed, code: code, message: message)
        }
        switch failure {
        case .notConnected(let refused):
            return .waitForWebex(refused: refused)
        case .rateLimited(let retryAfter, let status, let message):
            if let retryAfter, retryAfter > policy.longestRateLimitWait {
                // Waiting hours in silence helps no one: say what happened and let the sender retry.
                return fail("webex_quota", quotaMessage(sender: senderName, status: status, message: message, retryAfter: retryAfter))
            }
            return retry(after: retryAfter ?? backoff(attempts, policy, jitter), inDoubt: false,
                         error: "WebEx rate limit (\(status)): \(message)")
        case .server(let error), .lost(let error):
            // A timeout or lost answer may hide a created meeting: stay in doubt, and
            // give a slow WebEx time to finish that call before looking it up.
            let doubtful = if case .lost = failure { true } else { false }
            if attempts >= policy.maxAttempts {
                return fail("webex_unavailable",
                            "WebEx could not be reached after \(attempts) attempts; the sender can try again later.",
                            settled: doubtful ? policy.settled(after: now) : nil)
            }
            let delay = doubtful ? max(backoff(attempts, policy, jitter), 2 * policy.webexTimeout) : backoff(attempts, policy, jitter)
            return retry(after: delay, inDoubt: doubtful, error: error)
        case .rejected(_, let message):
            return fail("webex_rejected", "WebEx refused to create the meeting: \(message)")
        case .unusableLink(let problem):
            return fail("webex_bad_link", "WebEx answered a join link this node cannot pass on (\(problem)); the sender can try again.")
        case .other(let error):
            return retry(after: 30, inDoubt: true, error: error)
        }
    }

    /// `job` (deleting) after a failed delete call: when it tries again.
    public static func afterDeleteFailure(_ failure: MeetingJobFailure, job: MeetingJob, now: Date, policy: Policy,
                                          jitter: (ClosedRange<Double>) -> Double) -> MeetingJob {
        let delay: TimeInterval, error: String
        switch failure {
        case .notConnected:
            (delay, error) = (policy.connectWait, notConnectedError)
        case .rateLimited(let retryAfter, let status, let message):
            (delay, error) = (retryAfter ?? backoff(job.attempts + 1, policy, jitter), "WebEx rate limit (\(status)): \(message)")
        case .server(let message), .lost(let message), .rejected(_, let message), .unusableLink(let message):
            (delay, error) = (backoff(job.attempts + 1, policy, jitter), message)
        case .other(let message):
            (delay, error) = (30, message)
        }
        return rescheduled(job, state: .deleting, after: delay, error: error, now: now)
    }

    /// `job` (updating) after WebEx took the meeting of `revision`: done, or once more
    /// when the invitation was rescheduled again while the call ran.
    public static func updated(_ job: MeetingJob, to revision: Int, now: Date) -> MeetingJob {
        var next = job
        next.attempts = 0
        next.updatedAt = now
        if revision >= (job.updateRevision ?? 0) {
            next.state = .created
            next.updateRevision = nil
            next.lastError = nil
        } else {
            next.nextAttempt = now
        }
        return next
    }

    /// What an update does after a failed PUT: try again later (as a delete does), or,
    /// when WebEx refuses the new fields, stop with what the teachers read; the
    /// meeting keeps its last times at WebEx until the next reschedule.
    public enum AfterUpdateFailure: Sendable, Equatable {
        case retry(MeetingJob)
        case waitForWebex
        case giveUp(MeetingJob, message: String)
    }

    public static func afterUpdateFailure(_ failure: MeetingJobFailure, job: MeetingJob, now: Date, policy: Policy,
                                          jitter: (ClosedRange<Double>) -> Double) -> AfterUpdateFailure {
        switch failure {
        case .notConnected:
            return .waitForWebex
        case .rejected(_, let message), .unusableLink(let message):
            var done = finished(job, state: .created, note: "WebEx refused the new times: \(message)", now: now)
            done.updateRevision = nil
            return .giveUp(done, message: "WebEx refused to move the meeting: \(message). The meeting keeps its earlier times at WebEx; reschedule again to try once more.")
        case .rateLimited, .server, .lost, .other:
            var next = afterDeleteFailure(failure, job: job, now: now, policy: policy, jitter: jitter)
            next.state = .updating
            return .retry(next)
        }
    }

    /// The job done: `state` (created, failed, deleted) with a note.
    public static func finished(_ job: MeetingJob, state: MeetingJob.State, note: String, now: Date) -> MeetingJob {
        var done = job
        done.state = state
        done.lastError = note
        done.updatedAt = now
        return done
    }

    /// Counts the failed attempt and sets the job's next one `delay` seconds from now.
    static func rescheduled(_ job: MeetingJob, state: MeetingJob.State, after delay: TimeInterval, error: String,
                            now: Date) -> MeetingJob {
        var next = job
        next.state = state
        next.attempts = job.attempts + 1
        next.nextAttempt = now.addingTimeInterval(delay)
        next.lastError = error
        next.updatedAt = now
        return next
    }

    static func backoff(_ attempts: Int, _ policy: Policy, _ jitter: (ClosedRange<Double>) -> Double) -> TimeInterval {
        let ceiling = min(policy.backoffCap, policy.backoffBase * pow(2, Double(attempts)))
        return jitter(ceiling / 2...ceiling)
    }

    /// What the teacher reads when WebEx refuses new meetings for hours (the daily quota).
    public static func quotaMessage(sender: String, status: Int, message: String, retryAfter: TimeInterval) -> String {
        let hours = Int((retryAfter / 3600).rounded(.up))
        let quota = status == 429 && message.lowercased().contains("limit")
        if quota || retryAfter >= 12 * 3600 {
            return "\(sender)'s WebEx account reached its limit of 100 meetings a day; try again tomorrow"
                + " (WebEx accepts new meetings again in about \(hours) h)."
        }
        return "WebEx refuses new meetings from \(sender)'s account for about \(hours) h (\(message)); try again later."
    }
}
