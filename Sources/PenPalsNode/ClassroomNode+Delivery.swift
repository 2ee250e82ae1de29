import Foundation
import NIOCore
import PenPalsCore
import PenPalsStore

/// Pushing the outbox to each peer and reconciling with it (`/p2p/v1/sync`).
extension ClassroomNode {
    static let batchLimit = 500
    /// Envelope bytes per request, leaving room under the peer's 1 MiB body limit.
    static let batchBytes = 900_000
    static let syncPageLimit = 1_000
    /// The largest HTTP body a peer sends or answers (the contract's 1 MiB).
    static let maxBody = 1 << 20
    /// Envelope bytes per sync page, so that the answer stays within `maxBody` as
    /// sent uncompressed: the page's envelopes are base64url-encoded once more in the
    /// answer's own envelope (4 bytes for 3), beside its clock, signature and framing
    /// (under 1 KiB: `syncAnswerFraming`).
    static let syncPageBytes = (maxBody - syncAnswerFraming) / 4 * 3
    static let syncAnswerFraming = 1_024
    /// Events of a sync page checked and stored together.
    static let syncChunk = 500
    static let backoffCap: Double = 300

    /// Starts the channels' work: a reconciliation with every peer of another process,
    /// and, for a peer of this one (which hears of every change as it is made), a push
    /// of what its outbox holds and a sync where the last run left a gap.
    func startChannels() async {
        // (A pair its host's digests cover is reconciled by the host's first digest.)
        for peer in transport.remotePeers(of: self) where !transport.syncsByDigest(peer) {
            wantSync(peer.id)
        }
        do {
            for channel in try await store.backgroundRead({ try $0.channelsToResume() }) where transport.runsHere(channel.peer) {
                if channel.gap { wantSync(channel.peer) }
                if channel.outbox { wantPush(channel.peer) }
            }
        } catch {
            logger.error("the channels to resume could not be read", metadata: ["error": "\(error)"])
        }
    }

    /// The outbox for `peer` grew: push it, unless the channel is backing off after a
    /// failure (the new events then join the next attempt; contact from the peer ends the wait).
    func wantPush(_ peer: NodeID) {
        let start = channels.withLock { channels -> Bool in
            var channel = channels[peer, default: ChannelState()]
            defer { channels[peer] = channel }
            channel.pushWanted = true
            return !channel.running && !channel.isBackingOff(at: .now)
        }
        if start { kickChannel(peer) }
    }

    /// A gap was seen (an event beyond one not yet received, a peer's clock ahead of
    /// what was applied here): reconcile now, and again with backoff until it is filled.
    func wantSync(_ peer: NodeID) {
        let start = channels.withLock { channels -> Bool in
            var channel = channels[peer, default: ChannelState()]
            defer { channels[peer] = channel }
            channel.syncWanted = true
            return !channel.running
        }
        if start { kickChannel(peer) }
    }

    /// The peer reached this node after failures: it is up, so the backoff ends and the
    /// channel is tried at once (or after `delay`, while the peer pulls).
    func contactRestored(_ peer: NodeID, pushIn delay: Duration = .zero) {
        let at = ContinuousClock.now + delay
        channels.withLock { channels in
            var channel = channels[peer, default: ChannelState()]
            channel.retryAt = delay == .zero ? nil : at
            channel.nextSync = channel.nextSync.map { min($0, at) }
            channel.pushWanted = delay != .zero || channel.pushWanted
            channels[peer] = channel
        }
        if delay == .zero {
            wantPush(peer)
        } else {
            kickChannel(peer, at: at)
        }
    }

    private func channelKey(_ peer: NodeID) -> TimerKey { TimerKey(node: id, purpose: .channel(peer)) }

    private func kickChannel(_ peer: NodeID, at deadline: ContinuousClock.Instant = .now) {
        timers.schedule(channelKey(peer), at: deadline, .earliest) { [self] in await runChannel(to: peer) }
    }

