import Foundation
import PenPalsCore
@testable import PenPalsNode
import PenPalsStore
import Synchronization
import Testing

/// A node's data folder: one key however many processes prepare it at once,
/// secrets and the database readable by the node's user only, and a database
/// whose key was lost refused rather than given a new identity.
@Suite("Node files")
struct NodeFilesTests {
    static func mode(_ url: URL) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int) ?? -1
    }

    @Test func preparesOfOneFolderAtOnceAllGetTheOneKeyThatIsOnDisk() throws {
        for round in 0..<20 {
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let files = NodeFiles(dataDir: folder.appendingPathComponent("data/room-12"))
            let results = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 12) { _ in
                let id = (try? files.prepare())?.id.rawValue ?? "failed"
                results.withLock { $0.append(id) }
            }
            let ids = Set(results.withLock { $0 })
            #expect(ids.count == 1 && !ids.contains("failed"), "round \(round): \(ids)")
            #expect(try files.loadKey().id.rawValue == ids.first, "round \(round): the key on disk")
            #expect(files.nodeID()?.rawValue == ids.first, "round \(round): node.id")
            let left = try FileManager.default.contentsOfDirectory(atPath: files.dataDir.path).filter { $0.hasSuffix(".tmp") }
            #expect(left.isEmpty, "round \(round): \(left)")
        }
    }

    @Test func secretsAndTheDatabaseAreForTheNodesUserOnly() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = NodeFiles(dataDir: folder.appendingPathComponent("room-12"))
        // A database left by an earlier version at the umask's mode is narrowed too.
        try FileManager.default.createDirectory(at: files.dataDir, withIntermediateDirectories: true)
        let store = try NodeStore(path: files.databaseFile.path)
        _ = try store.writerSynchronousLevel()
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: files.databaseFile.path)
        let key = NodeKey.generate()
        try (Base64URL.encode(key.secretKey) + "\n").write(to: files.keyFile, atomically: true, encoding: .utf8)
        #expect(try files.prepare().id == key.id)
        #expect(try Self.mode(files.keyFile) == 0o600)
        #expect(try Self.mode(files.tokenFile) == 0o600)
        #expect(try Self.mode(files.databaseFile) == 0o600)
        #expect(try Self.mode(files.idFile) == 0o644, "the id is public: other nodes of the file read it")

        // A new folder: the database file exists before SQLite makes its companions, at 0600.
        let fresh = NodeFiles(dataDir: folder.appendingPathComponent("kobe-4b"))
        try fresh.prepare()
        #expect(try Self.mode(fresh.databaseFile) == 0o600)
        let opened = try NodeStore(path: fresh.databaseFile.path)
        _ = try opened.writerSynchronousLevel()
        #expect(try Self.mode(URL(fileURLWithPath: fresh.databaseFile.path + "-wal")) == 0o600)
    }

    @Test func aFirstStartPutsANewDatabaseInPlaceButNeverOverALogSQLiteLeft() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = NodeFiles(dataDir: folder.appendingPathComponent("room-12"))
        try files.prepare()
        let new = try #require(NodeStore.newDatabase)
        let log = URL(fileURLWithPath: files.databaseFile.path + "-wal")
        #expect(Array(try Data(contentsOf: files.databaseFile)) == new.file)
        #expect(Array(try Data(contentsOf: log)) == new.log)
        // Opening the store writes nothing, and a second prepare leaves both files as they are.
        let store = try NodeStore(path: files.databaseFile.path)
        _ = try store.writerSynchronousLevel()
        try files.prepare()
        #expect(Array(try Data(contentsOf: files.databaseFile)) == new.file)
        #expect(Array(try Data(contentsOf: log)) == new.log)
        // Once the classroom wrote, its log is its own: prepare leaves it too.
        try await store.write { try $0.upsertPeer(id: NodeKey.generate().id, name: "b", displayName: "B", url: "http://127.0.0.1:9") }
        let written = try Data(contentsOf: log)
        #expect(Array(written) != new.log)
        try files.prepare()
        #expect(try Data(contentsOf: log) == written)

        // A folder whose database file is empty but whose log is not: the log belongs to
        // that database, so no copy is put under it.
        let other = NodeFiles(dataDir: folder.appendingPathComponent("kobe-4b"))
        try other.prepare()
        try Data().write(to: other.databaseFile)
        try Data(repeating: 7, count: 32).write(to: URL(fileURLWithPath: other.databaseFile.path + "-wal"))
        try other.prepare()
        #expect(try Data(contentsOf: other.databaseFile).isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: other.databaseFile.path + "-wal")) == Data(repeating: 7, count: 32))
    }

    @Test func aDatabaseWhoseKeyIsGoneIsRefusedAndNoNewKeyIsMade() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = NodeFiles(dataDir: folder.appendingPathComponent("room-12"))
        try files.prepare()
        let store = try NodeStore(path: files.databaseFile.path)
        try await store.write { try $0.upsertPeer(id: NodeKey.generate().id, name: "b", displayName: "B", url: "http://127.0.0.1:9") }
        try FileManager.default.removeItem(at: files.keyFile)
        #expect {
            try files.prepare()
        } throws: { error in
            guard case NodeFilesError.lostKey = error else { return false }
            return "\(error)".contains("Restore node.key")
        }
        #expect(!FileManager.default.fileExists(atPath: files.keyFile.path), "no new identity")

        // Its log checkpointed into the file and gone (a clean stop): still the classroom's data.
        let other = NodeFiles(dataDir: folder.appendingPathComponent("kobe-4b"))
        try other.prepare()
        var bytes = Array(try Data(contentsOf: other.databaseFile))
        bytes[bytes.count - 1] ^= 0xFF
        try Data(bytes).write(to: other.databaseFile)
        try FileManager.default.removeItem(at: other.keyFile)
        #expect(throws: NodeFilesError.self) { try other.prepare() }
        #expect(!FileManager.default.fileExists(atPath: other.keyFile.path), "no new identity")
    }

    /// A first start names its files and then syncs the folder once: a power cut before
    /// that sync may keep the new database's name and lose the key's. The database was
    /// never opened, so the next start makes the classroom afresh instead of refusing it.
    @Test func aNewDatabaseWithoutItsKeyIsTakenUpByTheNextStart() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = NodeFiles(dataDir: folder.appendingPathComponent("room-12"))
        let first = try files.prepare()
        // The cut kept the database's name and lost the rest (the log's too).
        for file in [files.keyFile, files.tokenFile, files.idFile] { try FileManager.default.removeItem(at: file) }
        try FileManager.default.removeItem(atPath: files.databaseFile.path + "-wal")
        let second = try files.prepare()
        #expect(second.id != first.id)
        #expect(files.nodeID() == second.id)
        #expect(!(try files.apiToken()).isEmpty)
        #expect(Array(try Data(contentsOf: files.databaseFile)) == NodeStore.newDatabase?.file)
        let store = try NodeStore(path: files.databaseFile.path)
        #expect(try store.integrityCheck() == ["ok"])
    }

    /// A new folder's parent is synced by `prepare()`, or named for the caller to sync
    /// once for many folders; an existing folder names none.
    @Test func aNewFolderNamesItsParentForOneSyncOfMany() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let parent = folder.appendingPathComponent("data")
        let made = try (0..<3).map { try NodeFiles(dataDir: parent.appendingPathComponent("room-\($0)")).prepare(syncingParent: false) }
        #expect(made.map { $0.parentToSync?.standardizedFileURL.path } == Array(repeating: parent.standardizedFileURL.path, count: 3))
        try NodeFiles.syncFolders(made.compactMap(\.parentToSync))
        let again = try NodeFiles(dataDir: parent.appendingPathComponent("room-0")).prepare(syncingParent: false)
        #expect(again.parentToSync == nil)
        #expect(again.key.id == made[0].key.id)
        #expect(throws: NodeFilesError.self) { try NodeFiles.syncFolders([parent.appendingPathComponent("missing")]) }
    }
}

