import Foundation
public import PenPalsCore
import PenPalsStore

/// The files of a node's `data_dir`: its Ed25519 key (`node.key`, mode 0600), its
/// public id (`node.id`, so other nodes of the same config file can read it), the
/// local API token (`api.token`, mode 0600) and the database (`penpals.sqlite`,
/// mode 0600: it holds titles and join links).
///
/// Several processes may prepare one folder at the same moment (every `penpals
/// serve --node …` of a file prepares the keys of all its nodes), so each file is
/// created such that exactly one creation can succeed: written whole under a name
/// of its own, then linked into place, which fails if the name exists; the loser
/// reads the winner's file. Preparing holds an exclusive lock on the folder too.
/// Every creation is made durable (the file and then the folder are synced), so a
/// power cut cannot leave a node whose partners know a key it no longer has.
public struct NodeFiles: Sendable {
    public let dataDir: URL

    public init(dataDir: URL) {
        self.dataDir = dataDir
    }

    public var keyFile: URL { dataDir.appendingPathComponent("node.key") }
    public var idFile: URL { dataDir.appendingPathComponent("node.id") }
    public var tokenFile: URL { dataDir.appendingPathComponent("api.token") }
    public var databaseFile: URL { dataDir.appendingPathComponent("penpals.sqlite") }

    /// Creates the data folder, key, id and token where missing, and the database
    /// file with mode 0600; returns the key. Refuses a folder whose database
    /// survived its key: a new key would make the node a stranger to its partners.
    ///
    /// On a first start every file is written and synced under a name of its own,
    /// then all are named and the folder is synced once: five syncs in all, plus the
    /// parent's (see `prepare(syncingParent:)`). A power cut before that last sync can
    /// leave some names and not others; what it leaves is taken up again by the next
    /// prepare, because a database that was never opened is not a classroom's data.
    @discardableResult
    public func prepare() throws -> NodeKey {
        try prepare(syncingParent: true).key
    }

    /// `prepare()`; with `syncingParent` false, a folder it made is not yet durable in
    /// its parent: `parentToSync` names the parent, which the caller syncs (once for
    /// many folders of one parent) before the node is used.
    public func prepare(syncingParent: Bool) throws -> (key: NodeKey, parentToSync: URL?) {
        let made = try createFolder()
        let parent = made ? dataDir.deletingLastPathComponent() : nil
        if let parent, syncingParent { try syncFolder(parent) }
        let key = try withFolderLocked { () throws -> NodeKey in
            var unsynced = false
            let key: NodeKey
            if let existing = try readIfPresent(keyFile) {
                key = try Self.key(from: existing, path: keyFile.path)
                // A key copied in by hand, or restored from a backup, may have come at a wider mode.
                try restrict(keyFile)
            } else {
                if try databaseHoldsData() {
                    throw NodeFilesError.lostKey(keyFile: keyFile.path, database: databaseFile.path)
                }
                let made = NodeKey.generate()
                let won = try createOnce(keyFile, contents: Base64URL.encode(made.secretKey) + "\n", syncFolder: false)
                key = try Self.key(from: won, path: keyFile.path)
                unsynced = true
            }
            // The names of the key, the id, the token and a new database are synced at
            // once, below (each file's bytes before it is named): before this returns,
            // so before the key signs anything, the token is shown or the database written.
            let id = key.id.rawValue + "\n"
            if try readIfPresent(idFile) != id {
                try replace(idFile, contents: id, mode: 0o644, syncFolder: false)
                unsynced = true
            }
            if try readIfPresent(tokenFile) == nil {
                _ = try createOnce(tokenFile, contents: SecureRandom.token() + "\n", syncFolder: false)
                unsynced = true
            } else {
                try restrict(tokenFile)
            }
            if try restrictDatabase() { unsynced = true }
            if unsynced { try syncFolder(dataDir) }
            return key
        }
        return (key, syncingParent ? nil : parent)
    }

