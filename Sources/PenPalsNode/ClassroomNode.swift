import Foundation
public import Logging
public import PenPalsCore
public import PenPalsStore
import Synchronization
public import Webex

/// What a node needs to run, read from the config file and its data folder.
public struct NodeSettings: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public var local: Classroom
    public var key: NodeKey
    public var apiToken: String
    public var timezone: TimeZone
    /// The classrooms this node trusts (every one of `roster` but itself).
    public var roster: Roster
    public var peers: [Classroom] {
        get { roster.ordered.filter { $0.id != local.id } }
        set { roster = Roster(newValue) }
    }
    public var webex: WebexSettings?
    /// How long `accept` waits for the sender's meeting before answering 202.
    public var acceptWait: Duration = .seconds(10)
    /// How often each peer is reconciled even when nothing seems missing.
    public var syncInterval: Duration = .seconds(30)
    /// How often an open `/api/events` stream gets a comment, so proxies and browsers keep it open.
    public var eventHeartbeat: Duration = .seconds(15)
    /// Seconds a WebEx call may wait for an answer before it counts as lost (the meeting may exist).
    public var webexTimeout: TimeInterval = 30
    /// Base of the meeting jobs' backoff after a 5xx or a lost answer, in seconds
    /// (attempt n waits between base·2ⁿ⁻¹ and base·2ⁿ, capped at 5 minutes); tests shorten it.
    public var webexBackoffBase: Double = 2
    /// Attempts a meeting job makes through 5xx answers, timeouts and connection errors
    /// before the invitation fails (and the sender may retry it).
    public var webexMaxAttempts = 8
    /// At most this many events of one channel, and this many bytes of their
    /// envelopes, wait beyond a gap; a batch that would leave more is refused (429
    /// `gap_full`) and nothing of it stored. A partner pushes its channel in order,
    /// so a gap holds a few batches at most; only a buggy or hostile partner comes near.
    /// The HTTP server closes a connection that has sent no complete request part for
    /// this long: an idle keep-alive connection, or one that trickles its headers.
    public var connectionIdleTimeout: Duration = NodeSettings.defaultConnectionIdleTimeout
    public static let defaultConnectionIdleTimeout: Duration = .seconds(20)
    /// How long a request's body may take to arrive whole (408 beyond).
    public var bodyTimeout: Duration = .seconds(30)
    /// Connections the server holds open at once; more wait in the listen backlog.
    /// The idle timeout frees a slot held by a slow or silent client.
    public var maxConnections = NodeSettings.defaultMaxConnections
    public static let defaultMaxConnections = 2_000
    /// Peer requests handled at once (each may hold a 1 MiB body before its
    /// signatures are checked); beyond, 503 `busy`.
    public var peerRequestsAtOnce = 64
    public var heldBeyondGapEvents = 10_000
    public var heldBeyondGapBytes = 16 << 20

    public init(local: Classroom, key: NodeKey, apiToken: String, timezone: TimeZone, peers: [Classroom], webex: WebexSettings?) {
        self.init(local: local, key: key, apiToken: apiToken, timezone: timezone, roster: Roster(peers), webex: webex)
    }

    /// - Parameter roster: the classrooms of the config file, shared by its nodes (this one may be among them).
    public init(local: Classroom, key: NodeKey, apiToken: String, timezone: TimeZone, roster: Roster, webex: WebexSettings?) {
        self.local = local
        self.key = key
        self.apiToken = apiToken
        self.timezone = timezone
        self.roster = roster
        self.webex = webex
    }

    /// Names the classroom, never its token or key (settings reach logs through the services that hold them).
    public var description: String { "NodeSettings(\(local.name), \(local.id))" }
    public var debugDescription: String { description }
}

/// One classroom's node: its identity, store, peers and WebEx account, and the
/// operations of the local API and the node-to-node protocol.
///
/// Every change is one store transaction; what must happen after it commits
/// (pushing events, waking waiters, creating meetings) is collected as `Effects`
/// and settled afterwards, so nothing is sent or announced before it is durable.
public final class ClassroomNode: Sendable {
    public let settings: NodeSettings
    public let store: NodeStore
    let directory: Directory
    let logger: Logger
    let now: @Sendable () -> Date
    /// The monotonic clock: what waits are measured by (a wall clock may jump).
    let uptime: @Sendable () -> ContinuousClock.Instant
    /// Picks a backoff delay in a range; random, or seeded in the simulation.
    let jitter: @Sendable (ClosedRange<Double>) -> Double
    let transport: any PeerTransport
    /// The classroom's WebEx account (OAuth, tokens); nil without a `[webex]` section.
    let webex: WebexLink?
    /// Where meetings are made: the WebEx account, or a stand-in in the simulation.
    let meetingHost: (any MeetingHost)?
    let watch = InvitationWatch()
    /// Where the node's background work is scheduled: the host's timers, shared by
    /// every classroom of the process, or its own.
    let timers: Timers
    /// Whether `timers` are this node's own, run by its `NodeService`.
    let ownsTimers: Bool
    /// Per peer, what its channel has to do; no entry while it has nothing.
    let channels = Mutex<[NodeID: ChannelState]>([:])
    /// Whether the meeting jobs are being run, and whether they were asked for meanwhile.
    let jobsRunning = Mutex<(running: Bool, again: Bool)>((false, false))
    /// When the meeting jobs' stored times fall due, by either clock.
    let jobSchedule = MonotonicSchedule()
    let peerHealth = Mutex<[NodeID: PeerHealth]>([:])
    /// Per peer, the next page of the sync it is doing, prepared ahead (see `syncAnswer`).
    let preparedSync = Mutex<[NodeID: PreparedSync]>([:])
    /// The last answer to each peer's digest request (Host/Digests.swift).
    let digestAnswers = Mutex<[NodeID: DigestAnswerCache]>([:])
    /// How many sync answers were served from a prepared page (for the tests).
    let preparedSyncHits = Atomic<Int>(0)
    /// Events of pushed batches taken as repeats of stored ones, unverified (for the tests).
    let repeatsSkipped = Atomic<Int>(0)
    let changes = ChangeFeed()
    /// Requests of peers being read now (`ConcurrencyLimitMiddleware`: at most `settings.peerRequestsAtOnce`).
    let peerRequestsInFlight = SharedCounter()

