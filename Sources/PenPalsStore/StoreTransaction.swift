import Foundation
import GRDB
public import PenPalsCore

/// The operations of one database transaction, named in the domain's words.
/// Valid only inside the `NodeStore.write`/`read` closure that created it.
public struct StoreTransaction {
    let db: Database
    /// The peers the node trusts (`NodeStore.trust`). A trusted peer gets its row the
    /// first time a write transaction needs it: until then it is a pair at zero, and a
    /// classroom of a thousand-classroom file holds rows only for those it talks to.
    let known: NodeStore.PeerLookup?
    /// Whether rows may be added (false in a read).
    let writable: Bool

    init(db: Database, known: NodeStore.PeerLookup? = nil, writable: Bool = true) {
        (self.db, self.known, self.writable) = (db, known, writable)
    }

    // MARK: Peers

    /// Adds a trusted peer or updates its name and URL, keeping the pair's counters.
    /// One prepared statement (GRDB's record upsert, a read and an insert per row, took
    /// 70 µs a row when each node of a thousand-classroom file added 999 on its first
    /// start; see the commit that made this).
    public func upsertPeer(id: NodeID, name: String, displayName: String, url: String) throws {
        try db.cachedStatement(sql: """
            INSERT INTO peer (node_id, name, display_name, url, sent, acked, applied, last_contact)
            VALUES (?, ?, ?, ?, 0, 0, 0, NULL)
            ON CONFLICT(node_id) DO UPDATE SET name = excluded.name, display_name = excluded.display_name, url = excluded.url
            """).execute(arguments: [id.rawValue, name, displayName, url])
    }

    /// A trusted peer as the config names it.
    public struct PeerName: Sendable, Equatable {
        public var id: NodeID
        public var name: String
        public var displayName: String
        public var url: String

        public init(id: NodeID, name: String, displayName: String, url: String) {
            (self.id, self.name, self.displayName, self.url) = (id, name, displayName, url)
        }
    }

    /// Brings the rows of trusted peers up to date with their config (`NodeStore.trust`):
    /// renames or moves the changed ones, keeping the pairs' counters, and writes nothing
    /// for the rest, read in one statement. Peers without a row get one when first needed.
    public func syncPeers() throws {
        guard let known else { return }
        var changed: [PeerName] = []
        let rows = try RawStatement(db, sql: "SELECT node_id, name, display_name, url FROM peer")
        while try rows.next() {
            guard let id = NodeID(rows.text(0) ?? ""), let peer = known(id) else { continue }
            if peer != PeerName(id: id, name: rows.text(1) ?? "", displayName: rows.text(2) ?? "", url: rows.text(3) ?? "") {
                changed.append(peer)
            }
        }
        for peer in changed {
            try upsertPeer(id: peer.id, name: peer.name, displayName: peer.displayName, url: peer.url)
        }
    }

    public func peer(_ id: NodeID) throws -> PeerState? {
        // Read for every request and every event sent: by column position, not through GRDB's rows.
        let row = try RawStatement(db, sql: Self.selectPeer)
        try row.bind(id.rawValue)
        if try row.next() { return PeerState(raw: row) }
        // A trusted peer this node has not talked to yet: its row is made now, in a write.
        guard let name = known?(id) else { return nil }
        if writable { try upsertPeer(id: id, name: name.name, displayName: name.displayName, url: name.url) }
        return .untouched(id, name: name.name, displayName: name.displayName, url: name.url)
    }

    /// Runs an update of `peer`'s row; a trusted peer without a row gets one first.
    private func updatePeerRow(_ peer: NodeID, _ update: () throws -> Void) throws {
        try update()
        if db.changesCount == 0, writable, try self.peer(peer) != nil { try update() }
    }

    private static let selectPeer = "SELECT \(PeerState.rawColumns) FROM peer WHERE node_id = ?"

    /// Writes the pair's counters and last contact of `state` (the other columns are the config's).
    private func saveCounters(_ state: PeerState) throws {
        let update = try RawStatement(db, sql: "UPDATE peer SET sent = ?, acked = ?, applied = ?, last_contact = ? WHERE node_id = ?")
        try update.bind(state.sent, state.acked, state.applied, state.lastContact, state.nodeID)
        try update.run()
    }

