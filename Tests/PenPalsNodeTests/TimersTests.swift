import Foundation
import PenPalsCore
@testable import PenPalsNode
import Synchronization
import Testing

@Suite("One set of timers for a host's background work")
struct TimersTests {
    static let node = NodeKey.generate().id
    static func key(_ purpose: TimerKey.Purpose) -> TimerKey { TimerKey(node: node, purpose: purpose) }

    @Test func workRunsAtItsDeadlineInOrderAndAMovedDeadlineReplacesTheOld() async throws {
        let timers = Timers()
        let ran = Mutex<[String]>([])
        let run = Task { await timers.run() }
        defer { run.cancel() }
        let start = ContinuousClock.now
        let peers = (0..<3).map { _ in NodeKey.generate().id }
        timers.schedule(Self.key(.channel(peers[0])), at: start + .milliseconds(60)) { ran.withLock { $0.append("60") } }
        timers.schedule(Self.key(.channel(peers[1])), at: start + .milliseconds(20)) { ran.withLock { $0.append("20") } }
        // Scheduled again: only the later deadline stands.
        timers.schedule(Self.key(.channel(peers[2])), at: start + .milliseconds(10)) { ran.withLock { $0.append("10, moved") } }
        timers.schedule(Self.key(.channel(peers[2])), at: start + .milliseconds(40)) { ran.withLock { $0.append("40") } }
        try await eventually("all three ran") { ran.withLock { $0.count } == 3 }
        #expect(ran.withLock { $0 } == ["20", "40", "60"])
        #expect(ContinuousClock.now - start >= .milliseconds(60))
        #expect(timers.count == 0)
    }

    @Test func theEarliestRuleKeepsTheSoonerDeadlineAndCancelForgets() async throws {
        let timers = Timers()
        let ran = Mutex<[String]>([])
        let far = ContinuousClock.now + .seconds(3600)
        timers.schedule(Self.key(.expiry), at: far) { ran.withLock { $0.append("far") } }
        timers.schedule(Self.key(.expiry), at: far + .seconds(1), .earliest) { ran.withLock { $0.append("later") } }
        timers.schedule(Self.key(.meetingJobs), at: far) { ran.withLock { $0.append("jobs") } }
        timers.cancel(Self.key(.meetingJobs))
        #expect(timers.count == 1)
        timers.schedule(Self.key(.expiry), at: .now, .earliest) { ran.withLock { $0.append("now") } }
        let run = Task { await timers.run() }
        defer { run.cancel() }
        try await eventually("the sooner one ran") { ran.withLock { $0 } == ["now"] }
        #expect(timers.count == 0, "the far deadline was replaced by the sooner one, not kept beside it")
    }

    @Test func cancellingTheRunCancelsTheWorkItStartedAndWaitsForIt() async throws {
        let timers = Timers()
        let started = Atomic<Bool>(false)
        let ended = Atomic<Bool>(false)
        timers.schedule(Self.key(.expiry), at: .now) {
            started.store(true, ordering: .relaxed)
            try? await Task.sleep(for: .seconds(3600))
            ended.store(true, ordering: .relaxed)
        }
        let run = Task { await timers.run() }
        try await eventually("the work started") { started.load(ordering: .relaxed) == true }
        run.cancel()
        await run.value
        let workEnded = ended.load(ordering: .relaxed)
        #expect(workEnded, "run returned only after its work ended")
    }

    @Test func aChannelBackingOffLetsNewEventsWaitButASyncOrAGapRunsAtOnce() {
        let now = ContinuousClock.now
        var channel = ChannelState()
        #expect(channel.isIdle)
        channel.pushWanted = true
        #expect(channel.next(at: now) == .push)
        #expect(channel.next(at: now) == nil)

        channel.retryAt = now + .seconds(30)
        channel.nextSync = now + .seconds(30)
        channel.pushWanted = true
        #expect(channel.next(at: now) == nil, "new events wait for the retry")
        #expect(channel.deadline == now + .seconds(30))
        #expect(channel.next(at: now + .seconds(30)) == .sync, "the retry is a sync, which pushes too")
        #expect(!channel.pushWanted)

        channel.retryAt = now + .seconds(60)
        channel.syncWanted = true
        #expect(channel.next(at: now + .seconds(31)) == .sync, "a gap does not wait for the backoff")
        channel.retryAt = nil
        #expect(channel.isIdle)
    }
}
