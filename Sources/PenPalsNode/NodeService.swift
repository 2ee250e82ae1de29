import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import PenPalsCore
public import ServiceLifecycle

/// The classroom nodes of one listen address as a lifecycle service: their HTTP
/// server and their background work (channels, meeting jobs, expiry). One node
/// answers at its url's path (the root, usually); several share the address by
/// their url paths (contract §7.1), each answering every route under its own. On
/// graceful shutdown the server finishes requests in flight and the work stops.
public struct NodeService: Service, CustomStringConvertible {
    public let slots: [NodeSlot]
    let host: String
    let port: Int
    let onRunning: @Sendable (Int) async -> Void
    let background: Bool
    let idleTimeout: Duration
    let maxConnections: Int
    let logger: Logger

    /// - Parameter background: run delivery, sync, meeting jobs and expiry (off only for benchmarks).
    public init(node: ClassroomNode, host: String, port: Int, background: Bool = true,
                onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.init(nodes: [node], host: host, port: port, background: background, onRunning: onRunning)
    }

    /// - Parameter nodes: nodes whose url paths differ, none a leading segment of another.
    public init(nodes: [ClassroomNode], host: String, port: Int, background: Bool = true,
                onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) {
        precondition(!nodes.isEmpty, "a listen address without a node")
        self.init(slots: nodes.map(NodeSlot.init(node:)), host: host, port: port, background: background,
                  idleTimeout: nodes[0].settings.connectionIdleTimeout, maxConnections: nodes[0].settings.maxConnections,
                  logger: nodes[0].logger, onRunning: onRunning)
    }

    /// Classrooms that may still be opening: the address answers at once, and a request
    /// for a classroom waits until it is open. Each one's background work starts when it
    /// is open (with `background`; else whoever opens them starts it).
    /// - Parameter slots: classrooms whose url paths differ, none a leading segment of another.
    public init(slots: [NodeSlot], host: String, port: Int, background: Bool = true,
                idleTimeout: Duration = NodeSettings.defaultConnectionIdleTimeout,
                maxConnections: Int = NodeSettings.defaultMaxConnections, logger: Logger,
                onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) {
        precondition(!slots.isEmpty, "a listen address without a node")
        self.slots = slots
        self.host = host
        self.port = port
        self.background = background
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.logger = logger
        self.onRunning = onRunning
    }

    public var node: ClassroomNode { slots[0].openNode! }

    /// What the service group logs.
    public var description: String { "NodeService(\(host):\(port), \(slots.count) classrooms)" }

    public func run() async throws {
        let slots = slots
        let onRunning = onRunning
        @Sendable func closeChanges() { for slot in slots { slot.openNode?.changes.close() } }
        defer { closeChanges() }
        let idle = idleTimeout.components
        let http = HTTPServerBuilder.http1(configuration: .init(
            idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000)))
        let configuration = ServerConfiguration(address: .hostname(host, port: port), serverName: "PenPals",
                                                availableConnectionsDelegate: MaximumAvailableConnections(maxConnections))
        let running: @Sendable (any Channel) async -> Void = { channel in await onRunning(channel.localAddress?.port ?? 0) }
        let dispatcher: PathDispatcher
        if slots.count == 1 {
            // Alone on its address, a node answers at the root, as it always did (behind a
            // proxy that takes its url's path off), and under its url's path as well.
            let responder = NodeResponder(slot: slots[0], root: "")
            let routes = slots[0].pathPrefix.isEmpty ? [:] : [slots[0].pathPrefix: responder]
            dispatcher = PathDispatcher(routes, fallback: responder)
        } else {
            dispatcher = PathDispatcher(Dictionary(slots.map { ($0.pathPrefix, NodeResponder(slot: $0, root: $0.pathPrefix)) },
                                                   uniquingKeysWith: { first, _ in first }))
        }
        let server = try HTTPServer.service(responder: dispatcher, server: http, configuration: configuration,
                                            logger: logger, onServerRunning: running)
        // Dashboard event streams never end by themselves: on shutdown they are ended
        // cleanly (the browser sees the stream close) rather than left to cancellation.
        // The server drains its requests in flight; background work stops alongside it.
        let background = background
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask { try await server.run(); return true }
                if background {
                    for slot in slots {
                        group.addTask {
                            await cancelWhenGracefulShutdown {
                                guard let node = try? await slot.node() else { return }
                                await node.runBackground()
                            }
                            return false
                        }
                    }
                }
                while let serverEnded = try await group.next() {
                    if serverEnded { break }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            closeChanges()
        }
    }
}

extension ClassroomNode {
    /// Starts the node's background work on its timers: its channels, its meeting
    /// jobs, its expiry. When the timers are the node's own, it runs them until
    /// cancelled; a host's shared timers run once for all its classrooms, and this
    /// returns once the work is scheduled.
    func runBackground() async {
        await startChannels()
        wantMeetingJobs()
        wantExpiryCheck()
        if ownsTimers { await timers.run() }
    }

    /// Checks for expired invitations soon (a second, so that a burst of changes is
    /// one check), unless a check is due sooner.
    func wantExpiryCheck(in delay: Duration = .seconds(1)) {
        timers.schedule(TimerKey(node: id, purpose: .expiry), at: .now + delay, .earliest) { [self] in await runExpiry() }
    }

    /// Each node expires invitations on its own clock, also while nobody looks: at
    /// the next time one falls due (read from the store), looked at again at least
    /// every 5 minutes while one can (a wall clock that jumps is caught up), and
    /// not at all while none can.
    func runExpiry() async {
        do {
            let next = try await store.backgroundRead { try $0.nextExpiry() }
            guard let next else { return }
            let wait = next.timeIntervalSince(now())
            if wait <= 0 {
                try await expireDue()
                wantExpiryCheck(in: .zero)
            } else {
                wantExpiryCheck(in: .milliseconds(Int(min(wait, 300) * 1000) + 1))
            }
        } catch {
            logger.error("expiry failed", metadata: ["error": "\(error)"])
            wantExpiryCheck(in: .seconds(15))
        }
    }
}
