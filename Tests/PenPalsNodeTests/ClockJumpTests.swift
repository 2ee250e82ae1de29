import Foundation
import PenPalsCore
@testable import PenPalsNode
import Synchronization
import Testing

/// A wall clock set back by hours (NTP stepping a drifted clock) stalls no
/// retry: the meeting job's next attempt falls due by the monotonic clock too.
@Suite("Wall-clock jumps")
struct ClockJumpTests {
    @Test func aClockSetBackThreeHoursDoesNotHoldOffTheMeetingJobsRetry() async throws {
        let offset = Mutex<TimeInterval>(0)
        try await TestNetwork.with(["a", "b"], acceptWait: .seconds(1)) { network in
            try await network.start("a", now: { Date().addingTimeInterval(offset.withLock { $0 }) },
                                    configure: { $0.webexBackoffBase = 4 })
            try await network.start("b", configure: quickRetries)
            try await network.connectWebex("a", email: "a-teacher@school-a.example")
            try await network.fault(["endpoint": "POST /v1/meetings", "status": 503, "count": 1])
            let id = try await network.inviteAndAccept()
            let uuid = try #require(UUID(uuidString: id))
            // The 503 is answered and the retry stored, due in 2–4 s by the clock of then
            // (the accept has waited its 1 s meanwhile).
            try await eventually("the first attempt failed and the next one is set", timeout: .seconds(5)) {
                let job = try await network.node("a").store.read { try $0.job(forInvitation: uuid) }
                return job?.attempts == 1 && job?.state == .pending
            }
            offset.withLock { $0 = -3 * 3600 }
            // Due by the wall clock in three hours; by the monotonic clock within 4 s.
            try await eventually("the retry made the meeting", timeout: .seconds(10)) {
                try await status(of: id, at: "a", in: network) == "scheduled"
            }
            try await expectExactlyOneMeeting(network, for: id)
        }
    }
}
