import Foundation
import PenPalsCore
import PenPalsStore
import Synchronization

/// Digests (docs/protocol.md §12): once every `sync_interval`, a process sends each
/// remote origin it talks to one request with a signed sync request for every pair of
/// one of its nodes and a node there, and that process answers with each pair's signed
/// clock. Only a pair whose clocks show something missing then syncs on its own. With
/// nothing happening, the background work grows with the remote hosts, not with the
/// classroom pairs (contract §7.1), and nothing is written to any store.
final class DigestState: Sendable {
    /// How often the host sends its digests; nil: never (each pair syncs on its own).
    let interval: Duration?
    /// Origins that answered a digest with 404 or 405 (a node of protocol v1 alone),
    /// and until when their pairs sync on their own.
    private let withoutDigests = Mutex<[String: ContinuousClock.Instant]>([:])
    /// How long an origin without digests is left alone before it is asked again.
    static let retryWithout: Duration = .seconds(3600)

    /// A pair of a node of this process and a remote peer.
    struct Pair: Hashable { var local: NodeID; var peer: NodeID }
    /// The last request of each pair, kept while the pair's counters stay as they were:
    /// an idle pair's request is not signed again every round.
    let requests = Mutex<[Pair: (sent: Int, applied: Int, envelope: SignedEnvelope)]>([:])
    /// The last answer of each pair and its checked clock: the same bytes again (a peer
    /// whose counters did not move answers them) are not verified again.
    let answers = Mutex<[Pair: (envelope: SignedEnvelope, clock: PairClock)]>([:])

    init(interval: Duration?) { self.interval = interval }

    func covers(_ peer: Classroom) -> Bool {
        guard interval != nil else { return false }
        let origin = Self.origin(of: peer.url)
        return withoutDigests.withLock { without in
            guard let until = without[origin] else { return true }
            if until <= .now { without[origin] = nil; return true }
            return false
        }
    }

    func markWithout(_ origin: String) {
        withoutDigests.withLock { $0[origin] = .now + Self.retryWithout }
    }

    /// `scheme://host:port` of a peer's url: the pairs of one remote listener go in one request.
    static func origin(of url: URL) -> String {
        let scheme = url.scheme?.lowercased() ?? "http"
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(url.host?.lowercased() ?? ""):\(port)"
    }
}