/// The race the audit saw: the nodes of one file started as processes at the
/// same moment each prepare every node's key, and each must list the others
/// under the keys they run with.
@Suite("Node files: processes", .serialized)
struct NodeFilesProcessTests {
    @Test func nodesOfOneFileStartedAtOnceListEachOtherUnderTheKeysTheyRunWith() async throws {
        let names = ["room-12", "kobe-4b", "oslo-7c"]
        for round in 0..<4 {
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            var ports: [String: Int] = [:]
            var config = ""
            for name in names {
                let port = try freePort()
                ports[name] = port
                config += """
                    [[nodes]]
                    name         = "\(name)"
                    display_name = "\(name)"
                    listen       = "127.0.0.1:\(port)"
                    url          = "http://127.0.0.1:\(port)"
                    data_dir     = "data/\(name)"
                    timezone     = "Europe/Oslo"

                    """
            }
            try config.write(to: folder.appendingPathComponent("nodes.toml"), atomically: true, encoding: .utf8)
            var processes: [Process] = []
            defer { for process in processes where process.isRunning { _ = CLI.stop(process, signal: SIGKILL) } }
            for name in names {
                processes.append(try CLI.start(["serve", "--config", "nodes.toml", "--node", name], in: folder,
                                               log: folder.appendingPathComponent("\(name).log")))
            }
            var own: [String: String] = [:], listed: [String: [String: String]] = [:]
            for name in names {
                let url = "http://127.0.0.1:\(ports[name]!)"
                var status: [String: Any] = [:]
                try await eventually("\(name) answers (round \(round))") {
                    guard let token = try? String(contentsOf: folder.appendingPathComponent("data/\(name)/api.token"), encoding: .utf8),
                          let answer = try? await HTTP.send("GET", url + "/api/status",
                                                            headers: ["Authorization": "Bearer \(token.trimmingCharacters(in: .whitespacesAndNewlines))"]),
                          answer.status == 200 else { return false }
                    status = answer.object
                    return true
                }
                own[name] = status["node_id"] as? String
                for peer in status["peers"] as? [[String: Any]] ?? [] {
                    if let peerName = peer["name"] as? String { listed[name, default: [:]][peerName] = peer["node_id"] as? String }
                }
            }
            for name in names {
                for other in names where other != name {
                    #expect(listed[name]?[other] == own[other], "round \(round): \(name) lists \(other) as \(listed[name]?[other] ?? "nothing"), it runs as \(own[other] ?? "?")")
                }
            }
            for process in processes { #expect(await CLI.terminate(process) == 0) }
        }
    }

    @Test func aNodeWhoseKeyIsLostBesideItsDatabaseRefusesToStart() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try twoNodeConfig(portA: try freePort(), portB: try freePort(), sandboxPort: try freePort())
            .write(to: folder.appendingPathComponent("nodes.toml"), atomically: true, encoding: .utf8)
        let data = folder.appendingPathComponent("data/room-12")
        let files = NodeFiles(dataDir: data)
        try files.prepare()
        // The classroom's data: a peer it knows.
        try await NodeStore(path: files.databaseFile.path)
            .write { try $0.upsertPeer(id: NodeKey.generate().id, name: "b", displayName: "B", url: "http://127.0.0.1:9") }
        try FileManager.default.removeItem(at: files.keyFile)
        let outcome = try await CLI.run(["serve", "--config", "nodes.toml", "--node", "room-12"], in: folder)
        #expect(outcome.status == 2)
        let lines = outcome.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("error: ") && lines[0].contains("node.key is missing"), "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: files.keyFile.path))
    }
}