    public func peers() throws -> [PeerState] {
        // Read for every status: prepared once per connection, with no look at the schema.
        try PeerState.fetchAll(db.cachedStatement(sql: "SELECT * FROM peer ORDER BY name"))
    }

    public func recordContact(with peer: NodeID, at time: Date) throws {
        try updatePeerRow(peer) {
            try db.cachedStatement(sql: "UPDATE peer SET last_contact = ? WHERE node_id = ?")
                .execute(arguments: [time.timeIntervalSince1970, peer.rawValue])
        }
    }

    /// What `peer` announced it speaks in its last signed clock; nil before any clock of
    /// it was read here (a peer whose events arrived only in its own pushes).
    public func features(of peer: NodeID) throws -> Set<NodeFeature>? {
        let text = try String?.fetchOne(db.cachedStatement(sql: "SELECT features FROM peer WHERE node_id = ?"),
                                        arguments: [peer.rawValue]) ?? nil
        return text.map { Set($0.split(separator: ",").map { NodeFeature(rawValue: String($0)) }) }
    }

    /// Records what `peer` announced in a signed clock of its own (nothing: a v1 node).
    public func recordFeatures(of peer: NodeID, _ features: Set<NodeFeature>) throws {
        let text = features.sorted().map(\.rawValue).joined(separator: ",")
        try updatePeerRow(peer) {
            try db.cachedStatement(sql: "UPDATE peer SET features = ? WHERE node_id = ? AND features IS NOT ?")
                .execute(arguments: [text, peer.rawValue, text])
        }
    }

    /// Believes a signed clock of `peer`: its `applied` entry acknowledges this node's
    /// events up to that `seq`. Returns the new acknowledged count.
    @discardableResult
    public func recordAcknowledgement(from peer: NodeID, applied: Int) throws -> Int {
        guard var state = try self.peer(peer) else { throw StoreError.unknownPeer(peer.rawValue) }
        let covered = min(applied, state.sent)
        if covered > state.acked {
            state.acked = covered
            try saveCounters(state)
        }
        return state.acked
    }

    // MARK: Outgoing events

    /// Numbers, seals, signs and stores the next event of channel self → `cipher.peer`.
    /// Stored in the caller's transaction, so it is committed before anyone sends it.
    public func appendOutgoing(_ body: EventBody, key: NodeKey, cipher: ChannelCipher, now: Date) throws -> SealedEvent {
        guard var peer = try self.peer(cipher.peer) else { throw StoreError.unknownPeer(cipher.peer.rawValue) }
        peer.sent += 1
        let event = EventSealing.seal(body, seq: peer.sent, applied: peer.applied, createdAt: now, key: key, cipher: cipher)
        try saveCounters(peer)
        try insertEvent(event.payload, envelope: event.envelope.jsonData, body: body.encoded(), applied: false, now: now, orIgnore: false)
        return event
    }

    /// Envelopes of channel `author` → `recipient` with `seq` above `after`, in order,
    /// at most `limit` of them and about `maxBytes` of envelope JSON (at least one).
    /// `more` tells whether further events remain.
    public func channelEvents(author: NodeID, recipient: NodeID, after: Int, limit: Int, maxBytes: Int) throws -> (events: [SignedEnvelope], lastSeq: Int, more: Bool) {
        let page = try channelEventJSON(author: author, recipient: recipient, after: after, limit: limit, maxBytes: maxBytes)
        let envelopes = try page.events.map { data in
            try WireJSON.decode(SignedEnvelope.self, from: data)
        }
        return (envelopes, page.lastSeq, page.more)
    }

