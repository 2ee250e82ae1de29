import Foundation
import GRDB
import Synchronization

/// Runs concurrent write requests together in one transaction, so that many of
/// them share one durable commit (one fsync) instead of paying one each.
///
/// Each request runs in its own savepoint: one that throws is rolled back alone
/// and its caller gets its error; the others commit. Callers are answered only
/// after the commit, so nothing is acknowledged before it is on disk.
final class GroupCommit: Sendable {
    private struct Request: Sendable {
        /// Applies the request inside the batch's transaction; returns how to answer its caller.
        /// Alone in its batch, it runs without a savepoint of its own and its error rolls
        /// the transaction back; with others, its savepoint keeps their work apart.
        let apply: @Sendable (Database, _ alone: Bool) throws -> @Sendable () -> Void
        /// Answers the caller when the whole batch failed to commit.
        let fail: @Sendable (any Error) -> Void
    }

    private struct Queue {
        var waiting: [Request] = []
        var draining = false
    }

    private let writer: any DatabaseWriter
    private let queue = Mutex(Queue())
    private let drainQueue = DispatchQueue(label: "penpals.group-commit")
    /// Transactions committed (or tried): one per batch, however many requests it held.
    let transactions = Atomic<Int>(0)

    init(writer: any DatabaseWriter) {
        self.writer = writer
    }

    func submit<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let request = Request(
                apply: { db, alone in
                    if alone {
                        let value = try updates(db)
                        return { continuation.resume(returning: value) }
                    }
                    // Prepared once (GRDB's `inSavepoint` parses its statements on every call).
                    try db.cachedStatement(sql: "SAVEPOINT request").execute()
                    do {
                        let value = try updates(db)
                        try db.cachedStatement(sql: "RELEASE SAVEPOINT request").execute()
                        return { continuation.resume(returning: value) }
                    } catch {
                        try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT request").execute()
                        try db.cachedStatement(sql: "RELEASE SAVEPOINT request").execute()
                        return { continuation.resume(throwing: error) }
                    }
                },
                fail: { continuation.resume(throwing: $0) })
            let startDraining = queue.withLock { queue -> Bool in
                queue.waiting.append(request)
                guard !queue.draining else { return false }
                queue.draining = true
                return true
            }
            if startDraining {
                // On a queue of its own, not the concurrency pool: a request waits for no
                // pool thread to be free before its transaction starts (GRDB's write blocks
                // this queue's thread, as its own asynchronous write blocks its writer's).
                drainQueue.async { self.drain() }
            }
        }
    }

    /// Commits what is waiting, batch after batch, until nothing waits.
    private func drain() {
        while true {
            let batch = queue.withLock { queue -> [Request] in
                let batch = queue.waiting
                queue.waiting = []
                if batch.isEmpty { queue.draining = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                let alone = batch.count == 1
                transactions.add(1, ordering: .relaxed)
                let answers = try writer.write { db in try batch.map { try $0.apply(db, alone) } }
                answers.forEach { $0() }
            } catch {
                batch.forEach { $0.fail(error) }
            }
        }
    }
}
