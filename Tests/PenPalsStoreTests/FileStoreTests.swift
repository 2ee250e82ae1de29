import Foundation
import Testing
import PenPalsCore
import GRDB
@testable import PenPalsStore

@Suite("File-backed store")
struct FileStoreTests {
    /// A new empty folder for one test's database; the test removes it.
    func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("penpals-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("every commit is synced to disk: the writer runs with synchronous=FULL, not the pool's NORMAL")
    func writerIsFullySynchronous() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try NodeStore(path: directory.appendingPathComponent("node.sqlite").path)
        #expect(try store.writerSynchronousLevel() == 2)
    }

    @Test("a new database's bytes are a database of the current schema in WAL mode, which opens with nothing to migrate")
    func newDatabaseIsCurrent() async throws {
        let new = try NodeStore.makeNewDatabase()
        let bytes = new.file
        #expect(Array(bytes.prefix(16)) == Array("SQLite format 3\0".utf8))
        #expect(bytes[18] == 2 && bytes[19] == 2, "the header's read and write versions say WAL")
        // A write-ahead log's header (magic 0x377f0682 or 0x377f0683), then one frame of a page.
        #expect(Array(new.log.prefix(3)) == [0x37, 0x7F, 0x06])
        #expect(new.log.count == 32 + 24 + 4096)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("node.sqlite").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let queue = try DatabaseQueue(path: path)
        let (completed, applied) = try await queue.read { db in
            (try NodeStore.migrator.hasCompletedMigrations(db), try NodeStore.migrator.appliedIdentifiers(db))
        }
        #expect(completed)
        #expect(applied == Set(NodeStore.migrator.migrations))
        try queue.close()
        // A store opened on it works as one that SQLite created.
        let store = try NodeStore(path: path)
        #expect(try store.writerSynchronousLevel() == 2)
        let peer = NodeKey.generate().id
        try await store.write { try $0.upsertPeer(id: peer, name: "b", displayName: "B", url: "http://127.0.0.1:9") }
        #expect(try await store.read { try $0.peers() }.map(\.nodeID) == [peer.rawValue])

        // With the log beside it, opening the store writes nothing (the log is as it was
        // put), and the store works on.
        let logged = directory.appendingPathComponent("logged.sqlite").path
        try Data(bytes).write(to: URL(fileURLWithPath: logged))
        try Data(new.log).write(to: URL(fileURLWithPath: logged + "-wal"))
        let opened = try NodeStore(path: logged)
        #expect(try opened.writerSynchronousLevel() == 2)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: logged + "-wal"))) == new.log)
        #expect(try opened.integrityCheck() == ["ok"])
        try await opened.write { try $0.upsertPeer(id: peer, name: "b", displayName: "B", url: "http://127.0.0.1:9") }
        #expect(try await opened.read { try $0.peers() }.map(\.nodeID) == [peer.rawValue])
    }

