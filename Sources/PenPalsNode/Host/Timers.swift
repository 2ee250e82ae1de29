public import PenPalsCore
import HeapModule
import Synchronization

/// What a timer is for: one per classroom and purpose, at most one deadline each.
public struct TimerKey: Hashable, Sendable, CustomStringConvertible {
    enum Purpose: Hashable, Sendable {
        /// Channel self → the peer: a push, a sync, a retry.
        case channel(NodeID)
        /// The meeting jobs' next attempt.
        case meetingJobs
        /// The next invitation that expires.
        case expiry
    }

    var node: NodeID
    var purpose: Purpose

    public var description: String { "\(node.rawValue.prefix(8)) \(purpose)" }
}

/// The timers of every classroom of a process, run on one task: a channel's next
/// sync or retry, the meeting jobs' next attempt, the next expiry. Work that is due
/// runs as a child task of `run`, so nothing outlives it, and with nothing due the
/// process sleeps: a thousand idle classrooms cost no wake-up at all.
///
/// Each key has at most one deadline: scheduling it again moves it (to the earlier
/// of the two with `.earliest`). A deadline of now runs the work at once.
public final class Timers: Sendable {
    private struct Entry: Comparable {
        var deadline: ContinuousClock.Instant
        var order: UInt64
        var key: TimerKey
        static func < (a: Entry, b: Entry) -> Bool { (a.deadline, a.order) < (b.deadline, b.order) }
        static func == (a: Entry, b: Entry) -> Bool { a.order == b.order }
    }

    private struct Pending {
        var deadline: ContinuousClock.Instant
        var order: UInt64
        var work: @Sendable () async -> Void
    }

    private struct State {
        var heap = Heap<Entry>()
        var pending: [TimerKey: Pending] = [:]
        var order: UInt64 = 0
        var running = false
    }

    private let state = Mutex(State())
    private let wake = Doorbell()

    public init() {}

    public enum Rule: Sendable {
        /// The new deadline replaces the one set.
        case replace
        /// The earlier of the two stands.
        case earliest
    }

    /// Runs `work` at `deadline` (at once if it has passed), as `key`.
    func schedule(_ key: TimerKey, at deadline: ContinuousClock.Instant, _ rule: Rule = .replace,
                  _ work: @escaping @Sendable () async -> Void) {
        let sooner = state.withLock { state -> Bool in
            if rule == .earliest, let set = state.pending[key], set.deadline <= deadline { return false }
            state.order &+= 1
            state.pending[key] = Pending(deadline: deadline, order: state.order, work: work)
            state.heap.insert(Entry(deadline: deadline, order: state.order, key: key))
            // Entries replaced stay in the heap until they come up; a heap of mostly
            // stale entries is rebuilt from what is pending.
            if state.heap.count > 64 && state.heap.count > 4 * state.pending.count {
                state.heap = Heap(state.pending.map { Entry(deadline: $0.value.deadline, order: $0.value.order, key: $0.key) })
            }
            return state.heap.min?.order == state.order
        }
        if sooner { wake.ring() }
    }

    /// Forgets `key`'s deadline, if it has one.
    func cancel(_ key: TimerKey) {
        state.withLock { _ = $0.pending.removeValue(forKey: key) }
    }

    /// Whether `key` has a deadline.
    func isScheduled(_ key: TimerKey) -> Bool {
        state.withLock { $0.pending[key] != nil }
    }

    /// How many keys have a deadline (for the benchmarks and the tests).
    var count: Int { state.withLock { $0.pending.count } }

    /// Runs due work until cancelled; then waits for the work that started to end.
    /// One `run` at a time.
    public func run() async {
        let first = state.withLock { state -> Bool in
            defer { state.running = true }
            return !state.running
        }
        precondition(first, "Timers.run is already running")
        defer { state.withLock { $0.running = false } }
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let (due, next) = takeDue(now: .now)
                for work in due {
                    group.addTask { await work() }
                }
                if !due.isEmpty { continue }
                await wake.wait(timeout: next.map { max(.zero, $0 - .now) } ?? .seconds(3600))
            }
            group.cancelAll()
        }
    }

    /// The work due at `now`, in deadline order, and when the next is due.
    private func takeDue(now: ContinuousClock.Instant) -> ([@Sendable () async -> Void], ContinuousClock.Instant?) {
        state.withLock { state in
            var due: [@Sendable () async -> Void] = []
            while let top = state.heap.min {
                guard let pending = state.pending[top.key], pending.order == top.order else {
                    _ = state.heap.removeMin()  // replaced or cancelled
                    continue
                }
                guard top.deadline <= now, due.count < 256 else { return (due, top.deadline) }
                _ = state.heap.removeMin()
                state.pending[top.key] = nil
                due.append(pending.work)
            }
            return (due, nil)
        }
    }
}
