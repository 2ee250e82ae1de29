import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Copies committed WAL frames into the database file on a connection and queue
/// of its own, so that commits rarely pay for it: SQLite's own checkpoint runs in
/// the commit that crosses its threshold, which then waits for the copy and the
/// database file's fsync.
///
/// It copies once the WAL holds `frameThreshold` frames, not after every burst of
/// commits: each checkpoint costs the database file an fsync, and the write after it
/// restarts the WAL, which costs the WAL's header one more; a classroom that makes an
/// invitation now and then pays neither, and its commits are durable in the WAL alone.
///
/// The writer keeps its own checkpoint as a bound (`writerBound` frames, what
/// `wal_autocheckpoint` would do, in the WAL hook that counts the frames): a
/// passive checkpoint copies only what was committed when it started, so under a
/// steady stream of writes the WAL can only restart after the writer's own,
/// which by then finds almost every frame copied already.
final class Checkpointer: Sendable {
    /// The writer checkpoints in its commit at this many frames (of 4 KiB).
    static let writerBound: Int32 = 8_000
    /// This one copies once the WAL holds this many frames (1 MiB; an invitation's
    /// commit is about ten).
    static let frameThreshold = 256
    /// At most one checkpoint this often.
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
    private let frames: WALFrames
    var walFrames: Int { frames.count }

    /// Checkpoints run so far.
    let runs = Atomic<Int>(0)

    /// - Parameter frames: the writer's WAL hook, installed by `installHook(on:)`.
    init(path: String, frames: WALFrames) {
        self.path = path
        self.frames = frames
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

    /// After a commit: schedules a checkpoint if the WAL has grown to `frameThreshold`,
    /// unless one is already due.
    func committed() {
        guard frames.count >= Self.frameThreshold else { return }
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
        runs.add(1, ordering: .relaxed)
        state.withLock { $0.lastRun = DispatchTime.now() }
    }
}

/// The frames in a writer's WAL after its last commit, counted by its WAL hook
/// (`sqlite3_wal_hook`), which also checkpoints at `Checkpointer.writerBound` as
/// SQLite's `wal_autocheckpoint` would (a connection has one hook: this one replaces
/// the automatic checkpoint's).
final class WALFrames: Sendable {
    private let frames = Atomic<Int>(0)

    var count: Int { frames.load(ordering: .relaxed) }

    /// Installs the hook on the writer's connection. The hook's context is this value,
    /// retained for as long as the process runs: the connection may outlive the store
    /// that made it, and the value is a word.
    func installHook(on db: Database) {
        let context = Unmanaged.passRetained(self).toOpaque()
        sqlite3_wal_hook(db.sqliteConnection, { context, connection, name, frames in
            let counter = Unmanaged<WALFrames>.fromOpaque(context!).takeUnretainedValue()
            counter.frames.store(Int(frames), ordering: .relaxed)
            if frames >= Checkpointer.writerBound {
                sqlite3_wal_checkpoint(connection, name)
            }
            return SQLITE_OK
        }, context)
    }
}