    /// As `channelEvents`, but each envelope's JSON exactly as stored, for sending on
    /// as it is (a push or a sync answer) without reading and writing it again.
    public func channelEventJSON(author: NodeID, recipient: NodeID, after: Int, limit: Int, maxBytes: Int) throws -> (events: [Data], lastSeq: Int, more: Bool) {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT seq, envelope FROM event WHERE author = ? AND recipient = ? AND seq > ? ORDER BY seq LIMIT ?
            """), arguments: [author.rawValue, recipient.rawValue, after, min(limit, Int.max - 1) + 1])
        var envelopes: [Data] = []
        var bytes = 0
        var lastSeq = after
        var more = false
        while let row = try rows.next() {
            let data: Data = row["envelope"]
            if envelopes.count == limit || (!envelopes.isEmpty && bytes + data.count + 1 > maxBytes) {
                more = true
                break
            }
            envelopes.append(data)
            bytes += data.count + 1
            lastSeq = row["seq"]
        }
        return (envelopes, lastSeq, more)
    }

    // MARK: Incoming events

    public enum IncomingOutcome: Sendable, Equatable {
        case stored
        case duplicate
    }

    /// Stores a checked event from a peer unless it has it already. A different
    /// event under a `seq` already used is a protocol violation. `applied` marks an
    /// event that the caller applies in this same transaction.
    public func storeIncoming(_ event: OpenedEvent, now: Date, applied: Bool = false) throws -> IncomingOutcome {
        let p = event.payload
        if try insertEvent(p, envelope: event.envelopeJSON, body: event.bodyJSON, applied: applied, now: now, orIgnore: true) == 1 {
            return .stored
        }
        let key: [String: any DatabaseValueConvertible] = ["author": p.from.rawValue, "recipient": p.to.rawValue, "seq": p.seq]
        guard let existing = try EventRecord.fetchOne(db, key: key),
              existing.id == p.id,
              try WireJSON.decode(SignedEnvelope.self, from: existing.envelope).payload == event.envelope.payload else {
            throw ProtocolError.conflict("event \(p.seq) of \(p.from) was already received with different content")
        }
        return .duplicate
    }

    private static let insertEventSQL = """
        INSERT INTO event (author, recipient, seq, id, type, created_at, envelope, body, applied, stored_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    private static let insertEventOrIgnore = insertEventSQL.replacingOccurrences(of: "INSERT INTO", with: "INSERT OR IGNORE INTO")

    /// One row of `event` (once per event sent or received: bound by position).
    @discardableResult
    private func insertEvent(_ p: EventPayload, envelope: Data, body: Data, applied: Bool, now: Date, orIgnore: Bool) throws -> Int {
        let insert = try RawStatement(db, sql: orIgnore ? Self.insertEventOrIgnore : Self.insertEventSQL)
        try insert.bind(p.from.rawValue, p.to.rawValue, p.seq, p.id, p.type.rawValue, p.createdAt, envelope, body, applied,
                        now.timeIntervalSince1970)
        return try insert.run()
    }

    /// After a batch of `peer`'s events: they are applied up to `applied` (stored applied),
    /// its signed clocks acknowledge this node's events up to `acknowledged`, and it was in
    /// contact at `time`. One statement; counters only move forward.
    public func recordBatch(from peer: NodeID, applied: Int, acknowledged: Int?, at time: Date) throws {
        try updatePeerRow(peer) {
            try db.cachedStatement(sql: """
                UPDATE peer SET applied = MAX(applied, ?), acked = MAX(acked, MIN(?, sent)), last_contact = ?
                WHERE node_id = ?
                """).execute(arguments: [applied, acknowledged ?? 0, time.timeIntervalSince1970, peer.rawValue])
        }
    }

    /// An incoming event waiting to be applied.
    public struct PendingEvent: Sendable {
        public var author: NodeID
        public var seq: Int
        public var id: String
        public var createdAt: Date
        public var body: EventBody
    }

    /// The next event of channel `peer` → self to apply, if it has arrived.
    public func nextToApply(from peer: NodeID) throws -> PendingEvent? {
        guard let state = try self.peer(peer) else { return nil }
        // In a node's own database every event authored by a peer is addressed to this node.
        guard let record = try EventRecord.fetchOne(db, sql: "SELECT * FROM event WHERE author = ? AND seq = ?",
                                                    arguments: [peer.rawValue, state.applied + 1]) else { return nil }
        guard let type = EventType(rawValue: record.type), let createdAt = Timestamp.parse(record.createdAt) else {
            throw StoreError.corrupt("event \(record.seq) of \(peer)")
        }
        return PendingEvent(author: peer, seq: record.seq, id: record.id, createdAt: createdAt,
                            body: try EventBody.decode(type: type, from: record.body))
    }

    /// Marks the event `seq` of `peer` applied; it must be the next in channel order.
    public func markApplied(from peer: NodeID, seq: Int) throws {
        guard var state = try self.peer(peer), state.applied + 1 == seq else {
            throw StoreError.corrupt("channel order of \(peer)")
        }
        state.applied = seq
        try saveCounters(state)
        try db.cachedStatement(sql: "UPDATE event SET applied = 1 WHERE author = ? AND seq = ?").execute(arguments: [peer.rawValue, seq])
        guard db.changesCount == 1 else { throw StoreError.corrupt("event \(seq) of \(peer), which was never stored") }
    }

    /// How many events of channel `peer` → self wait beyond a gap (stored, not yet
    /// applied), and their envelopes' bytes: what a partner's events hold of this
    /// node's disk while the gap stays open. (A range of the primary key.)
    public func heldBeyondGap(from peer: NodeID) throws -> (count: Int, bytes: Int) {
        // Every event a peer authored in this database is addressed to this node: the
        // recipient of any one of them makes the count a range of the key, not a scan.
        guard let state = try self.peer(peer),
              let recipient = try String.fetchOne(db.cachedStatement(sql: "SELECT recipient FROM event WHERE author = ? LIMIT 1"),
                                                  arguments: [peer.rawValue]) else { return (0, 0) }
        let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT COUNT(*), COALESCE(SUM(LENGTH(envelope)), 0) FROM event
            WHERE author = ? AND recipient = ? AND seq > ?
            """), arguments: [peer.rawValue, recipient, state.applied])
        return (row?[0] ?? 0, row?[1] ?? 0)
    }

    /// The stored envelopes (their JSON) of channel `author` → `recipient` with `seq`
    /// from `first` to `last`, by `seq`: what a repeated batch is compared with.
    public func storedEnvelopes(author: NodeID, recipient: NodeID, from first: Int, to last: Int) throws -> [Int: Data] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT seq, envelope FROM event WHERE author = ? AND recipient = ? AND seq BETWEEN ? AND ?
            """), arguments: [author.rawValue, recipient.rawValue, first, last])
        var envelopes: [Int: Data] = [:]
        for row in rows { envelopes[row[0]] = row[1] }
        return envelopes
    }

