import Foundation
import PenPalsCore
import PenPalsStore

/// Receiving and applying peers' events (protocol v1, `POST /p2p/v1/events`).
extension ClassroomNode {
    /// Checks a whole batch, stores it durably, applies what is in order and
    /// returns the signed clock that acknowledges it. Nothing of a refused batch is stored.
    public func receive(_ envelopes: [SignedEnvelope]) async throws -> SignedEnvelope {
        guard !envelopes.isEmpty else {
            throw ChannelRefusal.noEvents
        }
        // A repeat (a push whose answer was lost, a replay) is byte for byte an envelope
        // this node verified when it stored it: it is not verified, opened or stored again.
        let (fresh, repeatAuthor) = try await withoutStoredRepeats(envelopes)
        guard !fresh.isEmpty else {
            guard let author = repeatAuthor, let state = try await store.read({ try $0.peer(author) }) else {
                throw StoreError.unknownPeer(repeatAuthor?.rawValue ?? "")
            }
            noteContact(with: author)
            return acknowledgement(to: author, state: state)
        }
        let opened = try await openOnTwoCores(fresh[...], vouchedBy: nil)
        let author = opened[0].payload.from
        guard opened.allSatisfy({ $0.payload.from == author }), repeatAuthor == nil || repeatAuthor == author else {
            throw ChannelRefusal.mixedChannels
        }
        let (_, peer) = try await ingest(opened, from: author)
        return acknowledgement(to: author, state: peer)
    }

    /// The envelopes of a batch that are not byte-identical to one already stored
    /// under their author and `seq`, and the author of the repeats, if any. An envelope
    /// whose payload does not even read as an event is left to `open`, which refuses it.
    func withoutStoredRepeats(_ envelopes: [SignedEnvelope]) async throws -> (fresh: [SignedEnvelope], repeatAuthor: NodeID?) {
        let payloads = envelopes.map { try? WireJSON.decode(EventPayload.self, from: $0.payload) }
        guard let author = payloads.first??.from, payloads.allSatisfy({ $0?.from == author && $0?.to == id }),
              directory.trusts(author) else { return (envelopes, nil) }
        let seqs = payloads.compactMap { $0?.seq }
        guard let low = seqs.min(), let high = seqs.max(), high - low < 100_000 else { return (envelopes, nil) }
        let localID = id
        let stored = try await store.read { try $0.storedEnvelopes(author: author, recipient: localID, from: low, to: high) }
        guard !stored.isEmpty else { return (envelopes, nil) }
        var fresh: [SignedEnvelope] = []
        for (envelope, payload) in zip(envelopes, payloads) {
            if let payload, let known = stored[payload.seq], known == envelope.jsonData { continue }
            fresh.append(envelope)
        }
        repeatsSkipped.add(envelopes.count - fresh.count, ordering: .relaxed)
        return (fresh, fresh.count < envelopes.count ? author : nil)
    }

    /// Opens every envelope, mapping the first refusal to its HTTP answer. (A sync
    /// page is opened in chunks, each while the store's writer stores the one before,
    /// which keeps both cores busy without holding a thread of the pool for long.)
    func open(_ envelopes: [SignedEnvelope], vouchedBy: NodeID? = nil) throws -> [OpenedEvent] {
        do {
            return try envelopes.map { envelope throws(ProtocolError) in
                try EventSealing.open(envelope, localID: id, vouchedBy: vouchedBy, cipherFor: directory.cipher(for:))
            }
        } catch {
            logger.warning("refused peer events", metadata: ["reason": "\(error.message)"])
            throw error
        }
    }

    /// `open` on two cores: the first half on another thread of the pool while
    /// this one opens the second.
    func openOnTwoCores(_ envelopes: ArraySlice<SignedEnvelope>, vouchedBy: NodeID?) async throws -> [OpenedEvent] {
        let half = envelopes.count / 2
        guard half >= 16 else { return try open(Array(envelopes), vouchedBy: vouchedBy) }
        async let first = open(Array(envelopes.prefix(half)), vouchedBy: vouchedBy)
        let second = try open(Array(envelopes.dropFirst(half)), vouchedBy: vouchedBy)
        return try await first + second
    }