    /// The files this process holds open under `directory`.
    static func openFiles(under directory: URL) -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)"))?.hasPrefix(directory.path) == true }.count
    }

    @Test("an idle store gives back its reader connections and works on as before")
    func releasesMemoryAndWorksOn() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try NodeStore(path: directory.appendingPathComponent("node.sqlite").path)
        // A store starts given back: what opening it read is not kept.
        #expect(!store.releaseMemoryIfIdle(for: .zero), "a new store was not given back")
        let peer = NodeKey.generate().id
        try await store.write { try $0.upsertPeer(id: peer, name: "b", displayName: "B", url: "http://127.0.0.1:9") }
        // A read with nothing else in progress is on the writer's connection: no reader opens.
        let writerOnly = Self.openFiles(under: directory)
        #expect(try await store.read { try $0.peers() }.count == 1)
        #expect(Self.openFiles(under: directory) == writerOnly, "a lone read opened a reader")
        // Reads beside a write in progress open reader connections, and do not wait for it.
        let started = DispatchSemaphore(value: 0), gate = DispatchSemaphore(value: 0)
        let writing = Task {
            try await store.write { tx in
                started.signal()
                gate.wait()
                try tx.upsertPeer(id: peer, name: "b", displayName: "B", url: "http://127.0.0.1:9")
            }
        }
        await withCheckedContinuation { done in DispatchQueue.global().async { started.wait(); done.resume() } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let peers = try await store.read { try $0.peers() }
                    #expect(peers.count == 1)
                }
            }
            try await group.waitForAll()
        }
        let busy = Self.openFiles(under: directory)
        gate.signal()
        try await writing.value
        #expect(busy > writerOnly, "reads beside a write opened no reader")
        try await Task.sleep(for: .milliseconds(20))
        #expect(store.idleFor >= .milliseconds(20))
        store.releaseMemory()
        let released = Self.openFiles(under: directory)
        #expect(released < busy, "reader connections closed: \(busy) files open before, \(released) after")
        // It works on: the readers open again as needed, and the writer never closed.
        #expect(try await store.read { try $0.peer(peer)?.name } == "b")
        try await store.write { try $0.upsertPeer(id: peer, name: "b2", displayName: "B", url: "http://127.0.0.1:9") }
        #expect(try await store.read { try $0.peer(peer)?.name } == "b2")
        #expect(store.idleFor < .seconds(5))

        // The host's sweep releases an idle store once, and again only after it was used.
        try await Task.sleep(for: .milliseconds(20))
        #expect(store.releaseMemoryIfIdle(for: .milliseconds(10)))
        #expect(!store.releaseMemoryIfIdle(for: .milliseconds(10)), "released already, not used since")
        _ = try await store.read { try $0.peers() }
        #expect(!store.releaseMemoryIfIdle(for: .seconds(60)), "used just now: not idle")
        try await Task.sleep(for: .milliseconds(20))
        #expect(store.releaseMemoryIfIdle(for: .milliseconds(10)), "used since its last release, idle again")

        // The background's reads of a released store open no reader and leave it released.
        let before = Self.openFiles(under: directory)
        #expect(try await store.backgroundRead { try $0.peer(peer)?.name } == "b2")
        #expect(Self.openFiles(under: directory) == before, "a background read opened a connection")
        try await Task.sleep(for: .milliseconds(20))
        #expect(!store.releaseMemoryIfIdle(for: .milliseconds(10)), "a background read counted as use")
        // Of a store in use, they are use like any other.
        _ = try await store.read { try $0.peers() }
        _ = try await store.backgroundRead { try $0.peers() }
        #expect(!store.releaseMemoryIfIdle(for: .seconds(60)))

        // The first read of a released store is on the writer's connection too, and is use.
        store.releaseMemory()
        let idleFiles = Self.openFiles(under: directory)
        #expect(try await store.read { try $0.peer(peer)?.name } == "b2")
        #expect(Self.openFiles(under: directory) == idleFiles, "the first read after a release opened a reader")
        try await Task.sleep(for: .milliseconds(20))
        #expect(store.releaseMemoryIfIdle(for: .milliseconds(10)), "a read is use: released again once idle")
    }

    @Test("data written survives closing and reopening the database file, which runs in WAL mode")
    func survivesReopen() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("node.sqlite").path

        let a = NodeKey.generate(), b = NodeKey.generate()
        let (aID, bID) = (a.id, b.id)
        let cipher = try ChannelCipher(local: a, peer: bID)
        let invitation = Invitation(id: someInvitation, title: "Kept", startTime: t0.addingTimeInterval(86400),
                                    endTime: t0.addingTimeInterval(90000), senderID: aID, receiverID: bID,
                                    status: .pending, createdAt: t0)
        let written: SealedEvent
        do {
            let store = try NodeStore(path: path)
            written = try await store.write { tx in
                try tx.upsertPeer(id: bID, name: "b-room", displayName: "Room B", url: "http://127.0.0.1:7412")
                try tx.save(invitation, now: t0)
                return try tx.appendOutgoing(.invitation(InvitationOffer(invitationID: someInvitation, title: "Kept",
                                                                          startTime: "2027-01-16T08:00:00Z",
                                                                          endTime: "2027-01-16T09:00:00Z")),
                                             key: a, cipher: cipher, now: t0)
            }
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        }

        let reopened = try NodeStore(path: path)
        let (peer, events, saved) = try await reopened.read { tx in
            (try tx.peer(bID),
             try tx.channelEvents(author: aID, recipient: bID, after: 0, limit: 10, maxBytes: 1 << 20).events,
             try tx.invitation(someInvitation))
        }
        #expect(peer?.sent == 1)
        #expect(peer?.name == "b-room")
        #expect(events == [written.envelope])
        #expect(saved == invitation)
        // The next event continues the channel where it stopped.
        let next = try await reopened.write { tx in
            try tx.appendOutgoing(.accept(invitationID: someInvitation), key: a, cipher: cipher, now: t0)
        }
        #expect(next.payload.seq == 2)
    }

    @Test("committed frames reach the database file in the background, long before the writer's own checkpoint")
    func checkpointsBesideTheWriter() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("node.sqlite").path
        let f = try await StoreFixture(store: NodeStore(path: path))
        func fileSize() throws -> Int {
            try (FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        }
        let before = try fileSize()
        // About 300 KiB of events, one commit each: far below the writer's bound of
        // 8,000 frames (32 MiB), so only the background checkpoint copies them.
        for _ in 0..<300 {
            try await f.append(.invitation(InvitationOffer(invitationID: UUID(), title: String(repeating: "x", count: 600),
                                                           startTime: "2027-01-16T08:00:00Z", endTime: "2027-01-16T09:00:00Z")),
                               to: f.b)
        }
        let deadline = Date().addingTimeInterval(10)
        while try fileSize() < before + 300_000, Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let after = try fileSize()
        #expect(after >= before + 300_000, "the database file grew from \(before) bytes to \(after)")
    }

    @Test("a few commits stay in the WAL: no checkpoint (and no WAL restart) per burst of work")
    func fewCommitsNoCheckpoint() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let f = try await StoreFixture(store: NodeStore(path: directory.appendingPathComponent("node.sqlite").path))
        func invite() async throws {
            try await f.append(.invitation(InvitationOffer(invitationID: UUID(), title: "Math",
                                                           startTime: "2027-01-16T08:00:00Z", endTime: "2027-01-16T09:00:00Z")),
                               to: f.b)
        }
        for _ in 0..<5 { try await invite() }
        // `committed()` decides at once, so none is scheduled, and the WAL only grew.
        #expect(f.store.checkpointCount == 0)
        let frames = f.store.walFrames
        #expect(frames > 0 && frames < Checkpointer.frameThreshold, "\(frames) frames")
        // Past the threshold one runs, and the WAL starts again from its beginning.
        while f.store.walFrames >= frames { try await invite() }
        #expect(f.store.walFrames < frames)
        #expect(f.store.checkpointCount >= 1)
    }
}