extension HostTransport {
    /// One round of digests: every pair of a node of this process and a remote peer its
    /// digests cover, one request per remote origin (in parts of `DigestRequest.limit`).
    /// Returns the number of requests sent.
    @discardableResult
    public func digestRound() async -> Int {
        var groups: [String: [(node: ClassroomNode, peer: Classroom)]] = [:]
        for node in registered.sorted(by: { $0.id.rawValue < $1.id.rawValue }) {
            for peer in remotePeers(of: node) where digests.covers(peer) {
                groups[DigestState.origin(of: peer.url), default: []].append((node, peer))
            }
        }
        var parts: [[(node: ClassroomNode, peer: Classroom)]] = []
        for origin in groups.keys.sorted() {
            let pairs = groups[origin]!
            for start in stride(from: 0, to: pairs.count, by: DigestRequest.limit) {
                parts.append(Array(pairs[start..<min(start + DigestRequest.limit, pairs.count)]))
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for part in parts { group.addTask { await self.sendDigest(part) } }
        }
        return parts.count
    }

    private func sendDigest(_ pairs: [(node: ClassroomNode, peer: Classroom)]) async {
        var counts: [NodeID: [String: PeerState]] = [:]
        for (node, _) in pairs where counts[node.id] == nil {
            counts[node.id] = await node.pairCounters()
        }
        var asked: [PeerState] = []
        var requests: [SignedEnvelope] = []
        for (node, peer) in pairs {
            let state = counts[node.id]?[peer.id.rawValue]
                ?? .untouched(peer.id, name: peer.name, displayName: peer.displayName, url: peer.url.absoluteString)
            asked.append(state)
            let pair = DigestState.Pair(local: node.id, peer: peer.id)
            if let last = digests.requests.withLock({ $0[pair] }), last.sent == state.sent, last.applied == state.applied {
                requests.append(last.envelope)
            } else {
                let request = ClockMessage(clock: PairClock(author: node.id, peer: peer.id, sent: state.sent, applied: state.applied),
                                           createdAt: node.now(), version: EventPayload.version).signed(with: node.key)
                digests.requests.withLock { $0[pair] = (state.sent, state.applied, request) }
                requests.append(request)
            }
        }
        let answer: DigestAnswer
        do {
            let body = try await remote.postForBody(WireJSON.encode(DigestRequest(requests: requests)), to: pairs[0].peer,
                                                    path: "/p2p/v1/digest")
            answer = try WireJSON.decode(DigestAnswer.self, from: body)
            guard answer.answers.count == pairs.count else {
                throw PeerFailure.badAnswer("\(answer.answers.count) answers to \(pairs.count) requests")
            }
        } catch PeerFailure.refused(let status, _) where status == 404 || status == 405 {
            // A host of protocol v1 alone: its pairs sync on their own, as before.
            digests.markWithout(DigestState.origin(of: pairs[0].peer.url))
            for (node, peer) in pairs { node.wantSync(peer.id) }
            return
        } catch is CancellationError {
            return
        } catch {
            // Unreachable, or an answer that is no digest: each pair finds out by its own
            // sync (which backs off as it fails) whether it is the host or the pair.
            for (node, peer) in pairs { node.wantSync(peer.id) }
            return
        }
        for (index, entry) in answer.answers.enumerated() {
            let (node, peer) = pairs[index]
            switch entry {
            case .clock(let envelope):
                let pair = DigestState.Pair(local: node.id, peer: peer.id)
                let clock: PairClock?
                if let last = digests.answers.withLock({ $0[pair] }), last.envelope == envelope {
                    clock = last.clock
                } else {
                    clock = try? ClockMessage.open(envelope, expectedAuthor: peer.id, localID: node.id, isTrusted: { $0 == peer.id }).1
                    if let clock { digests.answers.withLock { $0[pair] = (envelope, clock) } }
                }
                guard let clock else { node.wantSync(peer.id); continue }
                if await node.believeDigest(clock, from: peer.id, asked: asked[index]) { node.wantSync(peer.id) }
            case .refused:
                // Its own sync says why, and backs off.
                node.wantSync(peer.id)
            }
        }
    }
}

extension ClassroomNode {
    /// The counters of every pair with a row, by peer id: one read, on the store's
    /// writer connection (a digest round leaves an idle classroom's memory given back).
    /// A pair without a row is at zero; a read that fails counts as none.
    func pairCounters() async -> [String: PeerState] {
        let rows = (try? await store.backgroundRead { try $0.peers() }) ?? []
        return Dictionary(rows.map { ($0.nodeID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The answer to a digest that reached this node: each request is answered by the
    /// node of this process it is addressed to (this one, or one beside it on its host).
    func answerDigest(_ requests: [SignedEnvelope]) async -> DigestAnswer {
        let host = transport as? HostTransport
        let messages = requests.map { try? WireJSON.decode(ClockMessage.self, from: $0.payload) }
        let targets = messages.map { message in message.flatMap { $0.to == id ? self : host?.node($0.to) } }
        var rows: [NodeID: [String: PeerState]] = [:]
        for target in targets.compactMap({ $0 }) where rows[target.id] == nil {
            rows[target.id] = await target.pairCounters()
        }
        var answers: [DigestAnswer.Entry] = []
        answers.reserveCapacity(requests.count)
        for (index, request) in requests.enumerated() {
            if let target = targets[index], let from = messages[index]?.from {
                answers.append(await target.digestEntry(for: request, from: from, row: rows[target.id]?[from.rawValue]))
            } else {
                let refusal = APIError.from(ProtocolError.notAddressedHere)
                answers.append(.refused(code: refusal.code, message: refusal.message))
            }
        }
        return DigestAnswer(answers: answers)
    }

    /// A digest's request for the pair with its author, answered like a sync request
    /// (the same checks, the same acknowledgement) but with the pair's signed clock
    /// instead of a page, and without writing unless the clock acknowledges something new.
    /// A request byte for byte the last one of its author, while the pair's counters
    /// (`row`, read for the digest) are as they were, gets the same answer, neither
    /// verified nor signed again: an idle pair costs a comparison.
    func digestEntry(for envelope: SignedEnvelope, from author: NodeID, row: PeerState?) async -> DigestAnswer.Entry {
        do {
            let clock: PairClock
            let state: PeerState
            let last = digestAnswers.withLock { $0[author] }
            // The counters read for the whole digest; a trusted peer without a row is at zero.
            let counters = row ?? untouchedPair(author)
            if let last, let counters, last.request == envelope, last.counts == PairCounts(counters), directory.trusts(author) {
                (clock, state) = (last.clock, counters)
            } else {
                let message: ClockMessage
                (message, clock) = try ClockMessage.open(envelope, expectedAuthor: nil, localID: id) { self.directory.trusts($0) }
                guard message.v == EventPayload.version else { throw ChannelRefusal.badVersion(message.v) }
                // (Signed by `author`, who is trusted: it has counters.)
                guard let counters else { throw StoreError.unknownPeer(clock.author.rawValue) }
                state = try await acknowledgeIfNew(clock, counters: counters)
            }
            let peer = clock.author
            noteContact(with: peer, pulling: clock.applied < state.sent)
            if clock.missingLocally(localApplied: state.applied) > 0 { wantSync(peer) }
            if let last, last.request == envelope, last.counts == PairCounts(state) { return .clock(last.answer) }
            let answer = ClockMessage(clock: PairClock(author: id, peer: peer, sent: state.sent, applied: state.applied),
                                      createdAt: now()).signed(with: key)
            digestAnswers.withLock { $0[peer] = DigestAnswerCache(request: envelope, clock: clock, counts: PairCounts(state), answer: answer) }
            return .clock(answer)
        } catch {
            let refusal = APIError.domain(error, logger: logger)
                ?? APIError(.internalServerError, "internal", "The node could not answer; see its log.")
            return .refused(code: refusal.code, message: refusal.message)
        }
    }

    /// The pair with a trusted peer that has no row yet: all at zero.
    private func untouchedPair(_ peer: NodeID) -> PeerState? {
        directory.peer(id: peer).map {
            .untouched(peer, name: $0.classroom.name, displayName: $0.classroom.displayName, url: $0.classroom.url.absoluteString)
        }
    }

    /// Records what `clock` (a checked signed clock of the pair's peer) acknowledges, if
    /// that is more than `counters` (the pair as read) hold; returns the pair's counters after.
    /// Nothing is written when nothing is new.
    private func acknowledgeIfNew(_ clock: PairClock, counters: PeerState) async throws -> PeerState {
        guard min(clock.applied, counters.sent) > counters.acked else { return counters }
        let peer = clock.author
        return try await store.write { tx in
            try tx.recordAcknowledgement(from: peer, applied: clock.applied)
            return try tx.peer(peer)
        } ?? counters
    }

    /// Believes a digest's answer for the pair with `peer`, its clock checked, asked
    /// with `asked` (the counters this node sent): returns whether the pair must sync,
    /// because the peer has sent events not applied here or lacks some of this node's.
    func believeDigest(_ clock: PairClock, from peer: NodeID, asked: PeerState) async -> Bool {
        markReachable(peer)
        _ = try? await acknowledgeIfNew(clock, counters: asked)
        return clock.missingLocally(localApplied: asked.applied) > 0 || clock.applied < asked.sent
    }
}

/// The counters of a pair that decide whether a digest's answer is the same as before.
struct PairCounts: Equatable, Sendable {
    var sent, applied, acked: Int

    init(_ state: PeerState) { (sent, applied, acked) = (state.sent, state.applied, state.acked) }
}

/// A node's last answer to a peer's digest request (`digestEntry`).
struct DigestAnswerCache: Sendable {
    var request: SignedEnvelope
    var clock: PairClock
    var counts: PairCounts
    var answer: SignedEnvelope
}
