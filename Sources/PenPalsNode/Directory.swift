import Foundation
public import PenPalsCore

/// A classroom this node knows: itself or a trusted peer.
public struct Classroom: Sendable, Equatable {
    public var id: NodeID
    public var name: String
    public var displayName: String
    public var url: URL
    /// The classroom's IANA time zone where this node knows it (another node of
    /// the same config file); nil for a `[[peers]]` entry, whose zone the file does not say.
    public var timezone: String?

    public init(id: NodeID, name: String, displayName: String, url: URL, timezone: String? = nil) {
        self.id = id
        self.name = name
        self.displayName = displayName
        self.url = url
        self.timezone = timezone
    }
}

/// Who this node is and whom it trusts, with one channel cipher per peer
/// (the Curve25519 conversion is done once, not per event).
struct Directory: Sendable {
    struct Peer: Sendable {
        var classroom: Classroom
        var cipher: ChannelCipher
    }

    let local: Classroom
    let peers: [NodeID: Peer]
    let orderedPeers: [Peer]

    init(local: Classroom, key: NodeKey, peers: [Classroom]) throws {
        self.local = local
        var byID: [NodeID: Peer] = [:]
        for classroom in peers where classroom.id != local.id {
            byID[classroom.id] = Peer(classroom: classroom, cipher: try ChannelCipher(local: key, peer: classroom.id))
        }
        self.peers = byID
        self.orderedPeers = byID.values.sorted { $0.classroom.name < $1.classroom.name }
    }

    func cipher(for id: NodeID) -> ChannelCipher? { peers[id]?.cipher }

    /// A peer by node id or by name.
    func peer(_ idOrName: String) -> Peer? {
        if let id = NodeID(idOrName), let peer = peers[id] { return peer }
        return orderedPeers.first { $0.classroom.name == idOrName }
    }

    /// The display name of any classroom this node knows, never a node id where a name is known.
    func displayName(of id: NodeID) -> String {
        if id == local.id { return local.displayName }
        return peers[id]?.classroom.displayName ?? "Unknown classroom"
    }
}