    /// One run of channel self → `peer`'s work, on the host's timers: a sync when one is
    /// wanted or due (on start and every `syncInterval` for a peer of another process,
    /// after a gap, when a backoff ends), else a push of the outbox; until nothing is
    /// left to do now. Failures back off exponentially with jitter. At most one run per
    /// channel at a time; what is asked meanwhile is done by the run in progress.
    func runChannel(to peerID: NodeID) async {
        guard let peer = directory.peer(id: peerID) else { return }
        let started = channels.withLock { channels -> Bool in
            guard channels[peerID]?.running != true else { return false }
            channels[peerID, default: ChannelState()].running = true
            return true
        }
        guard started else { return }
        // Neither a co-hosted peer nor one the host's digests cover syncs on a timer.
        let periodic = !transport.runsHere(peerID) && !transport.syncsByDigest(peer.classroom)
        while true {
            let attemptStarted = ContinuousClock.now
            let step = channels.withLock { channels -> ChannelState.Step? in
                var channel = channels[peerID, default: ChannelState()]
                defer { channels[peerID] = channel }
                let step = channel.next(at: attemptStarted)
                if step == nil {
                    channel.running = false
                    if channel.isIdle { channels[peerID] = nil; return nil }
                }
                return step
            }
            guard let step, !Task.isCancelled else {
                if step != nil { channels.withLock { $0[peerID]?.running = false } }
                break
            }
            do {
                switch step {
                case .sync:
                    do {
                        _ = try await sync(with: peer)
                    } catch PeerFailure.badAnswer(let why) {
                        // The peer answers, but not with a sync answer this node takes (a
                        // replayed page, a buggy peer): what it holds of the peer waits for
                        // the next sync (a gap is retried below), and this node's own outbox
                        // still goes out, acknowledged by the push.
                        logger.warning("sync answer refused; pushing the outbox", metadata: ["peer": "\(peerID)", "reason": "\(why)"])
                        _ = try await pushOutbox(to: peer)
                    }
                    let gap = (try? await hasGap(from: peerID)) ?? false
                    let now = ContinuousClock.now
                    channels.withLock { channels in
                        guard var channel = channels[peerID] else { return }
                        channel.nextSync = periodic ? now + settings.syncInterval : nil
                        if gap {
                            channel.gapAttempts += 1
                            let ceiling = min(60, pow(2, Double(channel.gapAttempts)))
                            channel.gapRetryAt = now + .milliseconds(Int(jitter(ceiling / 2...ceiling) * 1000))
                        } else {
                            channel.gapAttempts = 0
                            channel.gapRetryAt = nil
                        }
                        channels[peerID] = channel
                    }
                case .push:
                    _ = try await pushOutbox(to: peer)
                }
                markReachable(peerID)
                channels.withLock { $0[peerID]?.retryAt = nil }
            } catch is CancellationError {
                channels.withLock { $0[peerID]?.running = false }
                return
            } catch {
                let delay = markUnreachable(peerID, error: error, attemptStarted: attemptStarted)
                let retry = ContinuousClock.now + delay
                // Backing off: the retry is a sync; new events wait for it.
                channels.withLock { channels in
                    channels[peerID]?.retryAt = delay == .zero ? nil : retry
                    channels[peerID]?.nextSync = retry
                }
            }
        }
        if let deadline = channels.withLock({ $0[peerID]?.deadline }) {
            kickChannel(peerID, at: deadline)
        }
    }

    /// Whether the last word about `peer` is that it answered (or contacted this node).
    func isReachable(_ peer: NodeID) -> Bool {
        peerHealth.withLock { $0[peer]?.reachable == true }
    }

    /// Whether events of `peer` wait beyond one that has not arrived.
    func hasGap(from peer: NodeID) async throws -> Bool {
        try await store.read { tx in
            guard let state = try tx.peer(peer) else { return false }
            return try tx.highestReceived(from: peer) > state.applied
        }
    }

