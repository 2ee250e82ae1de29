import PenPalsCore

/// Why a channel's delivery or sync refused what it was given: a peer's batch or sync
/// request, or a sync asked for a partner this node does not know. The domain's words
/// only; `APIError.from` gives each its HTTP status and code once, at the edge. (A batch
/// or request that breaks the protocol itself, badly signed, sealed or addressed, is a
/// `ProtocolError`, mapped there too.)
public enum ChannelRefusal: Error, Equatable, Sendable {
    /// A batch without events.
    case noEvents
    /// A batch whose events come from more than one author.
    case mixedChannels
    /// Storing the batch would leave more waiting beyond a gap than the node holds.
    case heldBeyondGap(events: Int, bytes: Int, eventLimit: Int, byteLimit: Int)
    /// A sync request of another protocol version (nil: it names none).
    case badVersion(Int?)
    /// Sync was asked for a partner classroom this node does not know.
    case unknownPartner(String)

    public var code: String {
        switch self {
        case .noEvents: "no_events"
        case .mixedChannels: "mixed_channels"
        case .heldBeyondGap: "gap_full"
        case .badVersion: "bad_version"
        case .unknownPartner: "unknown_classroom"
        }
    }

    public var message: String {
        switch self {
        case .noEvents: "The batch has no events."
        case .mixedChannels: "A batch carries the events of one channel only."
        case let .heldBeyondGap(events, bytes, eventLimit, byteLimit):
            "This batch would leave \(events) events (\(bytes) bytes) waiting beyond a gap in the channel, more than "
                + "\(eventLimit) events or \(byteLimit) bytes; send the missing events first."
        case .badVersion(let version?): "This node speaks protocol version \(EventPayload.version), not \(version)."
        case .badVersion(nil): "A sync request carries the protocol version \"v\": \(EventPayload.version)."
        case .unknownPartner(let name): "No partner classroom \"\(name)\" is known to this node."
        }
    }
}
