import Foundation
import GRDB
import Synchronization

/// Copies committed WAL frames into the database file on a connection and queue
/// of its own, so that commits rarely pay for it: SQLite's own checkpoint runs in
/// the commit that crosses its threshold, which then waits for the copy and the
/// database file's fsync.
///
/// The writer keeps an automatic checkpoint as a bound (`writerBound` frames): a
/// passive checkpoint copies only what was committed when it started, so under a
/// steady stream of writes the WAL can only restart after the writer's own,
/// which by then finds almost every frame copied already.
final class Checkpointer: Sendable {
    /// The writer's `wal_autocheckpoint` when this one runs (frames of 4 KiB).
    static let writerBound = 8_000
    /// At most one checkpoint this often: each costs the database file an fsync.
    static let interval: TimeInterval = 0.05

    private struct State {
        var scheduled = false
        /// Monotonic: a wall clock set back must not hold checkpoints off.
        var lastRun: DispatchTime?
    }

    private let path: String
    /// Its own connection, opened for the first checkpoint and closed by `releaseMemory`
    /// (a thousand idle classrooms hold no checkpointer connection).
    private let connection = Mutex<DatabaseQueue?>(nil)
    private let queue = DispatchQueue(label: "penpals.checkpoint")
    private let state = Mutex(State())

    init(path: String) {
        self.path = path
    }

    private func open() throws -> DatabaseQueue {
        try connection.withLock { connection in
            if let connection { return connection }
            var config = Configuration()
            // The copy is synced before the WAL may restart over it.
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = \(NodeStore.synchronous)")
            }
            let opened = try DatabaseQueue(path: path, configuration: config)
            connection = opened
            return opened
        }
    }

    /// Closes the connection unless a checkpoint is due (it opens again for the next).
    func releaseMemory() {
        queue.async {
            guard !self.state.withLock({ $0.scheduled }) else { return }
            self.connection.withLock { $0 = nil }
        }
    }

    /// After a commit: schedules a checkpoint, unless one is already due.
    func committed() {
        let delay = state.withLock { state -> TimeInterval? in
            guard !state.scheduled else { return nil }
            state.scheduled = true
            guard let lastRun = state.lastRun else { return 0 }
            let since = Double(DispatchTime.now().uptimeNanoseconds - lastRun.uptimeNanoseconds) / 1e9
            return max(0, Self.interval - since)
        }
        guard let delay else { return }
        queue.asyncAfter(deadline: .now() + delay) { self.run() }
    }

    private func run() {
        state.withLock { $0.scheduled = false }
        _ = try? open().writeWithoutTransaction { db in try db.checkpoint(.passive) }
        state.withLock { $0.lastRun = DispatchTime.now() }
    }
}
