import Foundation
import GRDB
import GRDBSQLite
import Synchronization
import PenPalsCore

/// A node's SQLite database: one value exists only once its schema is current.
///
/// Every write is one transaction through `write(_:)`, whose closure gets a
/// `StoreTransaction` with the named, invariant-keeping operations; GRDB stays
/// behind this module. The database runs in WAL mode with `synchronous=FULL`,
/// so a committed event survives a power cut, not only a crash.
public final class NodeStore: Sendable {
    private let writer: any DatabaseWriter
    private let commits: GroupCommit
    /// Checkpoints the WAL beside the writer (file databases only).
    private let checkpointer: Checkpointer?
    /// The database file; nil in memory.
    private let path: String?

    /// `PRAGMA synchronous` of every connection that writes: FULL.
    ///
    /// `PENPALS_TEST_UNSAFE_SYNCHRONOUS_OFF=1` makes it OFF. It exists only for the
    /// power-cut control (Tests/PenPalsNodeTests/PowerCutTests.swift), which shows that
    /// its test catches a node that does not sync; a node run with it loses committed
    /// events at a power cut. Never set it anywhere else.
    static let synchronous: String = {
        guard ProcessInfo.processInfo.environment["PENPALS_TEST_UNSAFE_SYNCHRONOUS_OFF"] == "1" else { return "FULL" }
        FileHandle.standardError.write(Data("warning: PENPALS_TEST_UNSAFE_SYNCHRONOUS_OFF=1: commits are not synced and a power cut loses them; this is for the power-cut test alone\n".utf8))
        return "OFF"
    }()