    /// Whether the database holds anything of a classroom: its file is neither missing,
    /// nor empty, nor the new database a first start puts in place, or its log is one
    /// SQLite wrote (not missing, empty or the new database's). A power cut during a
    /// first start leaves only files that hold nothing.
    private func databaseHoldsData() throws -> Bool {
        guard let new = NodeStore.newDatabase else { return !isEmptyOrMissing(databaseFile.path) }
        let logPath = databaseFile.path + "-wal"
        if !isEmptyOrMissing(logPath), !Self.contents(of: logPath, are: new.log) { return true }
        return !isEmptyOrMissing(databaseFile.path) && !Self.contents(of: databaseFile.path, are: new.file)
    }

    /// Whether the file at `path` holds exactly `bytes` (the size is looked at first).
    private static func contents(of path: String, are bytes: [UInt8]) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, info.st_size == bytes.count else { return false }
        return (try? Data(contentsOf: URL(fileURLWithPath: path))).map { Array($0) == bytes } ?? false
    }

    /// Syncs each of `folders` once (the parents `prepare(syncingParent: false)` named).
    public static func syncFolders(_ folders: some Sequence<URL>) throws {
        for path in Set(folders.map(\.standardizedFileURL.path)) {
            let folder = URL(fileURLWithPath: path, isDirectory: true)
            try NodeFiles(dataDir: folder).syncFolder(folder)
        }
    }

    public func loadKey() throws -> NodeKey {
        guard let text = try readIfPresent(keyFile) else { throw NodeFilesError.unreadable(keyFile.path, "it does not exist") }
        return try Self.key(from: text, path: keyFile.path)
    }

    /// The node id, from `node.id` (or the key itself); nil before the node's first start.
    public func nodeID() -> NodeID? {
        if let text = try? String(contentsOf: idFile, encoding: .utf8),
           let id = NodeID(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            return id
        }
        return (try? loadKey())?.id
    }

    public func apiToken() throws -> String {
        try String(contentsOf: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func key(from text: String, path: String) throws -> NodeKey {
        guard let secret = Base64URL.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw NodeFilesError.unreadable(path, "not base64url")
        }
        do {
            return try NodeKey(secretKey: secret)
        } catch {
            throw NodeFilesError.unreadable(path, "\(error)")
        }
    }

    // MARK: - Files created once, durably

    /// The folder, mode 0700; returns whether it was made now (its parent is then to be synced).
    private func createFolder() throws -> Bool {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: dataDir.path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw NodeFilesError.unwritable(dataDir.path, "it is not a folder") }
            return false
        }
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        return true
    }

    /// Runs `body` holding an exclusive `flock` on the folder (released when its descriptor closes).
    private func withFolderLocked<T>(_ body: () throws -> T) throws -> T {
        let fd = open(dataDir.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw NodeFilesError.unwritable(dataDir.path, Self.reason(errno)) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw NodeFilesError.unwritable(dataDir.path, "cannot be locked: \(Self.reason(errno))") }
        }
        return try body()
    }

    /// The file's text, or nil when there is no file.
    private func readIfPresent(_ url: URL) throws -> String? {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            return nil
        } catch {
            if !FileManager.default.fileExists(atPath: url.path) { return nil }
            throw NodeFilesError.unreadable(url.path, "\(error.localizedDescription)")
        }
    }

    /// Creates `url` with `contents` and mode 0600 unless it exists; returns the
    /// file's contents, this creation's or the one that was there first.
    private func createOnce(_ url: URL, contents: String, syncFolder sync: Bool = true) throws -> String {
        let temp = try writeTemporary(beside: url, contents: contents, mode: 0o600)
        defer { unlink(temp) }
        if link(temp, url.path) == 0 {
            if sync { try syncFolder(dataDir) }
            return contents
        }
        let failure = errno
        guard failure == EEXIST else { throw NodeFilesError.unwritable(url.path, Self.reason(failure)) }
        guard let existing = try readIfPresent(url) else { throw NodeFilesError.unreadable(url.path, "it vanished") }
        return existing
    }

    /// Puts `contents` in place of `url` at once (a reader sees the old file or the new one).
    /// With `syncFolder` false, the caller syncs the folder.
    private func replace(_ url: URL, contents: String, mode: mode_t, syncFolder sync: Bool = true) throws {
        let temp = try writeTemporary(beside: url, contents: contents, mode: mode)
        guard rename(temp, url.path) == 0 else {
            let failure = errno
            unlink(temp)
            throw NodeFilesError.unwritable(url.path, Self.reason(failure))
        }
        if sync { try syncFolder(dataDir) }
    }

    /// Writes and syncs a file of its own name (this process, a random part) beside
    /// `url`, never readable beyond `mode`; returns its path.
    private func writeTemporary(beside url: URL, contents: String, mode: mode_t) throws -> String {
        try writeTemporary(beside: url, bytes: Array(contents.utf8), mode: mode)
    }

    private func writeTemporary(beside url: URL, bytes: [UInt8], mode: mode_t) throws -> String {
        let temp = url.path + ".\(getpid()).\(SecureRandom.token().prefix(12)).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw NodeFilesError.unwritable(url.path, Self.reason(errno)) }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                let failure = errno
                unlink(temp)
                throw NodeFilesError.unwritable(url.path, Self.reason(failure))
            }
            written += n
        }
        // The mode asked for, whatever the umask took away or left.
        guard fchmod(fd, mode) == 0, fsync(fd) == 0 else {
            let failure = errno
            unlink(temp)
            throw NodeFilesError.unwritable(url.path, Self.reason(failure))
        }
        return temp
    }

    /// The database, with its write-ahead log and index, readable by the node's user only.
    /// SQLite creates the index with the database file's mode, so the file is made first:
    /// on a first start (or where a power cut left only part of one: a database that holds
    /// nothing), as copies of a new database of the current schema and of its log
    /// (`NodeStore.newDatabase`), each synced and then put in place; else empty for SQLite to fill.
    /// Returns whether it put a file in place (whose name the caller syncs).
    private func restrictDatabase() throws -> Bool {
        var placed = false
        let logFile = URL(fileURLWithPath: databaseFile.path + "-wal")
        if let new = NodeStore.newDatabase, try !databaseHoldsData() {
            for (file, bytes) in [(databaseFile, new.file), (logFile, new.log)] where !Self.contents(of: file.path, are: bytes) {
                let temp = try writeTemporary(beside: file, bytes: bytes, mode: 0o600)
                guard rename(temp, file.path) == 0 else {
                    let failure = errno
                    unlink(temp)
                    throw NodeFilesError.unwritable(file.path, Self.reason(failure))
                }
                placed = true
            }
        }
        let fd = open(databaseFile.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw NodeFilesError.unwritable(databaseFile.path, Self.reason(errno)) }
        let changed = fchmod(fd, 0o600)
        close(fd)
        guard changed == 0 else { throw NodeFilesError.unwritable(databaseFile.path, Self.reason(errno)) }
        for suffix in ["-wal", "-shm"] {
            _ = chmod(databaseFile.path + suffix, 0o600)
        }
        return placed
    }

    /// No file at `path`, or one of no bytes (a database SQLite never wrote).
    private func isEmptyOrMissing(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) != 0 ? errno == ENOENT : info.st_size == 0
    }

    /// Narrows an existing secret to mode 0600.
    private func restrict(_ url: URL) throws {
        guard chmod(url.path, 0o600) == 0 else { throw NodeFilesError.unwritable(url.path, Self.reason(errno)) }
    }

    private func syncFolder(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw NodeFilesError.unwritable(url.path, Self.reason(errno)) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw NodeFilesError.unwritable(url.path, "cannot be synced: \(Self.reason(errno))") }
    }

    private static func reason(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

public enum NodeFilesError: Error, CustomStringConvertible {
    case unreadable(String, String)
    case unwritable(String, String)
    case lostKey(keyFile: String, database: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let why): "\(path) cannot be read: \(why)"
        case .unwritable(let path, let why): "\(path) cannot be written: \(why)"
        case .lostKey(let keyFile, let database):
            "\(keyFile) is missing, but \(database) holds this classroom's data: its partners know it by the key that "
                + "is gone, and a new key would make it a stranger to them. Restore node.key from a backup; to start "
                + "over as a new classroom instead, move penpals.sqlite (and its -wal and -shm files) out of the folder."
        }
    }
}
