import Foundation
public import PenPalsCore

/// The files of a node's `data_dir`: its Ed25519 key (`node.key`, mode 0600), its
/// public id (`node.id`, so other nodes of the same config file can read it), the
/// local API token (`api.token`, mode 0600) and the database (`penpals.sqlite`).
public struct NodeFiles: Sendable {
    public let dataDir: URL

    public init(dataDir: URL) {
        self.dataDir = dataDir
    }

    public var keyFile: URL { dataDir.appendingPathComponent("node.key") }
    public var idFile: URL { dataDir.appendingPathComponent("node.id") }
    public var tokenFile: URL { dataDir.appendingPathComponent("api.token") }
    public var databaseFile: URL { dataDir.appendingPathComponent("penpals.sqlite") }

    /// Creates the data folder, key and token where missing; returns the key.
    @discardableResult
    public func prepare() throws -> NodeKey {
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let key: NodeKey
        if FileManager.default.fileExists(atPath: keyFile.path) {
            key = try loadKey()
        } else {
            key = NodeKey.generate()
            try writeSecret(Base64URL.encode(key.secretKey) + "\n", to: keyFile)
        }
        try Data((key.id.rawValue + "\n").utf8).write(to: idFile, options: .atomic)
        if !FileManager.default.fileExists(atPath: tokenFile.path) {
            try writeSecret(SecureRandom.token() + "\n", to: tokenFile)
        }
        return key
    }

    public func loadKey() throws -> NodeKey {
        let text = try String(contentsOf: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let secret = Base64URL.decode(text) else { throw NodeFilesError.unreadable(keyFile.path, "not base64url") }
        do {
            return try NodeKey(secretKey: secret)
        } catch {
            throw NodeFilesError.unreadable(keyFile.path, "\(error)")
        }
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

    /// Writes a secret so that it is never readable by others, not even for an instant.
    private func writeSecret(_ text: String, to url: URL) throws {
        let temp = url.appendingPathExtension("tmp")
        guard FileManager.default.createFile(atPath: temp.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw NodeFilesError.unwritable(url.path, "cannot be created")
        }
        let handle = try FileHandle(forWritingTo: temp)
        try handle.write(contentsOf: Data(text.utf8))
        try handle.synchronize()
        try handle.close()
        guard rename(temp.path, url.path) == 0 else {
            throw NodeFilesError.unwritable(url.path, "errno \(errno)")
        }
    }
}

public enum NodeFilesError: Error, CustomStringConvertible {
    case unreadable(String, String)
    case unwritable(String, String)

    public var description: String {
        switch self {
        case .unreadable(let path, let why): "\(path) cannot be read: \(why)"
        case .unwritable(let path, let why): "\(path) cannot be written: \(why)"
        }
    }
}