    /// Pushes every unacknowledged event to `peer`, in order and in batches.
    /// Returns how many events the peer acknowledged.
    @discardableResult
    func pushOutbox(to peer: Directory.Peer) async throws -> Int {
        let peerID = peer.classroom.id
        let localID = id
        var pushed = 0
        while true {
            let batch = try await store.read { tx -> (events: [Data], acked: Int) in
                guard let state = try tx.peer(peerID) else { throw StoreError.unknownPeer(peerID.rawValue) }
                let page = try tx.channelEventJSON(author: localID, recipient: peerID, after: state.acked,
                                                   limit: Self.batchLimit, maxBytes: Self.batchBytes)
                return (page.events, state.acked)
            }
            guard !batch.events.isEmpty else { return pushed }
            // The stored envelopes, as they are.
            var body = Data("{\"events\":[".utf8)
            for (index, envelope) in batch.events.enumerated() {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                body.append(envelope)
            }
            body.append(contentsOf: Array("]}".utf8))
            let answer = try await transport.post(body, to: peer.classroom, path: "/p2p/v1/events")
            let acked = try await believe(answer, from: peerID)
            guard acked > batch.acked else {
                throw PeerFailure.badAnswer("the peer acknowledged nothing of \(batch.events.count) events")
            }
            pushed += acked - batch.acked
        }
    }

    /// Records what a signed clock of `peer` acknowledges; asks for a sync when
    /// the clock shows events of the peer this node has not applied.
    func believe(_ envelope: SignedEnvelope, from peer: NodeID) async throws -> Int {
        let message: ClockMessage
        let clock: PairClock
        do {
            (message, clock) = try ClockMessage.open(envelope, expectedAuthor: peer, localID: id) { $0 == peer }
        } catch {
            throw PeerFailure.badAnswer(error.message)
        }
        return try await believe(clock, from: peer, features: message.announced)
    }

    /// Records what an already checked signed clock of `peer` acknowledges, and the
    /// features it announced (none: a v1 node, which gets no event of version 1.1).
    func believe(_ clock: PairClock, from peer: NodeID, features: Set<NodeFeature>?) async throws -> Int {
        let time = now()
        let (acked, applied) = try await store.write { tx in
            let acked = try tx.recordAcknowledgement(from: peer, applied: clock.applied)
            try tx.recordContact(with: peer, at: time)
            try tx.recordFeatures(of: peer, features ?? [])
            return (acked, try tx.peer(peer)?.applied ?? 0)
        }
        if clock.missingLocally(localApplied: applied) > 0 { wantSync(peer) }
        return acked
    }

    /// What one reconciliation moved.
    public struct SyncReport: Sendable, Equatable {
        public var peer: String
        public var sent: Int
        public var received: Int
    }

