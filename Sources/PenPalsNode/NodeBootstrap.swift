import Foundation
public import ServiceLifecycle
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
    /// waits for the disk once per batch rather than once per file, and a parent of
    /// many new folders is synced once for all of them (before any node starts).
    /// Throws only when such a sync fails (the folders would not survive a power cut).
    public static func prepareKeys(_ config: PenPalsConfig) throws {
        let nodes = config.nodes.filter { $0.publicKey == nil }
        let parents = (try? concurrently(nodes.count, width: fileWorkWidth) { index -> URL? in
            let files = NodeFiles(dataDir: nodes[index].dataDir)
            guard files.nodeID() == nil else { return nil }
            return (try? files.prepare(syncingParent: false))?.parentToSync
        }) ?? []
        do {
            try NodeFiles.syncFolders(parents.compactMap { $0 })
        } catch {
            throw Failure(description: "error: \(error)")
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

    /// The settings of each of `nodes` (creating a missing key or token), side by side:
    /// every check of the files that can fail a start, before anything listens.
    public static func settings(for nodes: [NodeConfig], in config: PenPalsConfig, roster: Roster) throws -> [NodeSettings] {
        try concurrently(nodes.count, width: fileWorkWidth) { try settings(for: nodes[$0], in: config, roster: roster) }
    }

    /// Opens the databases of `nodes` and builds them, as `host`'s classrooms, in the
    /// order given. The databases are opened (and, on a first start, created) side by
    /// side; each node gives back its store's caches once it is open, so that a start
    /// of many holds the memory of the few in progress, not of all.
    /// `onOpen` hears of each node as soon as it is open (nodes of one host reach each
    /// other only once all are open and registered).
    public static func makeNodes(_ nodes: [NodeConfig], in config: PenPalsConfig, roster: Roster, host: NodeHost,
                                 logger: @escaping @Sendable (NodeConfig) -> Logger,
                                 onOpen: (Int, ClassroomNode) -> Void = { _, _ in }) async throws -> [ClassroomNode] {
        try await makeNodes(nodes, settings: try settings(for: nodes, in: config, roster: roster), host: host,
                            logger: logger, onOpen: onOpen)
    }

    /// `makeNodes`, with the settings made already (`settings[i]` is `nodes[i]`'s).
    public static func makeNodes(_ nodes: [NodeConfig], settings: [NodeSettings], host: NodeHost,
                                 logger: @escaping @Sendable (NodeConfig) -> Logger,
                                 onOpen: (Int, ClassroomNode) -> Void = { _, _ in }) async throws -> [ClassroomNode] {
        precondition(nodes.count == settings.count, "settings for each node")
        // Databases open on threads of their own (file work that waits for the disk); each
        // node opens as soon as its database is, so that the first classrooms answer while the rest open.
        let stores = concurrentlyStream(nodes.count, width: fileWorkWidth) { index -> NodeStore in
            let path = NodeFiles(dataDir: nodes[index].dataDir).databaseFile.path
            do {
                return try NodeStore(path: path)
            } catch {
                throw Failure(description: "error: \(nodes[index].name): \(path) cannot be opened: \(error)")
            }
        }
        var byIndex: [Int: ClassroomNode] = [:]
        byIndex.reserveCapacity(nodes.count)
        try await withThrowingTaskGroup(of: (Int, ClassroomNode).self) { group in
            func opened(_ index: Int, _ node: ClassroomNode) {
                byIndex[index] = node
                onOpen(index, node)
                // What the opened stores gave back returns to the system as the start goes on.
                if byIndex.count % 100 == 0 { host.trimMemory() }
            }
            var inFlight = 0
            for await (index, made) in stores {
                let store = try made.get()
                group.addTask {
                    let node = try await ClassroomNode.open(settings: settings[index], store: store, logger: logger(nodes[index]),
                                                            transport: host.transport, timers: host.timers)
                    store.releaseMemory()
                    return (index, node)
                }
                inFlight += 1
                while inFlight >= fileWorkWidth, let (index, node) = try await group.next() {
                    inFlight -= 1
                    opened(index, node)
                }
            }
            while let (index, node) = try await group.next() { opened(index, node) }
        }
        let made = (0..<nodes.count).map { byIndex[$0]! }
        for node in made { host.transport.register(node) }
        host.trimMemory()
        return made
    }
}

/// The start of `penpals serve` beside its listeners: opens the classrooms into their
/// slots (each answers as soon as its own store is open, so that a district's first
/// classrooms answer while the rest still open), registers them with the host, starts
/// their background work and then runs the host's shared work until graceful shutdown.
/// A classroom that cannot be opened stops the process with a `Failure`.
public struct HostStart: Service, CustomStringConvertible {
    let nodes: [NodeConfig]
    let settings: [NodeSettings]
    let slots: [NodeSlot]
    let host: NodeHost
    let logger: @Sendable (NodeConfig) -> Logger
    let whenOpen: @Sendable ([ClassroomNode]) async -> Void

    /// - Parameters:
    ///   - settings: each node's (`NodeBootstrap.settings(for:in:roster:)`, made before
    ///     anything listens, so that a bad key or folder stops the start at once).
    ///   - slots: one per node of `nodes`, in that order, served by the listeners.
    ///   - whenOpen: runs once every classroom is open and its work started.
    public init(nodes: [NodeConfig], settings: [NodeSettings], slots: [NodeSlot], host: NodeHost,
                logger: @escaping @Sendable (NodeConfig) -> Logger,
                whenOpen: @escaping @Sendable ([ClassroomNode]) async -> Void = { _ in }) {
        precondition(nodes.count == slots.count && nodes.count == settings.count, "settings and a slot for each node")
        self.nodes = nodes
        self.settings = settings
        self.slots = slots
        self.host = host
        self.logger = logger
        self.whenOpen = whenOpen
    }

    /// What the service group logs (never the settings: they hold the API tokens).
    public var description: String { "HostStart(\(nodes.count) classrooms)" }

    public func run() async throws {
        // Requests waiting for a classroom that will not open get their answer (503).
        defer { for slot in slots { slot.failed() } }
        let made: [ClassroomNode]
        do {
            made = try await NodeBootstrap.makeNodes(nodes, settings: settings, host: host, logger: logger) { index, node in
                slots[index].opened(node)
            }
        } catch let error as NodeBootstrap.Failure {
            throw error
        } catch {
            throw NodeBootstrap.Failure(description: "\(error)")
        }
        for node in made { await node.runBackground() }
        await whenOpen(made)
        try await host.service.run()
    }
}

extension PenPalsConfig {
    /// `nodes[i]`, as config errors name a node.
    func keyPath(of node: NodeConfig) -> String {
        "nodes[\(nodes.firstIndex { $0.name == node.name } ?? 0)]"
    }
}
