import Foundation
public import PenPalsCore
import Synchronization

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

/// The classrooms of one config file (its nodes and its `[[peers]]`), by id and by
/// name: made once and shared by every node of the file, which trusts all of them
/// but itself. A thousand co-hosted classrooms hold one roster, not a thousand.
public final class Roster: Sendable {
    let byID: [NodeID: Classroom]
    /// By name.
    let ordered: [Classroom]

    public init(_ classrooms: [Classroom]) {
        var byID: [NodeID: Classroom] = [:]
        for classroom in classrooms { byID[classroom.id] = classroom }
        self.byID = byID
        self.ordered = byID.values.sorted { $0.name < $1.name }
        untouchedStatus = ordered.map(StatusView.Peer.untouched)
    }

    /// Each of `ordered`'s entry in a status while its pair has no counters and no
    /// contact, written once for all the nodes of the file (a status of one of a
    /// thousand classrooms is mostly these; see the commit that made them).
    let untouchedStatus: [StatusView.Peer]
}

/// Who this node is and whom it trusts (everyone of its roster but itself), with a
/// channel cipher per peer made the first time the channel is used (the Curve25519
/// conversion is done once, not per event, and not for pairs that never talk).
final class Directory: Sendable {
    struct Peer: Sendable {
        var classroom: Classroom
    }

    let local: Classroom
    private let key: NodeKey
    private let roster: Roster
    private let ciphers = Mutex<[NodeID: ChannelCipher]>([:])

    init(local: Classroom, key: NodeKey, roster: Roster) {
        self.local = local
        self.key = key
        self.roster = roster
    }

    /// A trusted peer by node id.
    func peer(id: NodeID) -> Peer? {
        guard id != local.id, let classroom = roster.byID[id] else { return nil }
        return Peer(classroom: classroom)
    }

    func trusts(_ id: NodeID) -> Bool { id != local.id && roster.byID[id] != nil }

    /// How many peers this node has.
    var peerCount: Int { roster.byID[local.id] == nil ? roster.ordered.count : roster.ordered.count - 1 }

    /// Every peer by name, with its status entry for a pair never talked to.
    var orderedPeersWithUntouchedStatus: some Sequence<(Classroom, StatusView.Peer)> {
        zip(roster.ordered, roster.untouchedStatus).lazy.filter { [local] in $0.0.id != local.id }
    }

    /// The peers that `include` picks, by name.
    func peers(where include: (Classroom) -> Bool) -> [Classroom] {
        roster.ordered.filter { $0.id != local.id && include($0) }
    }

    /// Every peer, by name.
    var orderedPeers: [Peer] {
        roster.ordered.compactMap { $0.id == local.id ? nil : Peer(classroom: $0) }
    }

    func cipher(for id: NodeID) -> ChannelCipher? {
        guard trusts(id) else { return nil }
        if let made = ciphers.withLock({ $0[id] }) { return made }
        // A peer id that is no Ed25519 point has no channel.
        guard let made = try? ChannelCipher(local: key, peer: id) else { return nil }
        ciphers.withLock { $0[id] = made }
        return made
    }

    /// A peer by node id or by name.
    func peer(_ idOrName: String) -> Peer? {
        if let id = NodeID(idOrName), let peer = peer(id: id) { return peer }
        return orderedPeers.first { $0.classroom.name == idOrName }
    }

    /// The display name of any classroom this node knows, never a node id where a name is known.
    func displayName(of id: NodeID) -> String {
        if id == local.id { return local.displayName }
        return roster.byID[id]?.displayName ?? "Unknown classroom"
    }
}
