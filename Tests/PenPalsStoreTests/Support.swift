import Foundation
import Testing
import PenPalsCore
@testable import PenPalsStore

/// A node A with its in-memory store, and two peers B and C.
struct StoreFixture: Sendable {
    let a = NodeKey.generate()
    let b = NodeKey.generate()
    let c = NodeKey.generate()
    let store: NodeStore

    init(store: NodeStore? = nil) async throws {
        self.store = try store ?? NodeStore()
        let (b, c) = (self.b.id, self.c.id)
        try await self.store.write { tx in
            try tx.upsertPeer(id: b, name: "b-room", displayName: "Room B", url: "http://127.0.0.1:7412")
            try tx.upsertPeer(id: c, name: "c-room", displayName: "Room C", url: "http://127.0.0.1:7413")
        }
    }

    func cipher(_ local: NodeKey, _ peer: NodeKey) -> ChannelCipher {
        try! ChannelCipher(local: local, peer: peer.id)
    }

    /// Appends an outgoing event A → `peer` and returns it.
    @discardableResult
    func append(_ body: EventBody, to peer: NodeKey, now: Date = t0) async throws -> SealedEvent {
        let key = a, cipher = cipher(a, peer)
        return try await store.write { tx in try tx.appendOutgoing(body, key: key, cipher: cipher, now: now) }
    }

    /// An event `author` → A, sealed, signed and opened as A would open it.
    func incoming(_ body: EventBody, from author: NodeKey, seq: Int, applied: Int = 0, id: UUID = UUID()) throws -> OpenedEvent {
        let event = EventSealing.seal(body, id: id, seq: seq, applied: applied, createdAt: t0, key: author,
                                      cipher: cipher(author, a))
        let receiving = cipher(a, author)
        let authorID = author.id
        return try EventSealing.open(event.envelope, localID: a.id, cipherFor: { $0 == authorID ? receiving : nil })
    }

    func store(_ event: OpenedEvent) async throws -> StoreTransaction.IncomingOutcome {
        try await store.write { tx in try tx.storeIncoming(event, now: t0) }
    }

    func peer(_ key: NodeKey) async throws -> PeerState {
        let id = key.id
        return try #require(try await store.read { tx in try tx.peer(id) })
    }
}

/// 2027-01-15T08:00:00Z, the tests' "now".
let t0 = Date(timeIntervalSince1970: 1_800_000_000)

let someInvitation = UUID(uuidString: "3F2504E0-4F89-11D3-9A0C-0305E82C3301")!

/// The seq of each envelope's event payload.
func seqs(_ envelopes: [SignedEnvelope]) throws -> [Int] {
    try envelopes.map { try WireJSON.decode(EventPayload.self, from: $0.payload).seq }
}
