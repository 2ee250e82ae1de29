import Foundation
public import PenPalsCore
import Synchronization

/// Delivery between the classrooms of one process without HTTP (contract §7.1),
/// and HTTP (`PeerClient`) to every other.
///
/// A request to a co-hosted node is what it would be over HTTP: the same signed
/// bytes, read by the same reader, handled by the same code (`receive`,
/// `syncAnswer`), and a refusal comes back with the status and message the HTTP
/// route would answer. Only the sockets, the HTTP framing and gzip are left out.
public final class HostTransport: PeerTransport {
    /// The nodes this process runs, known from the config file before any is built.
    private let coHosted: Set<NodeID>
    private let nodes = Mutex<[NodeID: ClassroomNode]>([:])
    private let handledCounts = Mutex<[String: Int]>([:])
    let remote: any PeerTransport
    /// Digests to remote hosts (Digests.swift).
    let digests: DigestState
    /// Names this host to the rosters that keep its remote classrooms (`Roster.classrooms(notIn:hostKey:)`).
    private let hostKey = HostTransport.hostKeys.add(1, ordering: .relaxed).newValue
    private static let hostKeys = Atomic<Int>(0)

    /// - Parameters:
    ///   - nodes: the ids of every node this process runs.
    ///   - remote: how every other peer is reached.
    ///   - digestInterval: how often the host sends its digests to remote hosts; nil:
    ///     never, and each pair with a remote peer syncs every `sync_interval` on its own.
    public init(nodes: some Sequence<NodeID>, remote: any PeerTransport = PeerClient(), digestInterval: Duration? = nil) {
        self.coHosted = Set(nodes)
        self.remote = remote
        self.digests = DigestState(interval: digestInterval)
    }

    /// A registered node of this process.
    func node(_ id: NodeID) -> ClassroomNode? { nodes.withLock { $0[id] } }

    public func syncsByDigest(_ peer: Classroom) -> Bool {
        !coHosted.contains(peer.id) && digests.covers(peer)
    }

    public func postForBody(_ body: Data, to peer: Classroom, path: String) async throws -> Data {
        guard coHosted.contains(peer.id) else { return try await remote.postForBody(body, to: peer, path: path) }
        throw PeerFailure.refused(status: 404, message: "No route \(path) on a co-hosted node.")
    }

    /// Makes `node` (one of `nodes`) reachable by the others. A node that tried to
    /// reach it before (and was told it is starting) backs off briefly and tries again;
    /// `penpals serve` registers every node before any starts.
    public func register(_ node: ClassroomNode) {
        precondition(coHosted.contains(node.id), "\(node.id) is not one of this host's nodes")
        nodes.withLock { $0[node.id] = node }
    }

    /// The nodes registered so far.
    var registered: [ClassroomNode] { nodes.withLock { Array($0.values) } }

    public func runsHere(_ peer: NodeID) -> Bool {
        coHosted.contains(peer)
    }

    /// The peers of `node` that no node of this process is, found once for the whole
    /// roster (a district of a thousand classrooms would otherwise look at a million pairs).
    public func remotePeers(of node: ClassroomNode) -> [Classroom] {
        node.directory.peers(notIn: coHosted, hostKey: hostKey)
    }

    /// How many requests to `path` were handed to a node of this process.
    public func handled(_ path: String) -> Int {
        handledCounts.withLock { $0[path] ?? 0 }
    }

    public func post(_ body: Data, to peer: Classroom, path: String) async throws -> SignedEnvelope {
        guard coHosted.contains(peer.id) else {
            return try await remote.post(body, to: peer, path: path)
        }
        guard let node = nodes.withLock({ $0[peer.id] }) else {
            throw PeerFailure.unreachable("\(peer.name) is starting")
        }
        handledCounts.withLock { $0[path, default: 0] += 1 }
        do {
            switch path {
            case "/p2p/v1/events":
                return try await node.receive(try WireJSON.decode(Batch.self, from: body).events)
            case "/p2p/v1/sync":
                return try await node.syncAnswer(to: try WireJSON.decode(SignedEnvelope.self, from: body), gzip: false).envelope
            default:
                throw PeerFailure.refused(status: 404, message: "No route \(path) on a co-hosted node.")
            }
        } catch let failure as PeerFailure {
            throw failure
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if let answer = APIError.domain(error, logger: node.logger) {
                throw PeerFailure.refused(status: Int(answer.status.code), message: answer.message)
            }
            if error is DecodingError {
                throw PeerFailure.refused(status: 400, message: "The body is not the JSON of this route.")
            }
            node.logger.error("co-hosted request failed", metadata: ["path": "\(path)", "error": "\(error)"])
            throw PeerFailure.refused(status: 500, message: "The node could not complete the request; see its log.")
        }
    }
}