    /// Reconciles with one peer: pulls, page by page, the events of peer → self this
    /// node has not applied, then pushes what the peer's clock shows it lacks.
    func sync(with peer: Directory.Peer, progress: (@Sendable (Int) -> Void)? = nil) async throws -> SyncReport {
        let peerID = peer.classroom.id
        var received = 0
        while true {
            let state = try await store.read { try $0.peer(peerID) }
            guard let state else { throw StoreError.unknownPeer(peerID.rawValue) }
            let request = ClockMessage(clock: PairClock(author: id, peer: peerID, sent: state.sent, applied: state.applied),
                                       createdAt: now(), version: EventPayload.version).signed(with: key)
            let answer = try await transport.post(request.jsonData, to: peer.classroom, path: "/p2p/v1/sync")
            // The signature (a hash of the whole page, up to a megabyte) is checked on
            // another core while this one reads the page and opens its first chunk;
            // nothing of the page is stored before it has passed.
            async let pageSigned = answer.isSigned(by: peerID)
            let forged = PeerFailure.badAnswer(ProtocolError.badSignature.message)
            let message: ClockMessage
            let clock: PairClock
            do {
                (message, clock) = try ClockMessage.open(answer, expectedAuthor: peerID, localID: id, signatureChecked: true) { $0 == peerID }
            } catch {
                throw PeerFailure.badAnswer(error.message)
            }
            let envelopes = message.events ?? []
            // In chunks, each stored (by the store's single writer) while the next is
            // opened, in order. The answer's signature, checked above, covers the bytes of
            // every event in it: the peer's own events are not verified one by one again.
            var storing: Task<Int, any Error>?
            for start in stride(from: 0, to: envelopes.count, by: Self.syncChunk) {
                let events: [OpenedEvent]
                do {
                    events = try await openOnTwoCores(envelopes[start..<min(start + Self.syncChunk, envelopes.count)], vouchedBy: peerID)
                    guard events.allSatisfy({ $0.payload.from == peerID }) else {
                        throw PeerFailure.badAnswer("a sync answer carried another node's events")
                    }
                    // The answer to this request holds the events after what it said was
                    // applied here, in order: anything else (a replayed page, a peer that
                    // repeats itself) moves nothing forward and would be asked for again
                    // without end.
                    for (offset, event) in events.enumerated() where event.payload.seq != state.applied + 1 + start + offset {
                        throw PeerFailure.badAnswer("a sync answer carried seq \(event.payload.seq) where \(state.applied + 1 + start + offset) was due")
                    }
                } catch {
                    _ = try? await storing?.value
                    throw error
                }
                if let previous = storing {
                    received += try await previous.value
                    progress?(received)
                } else {
                    // The first chunk: stored only once the page's signature has passed.
                    guard await pageSigned else { throw forged }
                }
                storing = Task { try await self.ingest(events, from: peerID).new }
                // Let it reach the store's writer before this task takes the pool's threads
                // to open the next chunk.
                await Task.yield()
            }
            if let last = storing {
                received += try await last.value
                progress?(received)
            }
            // Its clock is believed only from a checked signature (the answer was checked
            // once; a page is not parsed and verified twice).
            guard await pageSigned else { throw forged }
            _ = try await believe(clock, from: peerID, features: message.announced)
            if message.more != true || envelopes.isEmpty { break }
        }
        let sent = try await pushOutbox(to: peer)
        return SyncReport(peer: peer.classroom.name, sent: sent, received: received)
    }

    /// Reconciles now with every peer, or the one named; unreachable peers are reported, not fatal.
    public func syncNow(peer name: String?) async throws -> [Result<SyncReport, SyncFailure>] {
        let peers: [Directory.Peer]
        if let name {
            guard let peer = directory.peer(name) else {
                throw ChannelRefusal.unknownPartner(name)
            }
            peers = [peer]
        } else {
            peers = directory.orderedPeers
        }
        var results: [Result<SyncReport, SyncFailure>] = []
        for peer in peers {
            do {
                results.append(.success(try await sync(with: peer)))
                markReachable(peer.classroom.id)
            } catch {
                _ = markUnreachable(peer.classroom.id, error: error)
                results.append(.failure(SyncFailure(peer: peer.classroom.name, message: "\(error)")))
            }
        }
        return results
    }

    public struct SyncFailure: Error, Sendable, Equatable {
        public var peer: String
        public var message: String
    }

    /// Answers a peer's sync request with the events it has not applied, at most
    /// one page, and believes the request's clock as an acknowledgement: the answer's
    /// JSON and, when the peer accepts gzip, its compressed form, as the HTTP route
    /// serves it. When more pages remain, the next one is prepared (read, signed,
    /// compressed) while the peer checks this one, and served if the peer's next
    /// clock asks for exactly it and the pair's counters have not changed meanwhile:
    /// a page's content depends on nothing else.
    func syncAnswer(to envelope: SignedEnvelope, gzip: Bool) async throws -> SyncPage {
        let (peer, clock, state) = try await acknowledgeSyncRequest(envelope)
        let answer: SyncPage
        if let prepared = preparedSync.withLock({ $0.removeValue(forKey: peer) }), prepared.after == clock.applied,
           prepared.gzip == gzip, ContinuousClock.now - prepared.startedAt < .seconds(30),
           let made = await prepared.page.value, made.sent == state.sent, made.applied == state.applied {
            answer = made
            preparedSyncHits.add(1, ordering: .relaxed)
        } else {
            answer = try await syncPage(for: peer, after: clock.applied, gzip: gzip)
        }
        if answer.more {
            let next = PreparedSync(after: answer.lastSeq, gzip: gzip, startedAt: .now,
                                    page: Task { try? await self.syncPage(for: peer, after: answer.lastSeq, gzip: gzip) })
            preparedSync.withLock { $0[peer] = next }
        }
        return answer
    }

