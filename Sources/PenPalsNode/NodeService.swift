import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import PenPalsCore
public import ServiceLifecycle

/// One classroom node as a lifecycle service: its HTTP server and its background
/// work (delivery and sync per peer, meeting creation, expiry). On graceful
/// shutdown the server finishes requests in flight and the loops stop.
public struct NodeService: Service {
    public let node: ClassroomNode
    let host: String
    let port: Int
    let onRunning: @Sendable (Int) async -> Void
    let background: Bool

    /// - Parameter background: run delivery, sync, meeting jobs and expiry (off only for benchmarks).
    public init(node: ClassroomNode, host: String, port: Int, background: Bool = true,
                onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.node = node
        self.host = host
        self.port = port
        self.background = background
        self.onRunning = onRunning
    }

    public func run() async throws {
        let onRunning = onRunning
        defer { node.changes.close() }
        let settings = node.settings
        let idle = settings.connectionIdleTimeout.components
        let app = Application(
            router: buildRouter(for: node),
            server: .http1(configuration: .init(
                idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000))),
            configuration: .init(address: .hostname(host, port: port), serverName: "PenPals",
                                 availableConnectionsDelegate: MaximumAvailableConnections(settings.maxConnections)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: node.logger)
        // Dashboard event streams never end by themselves: on shutdown they are ended
        // cleanly (the browser sees the stream close) rather than left to cancellation.
        // The server drains its requests in flight; background work stops alongside it.
        let background = background
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask { try await app.run(); return true }
                if background {
                    group.addTask { await cancelWhenGracefulShutdown { await node.runBackground() }; return false }
                }
                while let serverEnded = try await group.next() {
                    if serverEnded { break }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            node.changes.close()
        }
    }
}

extension ClassroomNode {
    /// Starts the node's background work on its timers: its channels, its meeting
    /// jobs, its expiry. Until cancelled, it runs the timers when they are the
    /// node's own; a host runs shared timers once for all its classrooms.
    func runBackground() async {
        await startChannels()
        wantMeetingJobs()
        wantExpiryCheck()
        if ownsTimers {
            await timers.run()
        } else {
            try? await Task.sleep(for: .seconds(366 * 86_400))
        }
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
            let next = try await store.read { try $0.nextExpiry() }
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
