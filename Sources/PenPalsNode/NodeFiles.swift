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
    @discardableResult
    public func prepare() throws -> NodeKey {
        try createFolder()
        return try withFolderLocked {
            let key: NodeKey
            if let existing = try readIfPresent(keyFile) {
                key = try Self.key(from: existing, path: keyFile.path)
                // A key copied in by hand, or restored from a backup, may have come at a wider mode.
                try restrict(keyFile)
            } else {
                if let size = try? FileManager.default.attributesOfItem(atPath: databaseFile.path)[.size] as? Int, size > 0 {
                    throw NodeFilesError.lostKey(keyFile: keyFile.path, database: databaseFile.path)
                }
                let made = NodeKey.generate()
                let won = try createOnce(keyFile, contents: Base64URL.encode(made.secretKey) + "\n")
                key = try Self.key(from: won, path: keyFile.path)
            }
            // The names of the id, the token and a new database in the folder are synced
            // at once, below (each file's bytes before it is named): before this returns,
            // so before the token is shown or the database written.
            var unsynced = false
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
            if try !restrictDatabase(), unsynced { try syncFolder(dataDir) }
            return key
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

    /// The folder, mode 0700, and its parent synced when it was made.
    private func createFolder() throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: dataDir.path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw NodeFilesError.unwritable(dataDir.path, "it is not a folder") }
            return
        }
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try syncFolder(dataDir.deletingLastPathComponent())
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
    /// SQLite creates those two with the database file's mode, so it is made first: on a
    /// first start, as a copy of a new database of the current schema (`NodeStore.newDatabase`),
    /// synced and then put in place, else empty for SQLite to fill.
    /// Returns whether it put a new database in place (and synced the folder).
    private func restrictDatabase() throws -> Bool {
        var placed = false
        if let new = NodeStore.newDatabase, isEmptyOrMissing(databaseFile.path), isEmptyOrMissing(databaseFile.path + "-wal") {
            let temp = try writeTemporary(beside: databaseFile, bytes: new, mode: 0o600)
            guard rename(temp, databaseFile.path) == 0 else {
                let failure = errno
                unlink(temp)
                throw NodeFilesError.unwritable(databaseFile.path, Self.reason(failure))
            }
            try syncFolder(dataDir)
            placed = true
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
