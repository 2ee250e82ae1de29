import Foundation

/// The vector timestamp of a pair of nodes, as seen by the author of a signed payload.
///
/// On the wire it is `{"<author>": sent, "<peer>": applied}`: exactly two entries.
/// `sent` counts the events the author has sent on channel author → peer (for an
/// event, its own `seq`); `applied` counts the events of peer → author the author
/// has applied. Comparing it with one's own counts tells what the other side lacks.
public struct PairClock: Sendable, Equatable {
    public var author: NodeID
    public var peer: NodeID
    public var sent: Int
    public var applied: Int

    public init(author: NodeID, peer: NodeID, sent: Int, applied: Int) {
        self.author = author
        self.peer = peer
        self.sent = sent
        self.applied = applied
    }

    /// Reads a wire clock, refusing anything but exactly the two entries of the pair.
    public init(wire: [String: Int], author: NodeID, peer: NodeID) throws(ProtocolError) {
        guard author != peer else { throw .malformed("a clock needs two different nodes") }
        guard wire.count == 2, let sent = wire[author.rawValue], let applied = wire[peer.rawValue] else {
            throw .badClock("the clock must have exactly two entries, for \(author) and \(peer)")
        }
        guard sent >= 0, applied >= 0 else { throw .badClock("clock entries cannot be negative") }
        self.init(author: author, peer: peer, sent: sent, applied: applied)
    }

    public var wire: [String: Int] { [author.rawValue: sent, peer.rawValue: applied] }

    /// How many of `localSent` events on channel local → author the author has not applied yet.
    public func missingAtAuthor(localSent: Int) -> Int { max(0, localSent - applied) }

    /// How many events of channel author → local are beyond what the local side has applied.
    public func missingLocally(localApplied: Int) -> Int { max(0, sent - localApplied) }

    /// Whether the author had applied the local event numbered `seq` when it signed this clock.
    public func hadSeen(seq: Int) -> Bool { applied >= seq }

    /// Whether this acknowledgement covers the local event numbered `seq`.
    public func acknowledges(seq: Int) -> Bool { applied >= seq }
}

/// What a node refuses in a peer's payload, each mapped to one HTTP status by the node.
public enum ProtocolError: Error, Equatable, Sendable {
    case malformed(String)          // 400
    case badClock(String)           // 400
    case cannotUnseal               // 400
    case badSignature               // 401
    case untrusted(NodeID)          // 403
    case notAddressedHere           // 403
    case conflict(String)           // 409: a different event under a used seq

    public var message: String {
        switch self {
        case .malformed(let why): "malformed payload: \(why)"
        case .badClock(let why): "bad clock: \(why)"
        case .cannotUnseal: "the sealed body cannot be opened with this node's key"
        case .badSignature: "the signature does not match the payload and its author"
        case .untrusted(let id): "\(id) is not a trusted peer of this node"
        case .notAddressedHere: "the payload is addressed to another node"
        case .conflict(let why): why
        }
    }
}