    /// Checks a sync request and believes its clock; returns who asked, that clock and
    /// the pair's counters as the acknowledgement left them.
    private func acknowledgeSyncRequest(_ envelope: SignedEnvelope) async throws -> (NodeID, PairClock, PeerState) {
        let (message, clock) = try ClockMessage.open(envelope, expectedAuthor: nil, localID: id) { self.directory.trusts($0) }
        guard message.v == EventPayload.version else {
            throw ChannelRefusal.badVersion(message.v)
        }
        let peer = clock.author
        let time = now()
        let state = try await store.write { tx in
            try tx.recordAcknowledgement(from: peer, applied: clock.applied)
            try tx.recordContact(with: peer, at: time)
            try tx.recordFeatures(of: peer, message.announced ?? [])
            return try tx.peer(peer)
        }
        guard let state else { throw StoreError.unknownPeer(peer.rawValue) }
        noteContact(with: peer, pulling: clock.applied < state.sent)
        if clock.missingLocally(localApplied: state.applied) > 0 { wantSync(peer) }
        return (peer, clock, state)
    }

    /// The signed answer with the events of channel self → `peer` above `after`, at
    /// most one page; the page is read apart from the writer, counters and events
    /// from one snapshot.
    private func signedPage(for peer: NodeID, after: Int) async throws -> (envelope: SignedEnvelope, state: PeerState, lastSeq: Int, more: Bool) {
        let localID = id
        let (events, lastSeq, more, state) = try await store.read { tx in
            guard let state = try tx.peer(peer) else { throw StoreError.unknownPeer(peer.rawValue) }
            let page = try tx.channelEventJSON(author: localID, recipient: peer, after: after,
                                               limit: Self.syncPageLimit, maxBytes: Self.syncPageBytes)
            return (page.events, page.lastSeq, page.more, state)
        }
        let envelope = ClockMessage(clock: PairClock(author: id, peer: peer, sent: state.sent, applied: state.applied),
                                    createdAt: now(), events: [], more: more).signedAnswer(eventJSON: events, with: key)
        return (envelope, state, lastSeq, more)
    }

    /// `signedPage` as it is sent: its JSON and, for a peer that accepts it, compressed.
    private func syncPage(for peer: NodeID, after: Int, gzip: Bool) async throws -> SyncPage {
        let page = try await signedPage(for: peer, after: after)
        let json = page.envelope.jsonData
        return SyncPage(envelope: page.envelope, json: json, gzip: gzip ? JSONResponse.gzip(json) : nil,
                        sent: page.state.sent, applied: page.state.applied, lastSeq: page.lastSeq, more: page.more)
    }

    // MARK: Reachability

    /// A peer that reached us is up: retry its channel now, without backoff.
    /// - Parameter pulling: the contact is a sync request that leaves events of this
    ///   node to fetch: the peer is taking the outbox page by page, and pushing it at the
    ///   same time would send every event twice. The push then waits a moment
    ///   (`pullGrace`), and finds nothing left to send once the pages have been acknowledged.
    func noteContact(with peer: NodeID, pulling: Bool = false) {
        let (wasDown, before) = peerHealth.withLock { health -> (Bool, Bool?) in
            let previous = health[peer]
            health[peer] = PeerHealth(failures: 0, reachable: true, nextRetry: nil, contactAt: .now)
            return (previous?.failures ?? 0 > 0, previous?.reachable)
        }
        announceReachability(was: before, now: true)
        if wasDown { contactRestored(peer, pushIn: pulling ? Self.pullGrace : .zero) }
    }

    /// How long a push waits while the peer pulls this node's events by syncing.
    static let pullGrace: Duration = .seconds(2)

    func markReachable(_ peer: NodeID) {
        let before = peerHealth.withLock { health -> Bool? in
            defer { health[peer] = PeerHealth(failures: 0, reachable: true, nextRetry: nil, contactAt: health[peer]?.contactAt) }
            return health[peer]?.reachable
        }
        announceReachability(was: before, now: true)
    }