    /// Highest `seq` stored (applied or waiting) of channel `peer` → self.
    /// The channels a restart must resume, in one statement: the peers with events not
    /// yet acknowledged (`outbox`) or with events received beyond a gap (`gap`).
    public func channelsToResume() throws -> [(peer: NodeID, outbox: Bool, gap: Bool)] {
        let rows = try RawStatement(db, sql: """
            SELECT node_id, sent, acked, applied, (SELECT MAX(seq) FROM event WHERE author = peer.node_id) FROM peer
            """)
        var found: [(peer: NodeID, outbox: Bool, gap: Bool)] = []
        while try rows.next() {
            let outbox = rows.int(2) < rows.int(1)
            let gap = !rows.isNull(4) && rows.int(4) > rows.int(3)
            if outbox || gap, let id = NodeID(rows.text(0) ?? "") { found.append((id, outbox, gap)) }
        }
        return found
    }

    public func highestReceived(from peer: NodeID) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT MAX(seq) FROM event WHERE author = ?"), arguments: [peer.rawValue]) ?? 0
    }
}

extension StoreTransaction.PendingEvent {
    /// An event just checked and opened, applied without reading it back.
    public init(opened event: OpenedEvent) {
        self.init(author: event.payload.from, seq: event.payload.seq, id: event.payload.id,
                  createdAt: Timestamp.parse(event.payload.createdAt) ?? Date(timeIntervalSince1970: 0), body: event.body)
    }
}
