import Foundation
import Testing
@testable import PenPalsCore

/// The meeting job's rules without a store or WebEx.
@Suite("MeetingJobMachine")
struct MeetingJobMachineTests {
    let id = UUID(uuidString: "00000000-0000-7000-8000-000000000002")!
    let now = december1
    let policy = MeetingJobMachine.Policy(webexTimeout: 30, backoffBase: 2, maxAttempts: 3)
    /// The top of every backoff range, so delays are exact.
    let top: (ClosedRange<Double>) -> Double = { $0.upperBound }

    func job(_ state: MeetingJob.State, attempts: Int = 0, updatedAt: Date? = nil) -> MeetingJob {
        MeetingJob(invitationID: id, state: state, attempts: attempts, nextAttempt: now, lastError: nil, updatedAt: updatedAt ?? now)
    }

    @Test("commands: start, restart after the failed call settled, drop, stop")
    func commands() {
        let started = MeetingJobMachine.apply(.start, to: nil, invitationID: id, recordedMeeting: nil, now: now)
        #expect(started?.state == .pending && started?.nextAttempt == now)
        var failed = job(.failed)
        failed.nextAttempt = now.addingTimeInterval(60)
        let restarted = MeetingJobMachine.apply(.restart, to: failed, invitationID: id, recordedMeeting: nil, now: now)
        #expect(restarted?.state == .creating && restarted?.attempts == 0 && restarted?.nextAttempt == now.addingTimeInterval(60))

        let drop = { (state: MeetingJob.State, meeting: String?) in
            MeetingJobMachine.apply(.drop, to: job(state), invitationID: id, recordedMeeting: meeting, now: now)
        }
        #expect(drop(.created, "m1")?.state == .deleting)
        #expect(drop(.created, "m1")?.webexMeetingID == "m1")
        #expect(drop(.creating, nil)?.state == .deleting)
        #expect(drop(.pending, nil)?.state == .failed)
        #expect(drop(.created, nil)?.state == .failed)
        #expect(drop(.deleting, nil) == nil)
        #expect(drop(.deleted, nil) == nil)
        #expect(MeetingJobMachine.apply(.drop, to: nil, invitationID: id, recordedMeeting: nil, now: now) == nil)

        #expect(MeetingJobMachine.apply(.stop(reason: "expired"), to: job(.creating), invitationID: id, recordedMeeting: nil, now: now)?.state == .failed)
        #expect(MeetingJobMachine.apply(.stop(reason: "expired"), to: job(.created), invitationID: id, recordedMeeting: nil, now: now) == nil)
        let unwanted = MeetingJobMachine.apply(.unwanted(webexMeetingID: "m2"), to: job(.creating, attempts: 1), invitationID: id,
                                               recordedMeeting: nil, now: now)
        #expect(unwanted?.state == .deleting && unwanted?.webexMeetingID == "m2" && unwanted?.attempts == 0)
    }

    @Test("next: settled invitations finish, no WebEx waits, an interrupted call is looked up first")
    func next() {
        #expect(MeetingJobMachine.next(job(.deleting), invitation: .cancelled, connected: false, now: now, policy: policy) == .delete)
        guard case .finish(let done) = MeetingJobMachine.next(job(.pending), invitation: .scheduled, connected: true, now: now, policy: policy)
        else { Issue.record("not finished"); return }
        #expect(done.state == .created)
        #expect(MeetingJobMachine.next(job(.pending), invitation: .accepted, connected: false, now: now, policy: policy) == .waitForWebex)
        // Creating with an attempt made 10 s ago: the call may still land within 2 × 30 s.
        let interrupted = job(.creating, attempts: 1, updatedAt: now.addingTimeInterval(-10))
        #expect(MeetingJobMachine.next(interrupted, invitation: .accepted, connected: true, now: now, policy: policy)
                == .lookUpFirst(settled: now.addingTimeInterval(50)))
        // Past that window it calls, in doubt (looking up before creating).
        guard case .call(let started, let inDoubt) = MeetingJobMachine.next(interrupted, invitation: .accepted, connected: true,
                                                                             now: now.addingTimeInterval(60), policy: policy)
        else { Issue.record("no call"); return }
        #expect(inDoubt && started.attempts == 2 && started.state == .creating)
        guard case .call(_, let fresh) = MeetingJobMachine.next(job(.pending), invitation: .accepted, connected: true, now: now, policy: policy)
        else { Issue.record("no call"); return }
        #expect(!fresh)
    }

    @Test("after a failure: lost calls stay in doubt and wait out the timeout, 5xx do not, the last attempt gives up")
    func afterFailure() {
        let lost = MeetingJobMachine.after(.lost("timeout"), job: job(.pending), senderName: "A", now: now, policy: policy, jitter: top)
        #expect(lost == .retry(MeetingJobMachine.rescheduled(job(.pending), state: .creating, after: 60, error: "timeout", now: now)))
        let server = MeetingJobMachine.after(.server("503"), job: job(.pending), senderName: "A", now: now, policy: policy, jitter: top)
        #expect(server == .retry(MeetingJobMachine.rescheduled(job(.pending), state: .pending, after: 4, error: "503", now: now)))
        guard case .fail(let failed, let code, _) = MeetingJobMachine.after(.lost("timeout"), job: job(.creating, attempts: 2),
                                                                             senderName: "A", now: now, policy: policy, jitter: top)
        else { Issue.record("not failed"); return }
        #expect(code == "webex_unavailable")
        // A failed job remembers when its last (doubtful) call must have ended.
        #expect(failed.nextAttempt == now.addingTimeInterval(60))
        guard case .fail(_, let quota, let message) = MeetingJobMachine.after(
            .rateLimited(retryAfter: 20 * 3600, status: 429, message: "daily limit"), job: job(.pending), senderName: "Room A",
            now: now, policy: policy, jitter: top)
        else { Issue.record("not failed"); return }
        #expect(quota == "webex_quota" && message.hasPrefix("Room A's WebEx account reached its limit"))
        #expect(MeetingJobMachine.after(.notConnected(refused: true), job: job(.pending), senderName: "A", now: now, policy: policy,
                                        jitter: top) == .waitForWebex(refused: true))
        guard case .retry(let limited) = MeetingJobMachine.after(.rateLimited(retryAfter: 7, status: 429, message: "slow"),
                                                                 job: job(.pending), senderName: "A", now: now, policy: policy, jitter: top)
        else { Issue.record("no retry"); return }
        #expect(limited.nextAttempt == now.addingTimeInterval(7) && limited.state == .pending)
    }

    @Test("waiting for WebEx keeps the doubt and resumes once connected")
    func waitingForWebex() {
        let waiting = MeetingJobMachine.waitingForWebex(job(.creating, attempts: 1), now: now, policy: policy)
        #expect(waiting.state == .creating && waiting.lastError == MeetingJobMachine.notConnectedError)
        #expect(waiting.nextAttempt == now.addingTimeInterval(24 * 3600))
        #expect(MeetingJobMachine.resumed(waiting, now: now)?.nextAttempt == now)
        #expect(MeetingJobMachine.resumed(job(.pending), now: now) == nil)
    }

    @Test("the integration tag is penpals- and the lower-case id")
    func tag() {
        #expect(MeetingJob.integrationTag(id) == "penpals-00000000-0000-7000-8000-000000000002")
    }
}
