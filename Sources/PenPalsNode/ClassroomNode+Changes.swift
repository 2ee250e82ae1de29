import Foundation
import Synchronization

/// Something the dashboard shows has changed; the page then reads the lists again.
struct Change: Sendable, Equatable {
    enum Kind: String, Sendable {
        /// Invitations (and so meetings) changed; `invitations` names them.
        case invitations
        /// A partner classroom became reachable or unreachable.
        case classrooms
        /// The classroom's WebEx account was connected.
        case webex
    }

    var kind: Kind
    var invitations: [UUID] = []
}

/// Fans changes out to every open `/api/events` stream. A subscriber that reads
/// slowly keeps only the newest changes (the page re-reads everything anyway).
/// Closing it ends every stream, so a graceful shutdown does not wait on them.
final class ChangeFeed: Sendable {
    private struct State {
        var next = 0
        var subscribers: [Int: AsyncStream<Change>.Continuation] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    /// A stream of the changes from now on; it ends when the feed closes.
    func subscribe() -> AsyncStream<Change> {
        let (stream, continuation) = AsyncStream.makeStream(of: Change.self, bufferingPolicy: .bufferingNewest(64))
        let id = state.withLock { state -> Int? in
            guard !state.closed else { return nil }
            state.next += 1
            state.subscribers[state.next] = continuation
            return state.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    func publish(_ change: Change) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.yield(change) }
    }

    /// Ends every stream and refuses new subscribers.
    func close() {
        let subscribers = state.withLock { state -> [AsyncStream<Change>.Continuation] in
            state.closed = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }
}

extension ClassroomNode {
    /// Announces committed invitation changes to the dashboards (called from `settle`).
    func announce(_ invitations: Set<UUID>) {
        guard !invitations.isEmpty else { return }
        // In id order; each id formatted once (a sync page changes up to 1,000 at a time).
        let ordered = invitations.map { ($0.lowercasedString, $0) }.sorted { $0.0 < $1.0 }.map(\.1)
        changes.publish(Change(kind: .invitations, invitations: ordered))
    }

    /// Announces a peer's reachability when it flips.
    func announceReachability(was before: Bool?, now after: Bool?) {
        if before != after { changes.publish(Change(kind: .classrooms)) }
    }
}