    /// Opens (creating if needed) the database file at `path`.
    public init(path: String) throws {
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(Self.synchronous)")
        }
        config.busyMode = .timeout(10)
        let pool = try DatabasePool(path: path, configuration: config)
        let frames = WALFrames()
        // GRDB's pool sets `synchronous = NORMAL` on its writer when it turns WAL on,
        // after `prepareDatabase`: a commit then reaches the disk only at the next
        // checkpoint. Set FULL again, so every commit is synced before it is acknowledged.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(Self.synchronous)")
            frames.installHook(on: db)
        }
        self.writer = pool
        self.commits = GroupCommit(writer: pool)
        try Self.migrator.migrate(pool)
        self.checkpointer = Checkpointer(path: path, frames: frames)
        self.path = path
        // A store starts as one given back: what opening read (the schema, the
        // migrations) is dropped, and a first look at the classroom (its status) keeps
        // nothing either. A thousand classrooms' first statuses at launch otherwise hold
        // a page cache each until the first idle sweep (see the commit that made this).
        releaseMemory()
    }

    /// A new database with the current schema, in WAL mode, as file bytes, and a log to
    /// put beside it: a classroom's first start puts copies in place (one sync of each)
    /// instead of creating its database (fourteen syncs: the switch to WAL, then one per
    /// migration), which is most of what a first start of a thousand classrooms waits for
    /// (see the commit that made it). With the log in place, opening the store writes
    /// nothing (GRDB otherwise makes a log with a write of its own: two more syncs).
    /// Made once per process, in a folder of its own that is removed after.
    public static let newDatabase: NewDatabase? = try? makeNewDatabase()

    /// The bytes of a new database (`file`) and of its log (`log`: one frame, already in the file).
    public struct NewDatabase: Sendable, Equatable {
        public var file: [UInt8]
        public var log: [UInt8]
    }

    static func makeNewDatabase() throws -> NewDatabase {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("penpals-new-database-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("new.sqlite").path
        var config = Configuration()
        // A scratch file: what matters is the copy, which is synced where it is put.
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = OFF") }
        let queue = try DatabaseQueue(path: path, configuration: config)
        let mode = try queue.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        guard mode?.lowercased() == "wal" else { throw StoreError.corrupt("journal_mode is \(mode ?? "unknown"), not wal") }
        try migrator.migrate(queue)
        // The last connection's close checkpoints the log into the file and removes it.
        try queue.close()
        guard !FileManager.default.fileExists(atPath: path + "-wal") else { throw StoreError.corrupt("the new database kept its log") }
        // Opened again to keep its log at close (SQLITE_FCNTL_PERSIST_WAL): one write of
        // the header page as it is, checkpointed into the file, leaves the log of that frame.
        var keeping = Configuration()
        keeping.prepareDatabase { db in
            var persist: Int32 = 1
            guard sqlite3_file_control(db.sqliteConnection, nil, SQLITE_FCNTL_PERSIST_WAL, &persist) == SQLITE_OK else {
                throw StoreError.corrupt("the new database's log cannot be kept")
            }
            try db.execute(sql: "PRAGMA synchronous = OFF")
        }
        let again = try DatabaseQueue(path: path, configuration: keeping)
        try again.writeWithoutTransaction { db in
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            try db.execute(sql: "PRAGMA user_version = \(version)")
        }
        try again.close()
        let log = Array(try Data(contentsOf: URL(fileURLWithPath: path + "-wal")))
        guard !log.isEmpty else { throw StoreError.corrupt("the new database's log is empty") }
        return NewDatabase(file: Array(try Data(contentsOf: URL(fileURLWithPath: path))), log: log)
    }

    /// An in-memory database, for tests.
    public init() throws {
        let queue = try DatabaseQueue()
        self.writer = queue
        self.commits = GroupCommit(writer: queue)
        try Self.migrator.migrate(queue)
        self.checkpointer = nil
        self.path = nil
    }

    /// Runs `updates` as one atomic unit, committed durably (with whatever other
    /// writes arrived meanwhile: group commit) before it returns.
    /// When the store was last read or written (`DispatchTime` nanoseconds).
    private let lastUse = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)

    /// How long since the store was last read or written.
    public var idleFor: Duration {
        .nanoseconds(Int64(clamping: DispatchTime.now().uptimeNanoseconds &- lastUse.load(ordering: .relaxed)))
    }

    /// Reads and writes in progress, for `read` to tell whether the writer's connection is free.
    private let inProgress = Atomic<Int>(0)

    public func write<T: Sendable>(_ updates: @escaping @Sendable (StoreTransaction) throws -> T) async throws -> T {
        lastUse.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
        inProgress.add(1, ordering: .relaxed)
        defer { inProgress.subtract(1, ordering: .relaxed) }
        let result: T
        do {
            let known = self.known
            result = try await commits.submit { db in try updates(StoreTransaction(db: db, known: known)) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            // Rolled back whole: the next write, once there is room again, goes through.
            throw StoreError.diskFull(path ?? "the database")
        }
        checkpointer?.committed()
        return result
    }

    /// Background checkpoints run so far (none for a store in memory); for the tests.
    var checkpointCount: Int { checkpointer?.runs.load(ordering: .relaxed) ?? 0 }

    /// Frames in the WAL after the last commit (0 in memory).
    var walFrames: Int { checkpointer?.walFrames ?? 0 }

    /// Write transactions made so far: fewer than the writes when they shared commits.
    public var transactionCount: Int { commits.transactions.load(ordering: .relaxed) }

    /// Gives back what the store holds only to be quick: the reader connections and
    /// the writer's caches (GRDB's `releaseMemory`), and the checkpointer's connection.
    /// They come back as they are needed. For a classroom that has been idle a while.
    public func releaseMemory() {
        lastRelease.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
        (writer as? DatabasePool)?.releaseMemory()
        checkpointer?.releaseMemory()
    }

    /// When `releaseMemory` last ran (`DispatchTime` nanoseconds; 0: never).
    private let lastRelease = Atomic<UInt64>(0)

    /// Whether the store has given its memory back and not been used since.
    private var isReleased: Bool { lastRelease.load(ordering: .relaxed) >= lastUse.load(ordering: .relaxed) }

    /// `releaseMemory`, if the store has not been used for `idle` and has been used
    /// since it last gave its memory back (a store idle for hours is released once).
    /// Returns whether it released.
    public func releaseMemoryIfIdle(for idle: Duration) -> Bool {
        guard idleFor >= idle, !isReleased else { return false }
        releaseMemory()
        return true
    }

    /// SQLite's `PRAGMA integrity_check`: `["ok"]` for a sound database.
    public func integrityCheck() throws -> [String] {
        try writer.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    /// The writer connection's `PRAGMA synchronous` (2 is FULL), for the tests.
    public func writerSynchronousLevel() throws -> Int {
        try writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// A read of the last committed state. It runs on the writer's connection when
    /// nothing else of this store is in progress (it waits for nobody there, and opens no
    /// reader: a classroom that does one thing at a time, as most do, keeps one connection)
    /// and when the store gave its memory back (`releaseMemory`), so that a look at an
    /// idle classroom (its status, say) does not open a reader it keeps until the next
    /// sweep (and what that first read brought into the cache is given back too); beside
    /// a write or another read, on a reader connection, opened as needed.
    public func read<T: Sendable>(_ query: @Sendable (StoreTransaction) throws -> T) async throws -> T {
        let released = isReleased
        lastUse.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
        let others = inProgress.add(1, ordering: .relaxed).oldValue
        defer { inProgress.subtract(1, ordering: .relaxed) }
        if released || others == 0, writer is DatabasePool { return try await readOnWriter(query, thenRelease: released) }
        let known = self.known
        return try await writer.read { db in try query(StoreTransaction(db: db, known: known, writable: false)) }
    }

    /// `query` in one deferred transaction on the writer's connection, rolled back:
    /// the snapshot a reader would see, and nothing written.
    private func readOnWriter<T: Sendable>(_ query: @Sendable (StoreTransaction) throws -> T, thenRelease: Bool) async throws -> T {
        let known = self.known
        return try await writer.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.deferred) {
                result = try query(StoreTransaction(db: db, known: known, writable: false))
                return .rollback
            }
            if thenRelease { db.releaseMemory() }
            return result!
        }
    }

    /// Finds a trusted peer's config by its node id.
    public typealias PeerLookup = @Sendable (NodeID) -> StoreTransaction.PeerName?

    private let peerLookup = Mutex<PeerLookup?>(nil)
    private var known: PeerLookup? { peerLookup.withLock { $0 } }

    /// Tells the store whom the node trusts: a trusted peer's row is made when a write
    /// first needs it (its events, an acknowledgement, a contact), and `syncPeers`
    /// keeps the rows' names and URLs those of the config.
    public func trust(_ lookup: @escaping PeerLookup) {
        peerLookup.withLock { $0 = lookup }
    }

    /// A small read on the writer's connection, for the background's look at a classroom
    /// (what to resume, the next expiry, open meeting jobs): made on idle classrooms too,
    /// it must not bring back the reader connection their idle sweep gave back. Waits
    /// for a write in progress; a read that a teacher or a peer waits for uses `read`.
    public func backgroundRead<T: Sendable>(_ query: @Sendable (StoreTransaction) throws -> T) async throws -> T {
        guard writer is DatabasePool else { return try await read(query) }
        // A store that had given its memory back gives back what this read brought in, too.
        let released = isReleased
        if !released { lastUse.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed) }
        return try await readOnWriter(query, thenRelease: released)
    }

    /// A good migration is never modified once it has shipped: add new ones below.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "peer") { t in
                t.primaryKey("node_id", .text)
                t.column("name", .text).notNull()
                t.column("display_name", .text).notNull()
                t.column("url", .text).notNull()
                t.column("sent", .integer).notNull().defaults(to: 0)
                t.column("acked", .integer).notNull().defaults(to: 0)
                t.column("applied", .integer).notNull().defaults(to: 0)
                t.column("last_contact", .double)
            }
            try db.create(table: "event") { t in
                t.column("author", .text).notNull()
                t.column("recipient", .text).notNull()
                t.column("seq", .integer).notNull()
                t.column("id", .text).notNull()
                t.column("type", .text).notNull()
                t.column("created_at", .text).notNull()
                t.column("envelope", .blob).notNull()
                t.column("body", .blob).notNull()
                t.column("applied", .boolean).notNull().defaults(to: false)
                t.column("stored_at", .double).notNull()
                t.primaryKey(["author", "recipient", "seq"])
            }
            try db.create(table: "invitation") { t in
                t.primaryKey("id", .text)
                t.column("title", .text).notNull()
                t.column("start_time", .double).notNull()
                t.column("end_time", .double).notNull()
                t.column("sender_id", .text).notNull()
                t.column("receiver_id", .text).notNull()
                t.column("status", .text).notNull()
                t.column("created_at", .double).notNull()
                t.column("problem_code", .text)
                t.column("problem_message", .text)
                t.column("problem_retrying", .boolean)
                t.column("updated_at", .double).notNull()
            }
            try db.create(index: "invitation_by_status", on: "invitation", columns: ["status", "start_time"])
            try db.create(table: "meeting") { t in
                t.primaryKey("id", .text)
                t.column("invitation_id", .text).notNull().unique().references("invitation", onDelete: .cascade)
                t.column("title", .text).notNull()
                t.column("start_time", .double).notNull()
                t.column("end_time", .double).notNull()
                t.column("web_link", .text).notNull()
                t.column("webex_meeting_id", .text).notNull()
                t.column("creator_id", .text).notNull()
            }
            try db.create(table: "participant") { t in
                t.column("meeting_id", .text).notNull().references("meeting", onDelete: .cascade)
                t.column("node_id", .text).notNull()
                t.primaryKey(["meeting_id", "node_id"])
            }
            try db.create(table: "meeting_job") { t in
                t.primaryKey("invitation_id", .text).references("invitation", onDelete: .cascade)
                t.column("state", .text).notNull()
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("next_attempt", .double).notNull()
                t.column("last_error", .text)
                t.column("updated_at", .double).notNull()
            }
            try db.create(table: "webex_account") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("sealed_tokens", .blob).notNull()
                t.column("updated_at", .double).notNull()
            }
            try db.create(table: "oauth_state") { t in
                t.primaryKey("state", .text)
                t.column("expires_at", .double).notNull()
            }
        }
        migrator.registerMigration("v2") { db in
            // Why the classroom must connect WebEx again (e.g. "reconnect" after invalid_grant);
            // the tokens themselves are gone by then, so this is remembered apart from them.
            try db.create(table: "webex_problem") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("problem", .text).notNull()
                t.column("updated_at", .double).notNull()
            }
        }
        migrator.registerMigration("v3: events by author and seq") { db in
            // The peer's events are looked up by (author, seq) and their highest seq by author:
            // without this index each lookup scanned the peer's whole history.
            try db.create(index: "event_by_author_seq", on: "event", columns: ["author", "seq"])
        }
        migrator.registerMigration("v4: meeting deletions") { db in
            // A cancelled invitation's meeting is deleted at WebEx by its job, durably.
            try db.alter(table: "meeting_job") { t in t.add(column: "webex_meeting_id", .text) }
        }
        migrator.registerMigration("v5: meetings that change") { db in
            // What each peer announced it speaks (comma-separated; NULL: nothing heard yet).
            try db.alter(table: "peer") { t in t.add(column: "features", .text) }
            // Reschedules and proposals (contract §7.2).
            try db.alter(table: "invitation") { t in
                t.add(column: "revision", .integer).notNull().defaults(to: 0)
                t.add(column: "proposal_start", .double)
                t.add(column: "proposal_end", .double)
            }
            try db.alter(table: "meeting") { t in t.add(column: "revision", .integer).notNull().defaults(to: 0) }
            // The revision the WebEx meeting must be brought to (a PUT), at the sender.
            try db.alter(table: "meeting_job") { t in t.add(column: "update_revision", .integer) }
        }
        migrator.registerMigration("v6: series") { db in
            // A series' rule (JSON of Recurrence); a meeting is listed until its last call ends.
            try db.alter(table: "invitation") { t in t.add(column: "recurrence", .text) }
            try db.alter(table: "meeting") { t in
                t.add(column: "recurrence", .text)
                t.add(column: "last_end", .double)
            }
        }
        migrator.registerMigration("v7: groups") { db in
            // One invitation per classroom of a group, one meeting for all (contract §7.2).
            try db.alter(table: "invitation") { t in t.add(column: "group_id", .text) }
            try db.create(index: "invitation_by_group", on: "invitation", columns: ["group_id"])
            // A group's participants as the sender named them (a receiver may not know them all).
            try db.alter(table: "participant") { t in t.add(column: "name", .text) }
            try db.alter(table: "meeting") { t in t.add(column: "group_id", .text) }
        }
        return migrator
    }
}