    /// Stores checked events of one peer and applies them in channel order, in one
    /// transaction. Returns how many were new and the pair's state afterwards.
    func ingest(_ events: [OpenedEvent], from author: NodeID) async throws -> (new: Int, state: PeerState) {
        let time = now()
        let result: (Int, PeerState, Effects)
        do {
            result = try await store.write { tx in
                var effects = Effects()
                var new = 0
                guard let before = try tx.peer(author) else { throw StoreError.unknownPeer(author.rawValue) }
                // The common case: events arrive in order and are applied as they are stored.
                var applied = before.applied
                // Sorted only when they came out of order (a sort copies every event).
                let inOrder = zip(events, events.dropFirst()).allSatisfy { $0.payload.seq < $1.payload.seq }
                for event in inOrder ? events : events.sorted(by: { $0.payload.seq < $1.payload.seq }) {
                    let next = event.payload.seq == applied + 1
                    guard try tx.storeIncoming(event, now: time, applied: next) == .stored else { continue }
                    new += 1
                    if next {
                        try self.apply(StoreTransaction.PendingEvent(opened: event), in: tx, effects: &effects)
                        applied = event.payload.seq
                    }
                }
                // The pair's counters in one update (applying may have sent events to the
                // author meanwhile, so `sent` is the database's, not `before`'s).
                try tx.recordBatch(from: author, applied: applied, acknowledged: events.map(\.clock.applied).max(), at: time)
                // Events that waited beyond a gap this batch filled, and whether a gap remains.
                let highest = try tx.highestReceived(from: author)
                if highest > applied {
                    try self.applyReady(from: author, in: tx, effects: &effects)
                }
                guard let state = try tx.peer(author) else { throw StoreError.unknownPeer(author.rawValue) }
                // A peer known only from its pushes (which carry no clock of its own): one
                // sync reads what it announces, so that events of version 1.1 can go to it.
                if try tx.features(of: author) == nil { effects.syncWith.insert(author) }
                if highest > state.applied {
                    // Refused whole (the transaction rolls back) rather than filling the disk.
                    let held = try tx.heldBeyondGap(from: author)
                    if held.count > self.settings.heldBeyondGapEvents || held.bytes > self.settings.heldBeyondGapBytes {
                        throw ChannelRefusal.heldBeyondGap(events: held.count, bytes: held.bytes,
                                                           eventLimit: self.settings.heldBeyondGapEvents,
                                                           byteLimit: self.settings.heldBeyondGapBytes)
                    }
                    effects.syncWith.insert(author)
                }
                return (new, state, effects)
            }
        } catch let error as ProtocolError {
            logger.error("protocol violation", metadata: ["peer": "\(author)", "reason": "\(error.message)"])
            throw error
        } catch let error as ChannelRefusal {
            logger.warning("refused peer events", metadata: ["peer": "\(author)", "reason": "\(error.message)"])
            throw error
        }
        noteContact(with: author)
        settle(result.2)
        return (result.0, result.1)
    }

    /// The signed clock this node gives `peer` for the pair's current state.
    func acknowledgement(to peer: NodeID, state: PeerState) -> SignedEnvelope {
        ClockMessage(clock: PairClock(author: id, peer: peer, sent: state.sent, applied: state.applied), createdAt: now())
            .signed(with: key)
    }

    /// Applies the stored events of `author` that are next in channel order; an
    /// event beyond a gap stays stored until the gap is filled.
    func applyReady(from author: NodeID, in tx: StoreTransaction, effects: inout Effects) throws {
        while let event = try tx.nextToApply(from: author) {
            try apply(event, in: tx, effects: &effects)
            try tx.markApplied(from: author, seq: event.seq)
        }
    }

    /// One event's effect on this node's invitations (`InvitationMachine.receive`).
    private func apply(_ event: StoreTransaction.PendingEvent, in tx: StoreTransaction, effects: inout Effects) throws {
        let time = now()
        guard let invitationID = event.body.invitationID else {
            // A newer node's event: stored and acknowledged with the others, so the
            // channel goes on; nothing here knows what it means (contract §7).
            logger.info("event of a type this node does not know: stored, acknowledged, ignored",
                        metadata: ["type": "\(event.body.type.rawValue)", "seq": "\(event.seq)"])
            return
        }
        effects.changed.insert(invitationID)
        let existing = try tx.invitation(invitationID)
        let change = InvitationMachine.receive(event.body, from: event.author, createdAt: event.createdAt, existing: existing,
                                               in: context(time))
        if let why = change.ignored {
            logger.info("event changes nothing", metadata: [
                "type": "\(event.body.type.rawValue)", "invitation": "\(invitationID.lowercasedString)", "why": "\(why)"])
        }
        try carryOut(change, on: existing, in: tx, now: time, effects: &effects)
    }
}
