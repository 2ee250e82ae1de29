import Foundation
import PenPalsCore

/// The config file: the nodes run on this host, the peers they know, and WebEx.
/// See CONTRACT.md §2 and `nodes.example.toml`.
public struct PenPalsConfig: Sendable {
    /// Absolute path of the config file.
    public var file: URL
    /// The config file as the user named it; used in error messages.
    public var displayPath: String
    public var webex: WebexConfig?
    public var nodes: [NodeConfig]
    public var peers: [PeerConfig]
    /// Seconds between reconciliations with each peer (`sync_interval`, default 30).
    public var syncInterval: Int

    public static let defaultSyncInterval = 30
    public static let syncIntervalRange = 5...3600

    public init(file: URL, displayPath: String? = nil, webex: WebexConfig?, nodes: [NodeConfig], peers: [PeerConfig],
                syncInterval: Int = PenPalsConfig.defaultSyncInterval) {
        self.syncInterval = syncInterval
        self.file = file
        self.displayPath = displayPath ?? file.path
        self.webex = webex
        self.nodes = nodes
        self.peers = peers
    }

    /// The folder of the config file, against which relative paths are resolved.
    public var folder: URL { file.deletingLastPathComponent() }

    /// Reads, parses and statically checks the whole file. Throws the first problem in file order.
    public static func load(path: String) throws(ConfigError) -> PenPalsConfig {
        try ConfigLoader.load(path: path)
    }

    /// `$PENPALS_CONFIG` when set and not empty, else `nodes.toml`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["PENPALS_CONFIG"], !path.isEmpty { return path }
        return "nodes.toml"
    }

    /// The node chosen with `--node NAME`; with no name, the only node of the file.
    public func node(named name: String?) throws(ConfigError) -> NodeConfig {
        let names = nodes.map(\.name)
        let list = names.joined(separator: ", ")
        guard let name else {
            if nodes.count == 1 { return nodes[0] }
            if nodes.isEmpty {
                throw ConfigError(file: displayPath, key: "nodes", problem: "the file defines no node",
                                  fix: "Add a [[nodes]] section (see nodes.example.toml)")
            }
            throw ConfigError(file: displayPath, key: "--node",
                              problem: "the file has \(nodes.count) nodes (\(list)) and no node was chosen",
                              fix: "Choose one with --node NAME, e.g. --node \(names[0])")
        }
        if let node = nodes.first(where: { $0.name == name }) { return node }
        if peers.contains(where: { $0.name == name }) {
            throw ConfigError(file: displayPath, key: "--node",
                              problem: "\(quoted(name)) is a peer run elsewhere, not a node of this file",
                              fix: "Use --node with one of this file's nodes: \(list)")
        }
        var fix = "Use --node with one of this file's nodes: \(list)"
        if let guess = closest(to: name, among: names) { fix = "Did you mean --node \(guess)? The nodes of this file are: \(list)" }
        throw ConfigError(file: displayPath, key: "--node", problem: "there is no node named \(quoted(name))", fix: fix)
    }

    /// The index of a node in `nodes`, for key paths in messages.
    func keyPath(of node: NodeConfig) -> String {
        if let index = nodes.firstIndex(where: { $0.name == node.name }) { return "nodes[\(index)]" }
        return "nodes[\(quoted(node.name))]"
    }
}

/// The `[webex]` section: the OAuth client every node of the file uses.
public struct WebexConfig: Sendable, Equatable {
    /// For example `https://webexapis.com/v1` (no trailing slash).
    public var apiBase: URL
    /// For example `https://webexapis.com/v1/authorize`.
    public var authorizeURL: URL
    public var clientID: String
    /// From `client_secret`, or read from `client_secret_file` (trailing newline trimmed).
    public var clientSecret: String

    public static let defaultAPIBase = URL(string: "https://webexapis.com/v1")!
    public static let defaultAuthorizeURL = URL(string: "https://webexapis.com/v1/authorize")!

    public init(apiBase: URL, authorizeURL: URL, clientID: String, clientSecret: String) {
        self.apiBase = apiBase
        self.authorizeURL = authorizeURL
        self.clientID = clientID
        self.clientSecret = clientSecret
    }
}

/// One `[[nodes]]` entry: a classroom run on this host.
public struct NodeConfig: Sendable, Equatable {
    /// Slug, unique across nodes and peers: `^[a-z0-9][a-z0-9-]{0,62}$`.
    public var name: String
    public var displayName: String
    public var listen: ListenAddress
    /// How peers reach this node: http(s), absolute, no trailing slash.
    public var url: URL
    /// Absolute; relative paths in the file are resolved against the config file's folder.
    public var dataDir: URL
    /// An IANA time zone identifier.
    public var timezone: String
    /// Where the file states it; otherwise the key is read from `dataDir`.
    public var publicKey: NodeID?

    public init(name: String, displayName: String, listen: ListenAddress, url: URL, dataDir: URL,
                timezone: String, publicKey: NodeID? = nil) {
        self.name = name
        self.displayName = displayName
        self.listen = listen
        self.url = url
        self.dataDir = dataDir
        self.timezone = timezone
        self.publicKey = publicKey
    }
}

/// One `[[peers]]` entry: a node run elsewhere that the nodes of this file trust.
public struct PeerConfig: Sendable, Equatable {
    public var name: String
    public var displayName: String?
    public var url: URL
    public var publicKey: NodeID

    public init(name: String, displayName: String? = nil, url: URL, publicKey: NodeID) {
        self.name = name
        self.displayName = displayName
        self.url = url
        self.publicKey = publicKey
    }
}