    public var id: NodeID { settings.key.id }

    /// The path of the node's url, without a trailing slash: "" for a node at the
    /// root, "/lincoln/room-12" for one of several on one listen address (§7.1).
    public var pathPrefix: String { Self.pathPrefix(of: settings.local.url) }

    static func pathPrefix(of url: URL) -> String {
        var path = url.path(percentEncoded: true)
        while path.hasSuffix("/") { path.removeLast() }
        return path
    }
    var key: NodeKey { settings.key }

    /// - Parameters:
    ///   - transport: how peers are reached; HTTP unless given.
    ///   - meetingHost: where meetings are made; the WebEx account of `settings.webex` unless given.
    ///   - jitter: picks a backoff delay within a range.
    ///   - uptime: the monotonic clock beside `now` (the simulation derives both from its own time).
    ///   - timers: the host's timers, when the node runs beside others; its own unless given.
    ///
    /// No I/O: `open` builds a node and brings its store's peers up to date.
    init(settings: NodeSettings, store: NodeStore, logger: Logger, now: @escaping @Sendable () -> Date,
         uptime: @escaping @Sendable () -> ContinuousClock.Instant, transport: (any PeerTransport)?,
         meetingHost: (any MeetingHost)?, timers: Timers?, jitter: @escaping @Sendable (ClosedRange<Double>) -> Double) {
        self.settings = settings
        self.store = store
        self.logger = logger
        self.now = now
        self.uptime = uptime
        self.jitter = jitter
        self.directory = Directory(local: settings.local, key: settings.key, roster: settings.roster)
        self.transport = transport ?? PeerClient()
        self.timers = timers ?? Timers()
        self.ownsTimers = timers == nil
        if let webexSettings = settings.webex {
            let tokens = SealedTokenStore(store: store, box: SecretBox(nodeKey: settings.key, purpose: "webex-tokens"), now: now)
            self.webex = WebexLink(
                client: WebexClient(settings: webexSettings, timeout: settings.webexTimeout),
                account: WebexAccount(client: WebexClient(settings: webexSettings, timeout: settings.webexTimeout),
                                      store: tokens, now: now, logger: logger),
                tokens: tokens)
        } else {
            self.webex = nil
        }
        self.meetingHost = meetingHost ?? webex
    }

    /// A node on `store`, which is told whom the node trusts (a pair's row is made when
    /// first written) and whose existing rows are brought up to date with the trusted
    /// classrooms (names and URLs; the pairs' counters are kept).
    /// - Parameters:
    ///   - transport: how peers are reached; HTTP unless given.
    ///   - meetingHost: where meetings are made; the WebEx account of `settings.webex` unless given.
    ///   - jitter: picks a backoff delay within a range.
    ///   - uptime: the monotonic clock beside `now` (the simulation derives both from its own time).
    ///   - timers: the host's timers, when the node runs beside others; its own unless given.
    public static func open(settings: NodeSettings, store: NodeStore, logger: Logger, now: @escaping @Sendable () -> Date = Date.init,
                            uptime: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
                            transport: (any PeerTransport)? = nil, meetingHost: (any MeetingHost)? = nil,
                            timers: Timers? = nil,
                            jitter: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) async throws -> ClassroomNode {
        let node = ClassroomNode(settings: settings, store: store, logger: logger, now: now, uptime: uptime, transport: transport,
                                 meetingHost: meetingHost, timers: timers, jitter: jitter)
        store.trust { [directory = node.directory] id in
            directory.peer(id: id).map {
                StoreTransaction.PeerName(id: id, name: $0.classroom.name, displayName: $0.classroom.displayName,
                                          url: $0.classroom.url.absoluteString)
            }
        }
        try await store.write { tx in try tx.syncPeers() }
        return node
    }

    /// What must happen once a transaction has committed.
    struct Effects: Sendable {
        var deliverTo: Set<NodeID> = []
        var changed: Set<UUID> = []
        var runJobs = false
        var syncWith: Set<NodeID> = []
    }

    func settle(_ effects: Effects) {
        for peer in effects.deliverTo { wantPush(peer) }
        for invitation in effects.changed { watch.notify(invitation) }
        announce(effects.changed)
        for peer in effects.syncWith { wantSync(peer) }
        if effects.runJobs { wantMeetingJobs() }
        if !effects.changed.isEmpty { wantExpiryCheck() }
    }

    /// Appends an event for `peer` in `tx` and notes that it must be pushed after commit.
    func send(_ body: EventBody, to peer: NodeID, in tx: StoreTransaction, effects: inout Effects) throws {
        guard let cipher = directory.cipher(for: peer) else { throw StoreError.unknownPeer(peer.rawValue) }
        _ = try tx.appendOutgoing(body, key: key, cipher: cipher, now: now())
        effects.deliverTo.insert(peer)
    }
}

/// A peer's reachability as this node last saw it.
struct PeerHealth: Sendable {
    var failures = 0
    var reachable: Bool?
    var nextRetry: Date?
    /// When the peer last reached this node (a request of its own).
    var contactAt: ContinuousClock.Instant?
}