    /// Records a failure and returns how long to wait: exponential with full jitter, capped.
    /// A failure of an attempt that began before the peer's latest contact (it refused a
    /// connection while starting, say, then reached this node) is stale: the peer is up,
    /// and the channel is tried again at once rather than after a backoff.
    func markUnreachable(_ peer: NodeID, error: any Error, attemptStarted: ContinuousClock.Instant? = nil) -> Duration {
        // One look at the peer's health: a contact cannot slip in between the check and the mark.
        let marked = peerHealth.withLock { health -> (delay: Double, before: Bool?)? in
            var entry = health[peer] ?? PeerHealth()
            if let attemptStarted, let contact = entry.contactAt, contact > attemptStarted { return nil }
            let before = entry.reachable
            entry.failures += 1
            entry.reachable = false
            let ceiling = min(Self.backoffCap, 0.5 * pow(2, Double(min(entry.failures, 20))))
            let delay = jitter(ceiling / 2...ceiling)
            entry.nextRetry = now().addingTimeInterval(delay)
            health[peer] = entry
            return (delay, before)
        }
        guard let (delay, before) = marked else {
            logger.debug("a failed attempt older than the peer's last contact", metadata: ["peer": "\(peer)", "error": "\(error)"])
            return .zero
        }
        announceReachability(was: before, now: false)
        logger.info("peer unreachable", metadata: ["peer": "\(peer)", "retry_in_s": "\(Int(delay))", "error": "\(error)"])
        return .milliseconds(Int(delay * 1000))
    }
}

/// What channel self → a peer has to do, between runs of its work. A channel with
/// nothing to do and nothing due has no entry (a thousand idle pairs cost nothing).
struct ChannelState: Sendable {
    enum Step: Sendable { case sync, push }

    var running = false
    /// The outbox grew since the last push.
    var pushWanted = false
    /// A sync was asked for: on start, a gap, a clock ahead.
    var syncWanted = false
    /// The next sync on the timer: a peer of another process, or a retry.
    var nextSync: ContinuousClock.Instant?
    /// Backing off after a failure until then: new events wait for the retry.
    var retryAt: ContinuousClock.Instant?
    /// The next sync while a gap stays open, and how many syncs it has lasted.
    var gapRetryAt: ContinuousClock.Instant?
    var gapAttempts = 0

    func isBackingOff(at now: ContinuousClock.Instant) -> Bool { retryAt.map { $0 > now } ?? false }

    var isIdle: Bool { !running && !pushWanted && !syncWanted && nextSync == nil && retryAt == nil && gapRetryAt == nil }

    /// When the channel must run again, if nothing asks before.
    var deadline: ContinuousClock.Instant? {
        [nextSync, gapRetryAt, pushWanted ? retryAt : nil].compactMap { $0 }.min()
    }

    /// What to do now, if anything; takes what it does off the wanted list.
    mutating func next(at now: ContinuousClock.Instant) -> Step? {
        let due = { (time: ContinuousClock.Instant?) in time.map { $0 <= now } ?? false }
        if syncWanted || due(nextSync) || due(gapRetryAt) {
            syncWanted = false
            pushWanted = false  // a sync ends with a push
            if due(nextSync) { nextSync = nil }
            if due(gapRetryAt) { gapRetryAt = nil }
            return .sync
        }
        if pushWanted && !isBackingOff(at: now) {
            pushWanted = false
            return .push
        }
        return nil
    }
}

/// One page of a sync answer, as it is sent: the signed answer, its JSON and, for a
/// peer that accepts it, the JSON gzip-compressed; with the pair's counters it was
/// made from.
struct SyncPage: Sendable {
    var envelope: SignedEnvelope
    var json: Data
    var gzip: ByteBuffer?
    var sent: Int
    var applied: Int
    var lastSeq: Int
    var more: Bool
}

/// The page a peer will ask for next (the one after `after`), being made.
struct PreparedSync: Sendable {
    var after: Int
    var gzip: Bool
    var startedAt: ContinuousClock.Instant
    var page: Task<SyncPage?, Never>
}
