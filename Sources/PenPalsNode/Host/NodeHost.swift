import AsyncAlgorithms
#if canImport(Glibc)
/// glibc's `malloc_trim` (in malloc.h, which the Glibc module leaves out).
@_silgen_name("malloc_trim") private func mallocTrim(_ pad: Int) -> Int32
#endif
public import PenPalsCore
public import ServiceLifecycle

/// The classrooms one process runs and what they share: one set of timers for all
/// their background work (channels, meeting jobs, expiry), delivery between them
/// without HTTP, and one outbound HTTP client for every other peer.
public final class NodeHost: Sendable {
    public let transport: HostTransport
    public let timers = Timers()

    /// - Parameter nodes: the ids of every node this process runs.
    /// - Parameter digestInterval: how often to send digests to remote hosts (the config's
    ///   `sync_interval`); nil: each pair with a remote peer syncs on its own.
    public init(nodes: some Sequence<NodeID>, remote: any PeerTransport = PeerClient(), digestInterval: Duration? = nil) {
        transport = HostTransport(nodes: nodes, remote: remote, digestInterval: digestInterval)
    }

    /// How often idle classrooms give back memory, and how long a classroom is idle first.
    static let sweepInterval: Duration = .seconds(30)
    /// When, after the start, the nodes' first background reads (what to resume, the
    /// next expiry, open meeting jobs, a second after the start) are done.
    static let startSettled: Duration = .seconds(3)

    /// Runs the host's timers, and every 30 s gives back the memory of classrooms whose
    /// store has not been used for as long, until graceful shutdown (listed before the
    /// nodes' services, it stops after them).
    public var service: some Service { HostService(host: self) }

    /// Lets the stores of classrooms idle for `idle` give back their connections and caches.
    func releaseIdleMemory(idle: Duration = NodeHost.sweepInterval) {
        for node in transport.registered {
            _ = node.store.releaseMemoryIfIdle(for: idle)
        }
        // What the stores gave back (now, or after a background read since) goes back to
        // the system, not only to malloc's free lists.
        trimMemory()
    }

    /// Returns the heap's free pages to the system (glibc's `malloc_trim`).
    func trimMemory() {
        #if canImport(Glibc)
        _ = mallocTrim(0)
        #endif
    }
}

struct HostService: Service {
    let host: NodeHost

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await cancelWhenGracefulShutdown { await host.timers.run() } }
            group.addTask {
                // What the start made and freed (a first start creates every database)
                // goes back to the system once the nodes' first look at their stores is done.
                for await _ in AsyncTimerSequence(interval: NodeHost.startSettled, clock: .continuous).prefix(1).cancelOnGracefulShutdown() {
                    host.trimMemory()
                }
            }
            if let interval = host.transport.digests.interval {
                group.addTask {
                    // The first round at once: it stands for each pair's sync on start.
                    await host.transport.digestRound()
                    for await _ in AsyncTimerSequence(interval: interval, clock: .continuous).cancelOnGracefulShutdown() {
                        await host.transport.digestRound()
                    }
                }
            }
            group.addTask {
                for await _ in AsyncTimerSequence(interval: NodeHost.sweepInterval, clock: .continuous).cancelOnGracefulShutdown() {
                    host.releaseIdleMemory()
                }
            }
        }
    }
}
