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
        position = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1.id, $0) })
        untouchedStatus = ordered.map(StatusView.Peer.untouched)
        var bytes: [UInt8] = []
        untouchedRanges = untouchedStatus.map { peer in
            let start = bytes.count
            bytes += peer.written ?? []
            return start..<bytes.count
        }
        untouchedBytes = bytes
    }

    /// `untouchedStatus` as written, one after the other (`untouchedRanges[i]` is entry
    /// i's): a status copies bytes from here rather than copying entries.
    let untouchedBytes: [UInt8]
    let untouchedRanges: [Range<Int>]

    /// Each classroom's place in `ordered`.
    let position: [NodeID: Int]

    /// Each of `ordered`'s entry in a status while its pair has no counters and no
    /// contact, written once for all the nodes of the file (a status of one of a
    /// thousand classrooms is mostly these; see the commit that made them).
    let untouchedStatus: [StatusView.Peer]

    /// The classrooms of no node of a host (by name), made once for the host whose
    /// `hostKey` asks (every classroom of a thousand-classroom host asks the same).
    func classrooms(notIn hosted: Set<NodeID>, hostKey: Int) -> [Classroom] {
        if let made = elsewhere.withLock({ $0 }), made.hostKey == hostKey { return made.classrooms }
        var found: [Classroom] = []
        for index in ordered.indices where !hosted.contains(ordered[index].id) { found.append(ordered[index]) }
        elsewhere.withLock { $0 = (hostKey, found) }
        return found
    }

    private let elsewhere = Mutex<(hostKey: Int, classrooms: [Classroom])?>(nil)
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

    /// This node's place in the roster's order (nil when the roster does not hold it).
    private let localIndex: Int?

    init(local: Classroom, key: NodeKey, roster: Roster) {
        self.local = local
        self.key = key
        self.roster = roster
        localIndex = roster.position[local.id]
    }

    /// A trusted peer by node id.
    func peer(id: NodeID) -> Peer? {
        guard id != local.id, let classroom = roster.byID[id] else { return nil }
        return Peer(classroom: classroom)
    }

    func trusts(_ id: NodeID) -> Bool { id != local.id && roster.byID[id] != nil }

    /// How many peers this node has.
    var peerCount: Int { roster.byID[local.id] == nil ? roster.ordered.count : roster.ordered.count - 1 }

    /// The roster as a status lists it: every classroom by name with its entry for a
    /// pair never talked to, and this node's own place, to be left out.
    struct StatusRoster {
        fileprivate let roster: Roster
        let localIndex: Int?
        var shared: StatusView.Shared {
            StatusView.Shared(peers: roster.untouchedStatus, bytes: roster.untouchedBytes, ranges: roster.untouchedRanges)
        }
        var count: Int { roster.ordered.count }
        func index(of id: NodeID) -> Int? { roster.position[id] }
        func classroom(at index: Int) -> Classroom { roster.ordered[index] }
    }

    var statusRoster: StatusRoster { StatusRoster(roster: roster, localIndex: localIndex) }

    /// The peers of no node of the host that `hostKey` names (`hosted`: its nodes).
    func peers(notIn hosted: Set<NodeID>, hostKey: Int) -> [Classroom] {
        roster.classrooms(notIn: hosted, hostKey: hostKey).filter { $0.id != local.id }
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
