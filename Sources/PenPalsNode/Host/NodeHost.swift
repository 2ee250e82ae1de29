public import PenPalsCore
public import ServiceLifecycle

/// The classrooms one process runs and what they share: one set of timers for all
/// their background work (channels, meeting jobs, expiry), delivery between them
/// without HTTP, and one outbound HTTP client for every other peer.
public final class NodeHost: Sendable {
    public let transport: HostTransport
    public let timers = Timers()

    /// - Parameter nodes: the ids of every node this process runs.
    public init(nodes: some Sequence<NodeID>, remote: any PeerTransport = PeerClient()) {
        transport = HostTransport(nodes: nodes, remote: remote)
    }

    /// Runs the host's timers until graceful shutdown (listed before the nodes'
    /// services, it stops after them).
    public var service: some Service { TimersService(timers: timers) }
}

struct TimersService: Service {
    let timers: Timers

    func run() async throws {
        await cancelWhenGracefulShutdown { await timers.run() }
    }
}
