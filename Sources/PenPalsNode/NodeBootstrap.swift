import Foundation
public import Logging
public import PenPalsConfig
public import PenPalsCore
import PenPalsStore
import Webex

/// Turns the config file into running nodes: keys first, then settings, store and node.
public enum NodeBootstrap {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Creates the missing key and token of every node of the file whose `data_dir`
    /// can be written, so that nodes of one file can start in any order. A node
    /// whose folder this process cannot write is left to its own process.
    /// Folders are prepared side by side, so that a first start of many classrooms
    /// waits for the disk once per batch rather than once per file.
    public static func prepareKeys(_ config: PenPalsConfig) {
        let nodes = config.nodes.filter { $0.publicKey == nil }
        _ = try? concurrently(nodes.count, width: fileWorkWidth) { index in
            let files = NodeFiles(dataDir: nodes[index].dataDir)
            if files.nodeID() == nil { _ = try? files.prepare() }
        }
    }

    /// Threads that create files and databases at once on a first start.
    static let fileWorkWidth = 16

    /// The node id of a node of the file: its `public_key`, else the key in its `data_dir`.
    public static func nodeID(of node: NodeConfig, in config: PenPalsConfig) throws -> NodeID {
        guard let id = node.publicKey ?? NodeFiles(dataDir: node.dataDir).nodeID() else {
            throw Failure(description: "error: \(config.displayPath): \(config.keyPath(of: node)).public_key: the node has no key yet and none is given. Start it once, or add its public_key.")
        }
        return id
    }

    /// Every classroom of the file, its nodes and its `[[peers]]`: what each of its nodes
    /// trusts (but itself). Made once for all the nodes one process runs.
    public static func roster(of config: PenPalsConfig) throws -> Roster {
        var classrooms: [Classroom] = []
        for other in config.nodes {
            classrooms.append(Classroom(id: try nodeID(of: other, in: config), name: other.name, displayName: other.displayName,
                                        url: other.url, timezone: other.timezone))
        }
        for peer in config.peers {
            classrooms.append(Classroom(id: peer.publicKey, name: peer.name, displayName: peer.displayName ?? peer.name, url: peer.url))
        }
        return Roster(classrooms)
    }

    /// Everything `node` needs, with every other node of the file and every `[[peers]]`
    /// entry as peers (`roster`, when the caller made it already).
    public static func settings(for node: NodeConfig, in config: PenPalsConfig, roster: Roster? = nil) throws -> NodeSettings {
        let files = NodeFiles(dataDir: node.dataDir)
        let key = try files.prepare()
        if let declared = node.publicKey, declared != key.id {
            throw Failure(description: "error: \(config.displayPath): \(config.keyPath(of: node)).public_key: it does not match the key in \(files.keyFile.path). Remove public_key or set it to \(key.id).")
        }
        let roster = try roster ?? Self.roster(of: config)
        guard let zone = TimeZone(identifier: node.timezone) else {
            throw Failure(description: "error: \(config.displayPath): \(config.keyPath(of: node)).timezone: unknown time zone. Use an IANA zone such as \"Europe/Oslo\".")
        }
        let webex = config.webex.map {
            WebexSettings(apiBase: $0.apiBase, authorizeURL: $0.authorizeURL, clientID: $0.clientID, clientSecret: $0.clientSecret)
        }
        var settings = NodeSettings(local: Classroom(id: key.id, name: node.name, displayName: node.displayName, url: node.url),
                                    key: key, apiToken: try files.apiToken(), timezone: zone, roster: roster, webex: webex)
        settings.syncInterval = .seconds(config.syncInterval)
        // How long a WebEx call may take before it counts as lost (default 30 s).
        if let seconds = ProcessInfo.processInfo.environment["PENPALS_WEBEX_TIMEOUT"].flatMap(Double.init), seconds > 0 {
            settings.webexTimeout = seconds
        }
        return settings
    }

    /// Opens the node's database and builds the node, as one of `host`'s classrooms
    /// (its peers of the same process reached without HTTP, its work on the host's timers).
    public static func makeNode(_ node: NodeConfig, in config: PenPalsConfig, roster: Roster, logger: Logger,
                                host: NodeHost) async throws -> ClassroomNode {
        try await makeNodes([node], in: config, roster: roster, host: host) { _ in logger }[0]
    }

    /// Opens the databases of `nodes` and builds them, as `host`'s classrooms, in the
    /// order given. The databases are opened (and, on a first start, created) side by
    /// side; each node gives back its store's caches once it is open, so that a start
    /// of many holds the memory of the few in progress, not of all.
    public static func makeNodes(_ nodes: [NodeConfig], in config: PenPalsConfig, roster: Roster, host: NodeHost,
                                 logger: @escaping @Sendable (NodeConfig) -> Logger) async throws -> [ClassroomNode] {
        let opened = try concurrently(nodes.count, width: fileWorkWidth) { index -> (NodeSettings, NodeStore) in
            let node = nodes[index]
            return (try settings(for: node, in: config, roster: roster),
                    try NodeStore(path: NodeFiles(dataDir: node.dataDir).databaseFile.path))
        }
        var made: [ClassroomNode] = []
        made.reserveCapacity(nodes.count)
        try await withThrowingTaskGroup(of: (Int, ClassroomNode).self) { group in
            var started = 0
            func start() {
                let index = started
                let (settings, store) = opened[index]
                group.addTask {
                    let node = try await ClassroomNode.open(settings: settings, store: store, logger: logger(nodes[index]),
                                                            transport: host.transport, timers: host.timers)
                    store.releaseMemory()
                    return (index, node)
                }
                started += 1
            }
            while started < min(nodes.count, fileWorkWidth) { start() }
            var byIndex: [Int: ClassroomNode] = [:]
            while let (index, node) = try await group.next() {
                byIndex[index] = node
                if started < nodes.count { start() }
                // What the opened stores gave back returns to the system as the start goes on.
                if byIndex.count % 100 == 0 { host.trimMemory() }
            }
            made = (0..<nodes.count).map { byIndex[$0]! }
        }
        for node in made { host.transport.register(node) }
        host.trimMemory()
        return made
    }
}

extension PenPalsConfig {
    /// `nodes[i]`, as config errors name a node.
    func keyPath(of node: NodeConfig) -> String {
        "nodes[\(nodes.firstIndex { $0.name == node.name } ?? 0)]"
    }
}
