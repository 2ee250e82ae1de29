import Foundation

/// The signed payload of an acknowledgement, a sync request and a sync answer:
/// `{from, to, clock, created_at}`, a request adds `v`, an answer adds `events` and `more`.
/// Since version 1.1 each also carries `features`, the additions its author speaks
/// (docs/protocol.md §13); a v1 node sends none, and reads past the member.
public struct ClockMessage: Codable, Sendable, Equatable {
    public var v: Int?
    public var from: NodeID
    public var to: NodeID
    public var clock: [String: Int]
    public var createdAt: String
    public var events: [SignedEnvelope]?
    public var more: Bool?
    /// The author's features, as sent (nil: none announced, a v1 node).
    public var features: [String]?

    enum CodingKeys: String, CodingKey {
        case v, from, to, clock, events, more, features
        case createdAt = "created_at"
    }

    public init(clock: PairClock, createdAt: Date, version: Int? = nil, events: [SignedEnvelope]? = nil, more: Bool? = nil,
                features: [NodeFeature]? = NodeFeature.supported) {
        self.v = version
        self.from = clock.author
        self.to = clock.peer
        self.clock = clock.wire
        self.createdAt = Timestamp.format(createdAt)
        self.events = events
        self.more = more
        self.features = features?.map(\.rawValue).sorted()
    }

    /// The features of `features` this node knows, at most a few dozen read (nil when
    /// the author announced none).
    public var announced: Set<NodeFeature>? {
        features.map { Set($0.prefix(64).map(NodeFeature.init(rawValue:))).intersection(NodeFeature.supported) }
    }

    /// A message as read from the wire, its clock not yet checked (`open` checks it).
    init(from: NodeID, to: NodeID, clock: [String: Int], createdAt: String) {
        self.from = from
        self.to = to
        self.clock = clock
        self.createdAt = createdAt
    }

    public func signed(with key: NodeKey) -> SignedEnvelope {
        .sign(wireJSON, with: key)
    }

    /// The payload bytes, exactly as `WireJSON.encode` writes them (sorted keys, no
    /// spaces), but written directly: a sync answer carries up to 1,000 envelopes, and
    /// the encoder's round trip through its value tree dominated the answer's cost.
    /// Every value is ASCII that JSON does not escape (node ids and envelopes are
    /// base64url, `created_at` is RFC 3339), so nothing needs escaping.
    public var wireJSON: Data {
        wireJSON(eventJSON: events?.map(\.jsonData))
    }

    /// A sync answer carrying envelopes given as their JSON (as a node stores them),
    /// signed without reading and writing each envelope again. `events` is ignored.
    public func signedAnswer(eventJSON: [Data], with key: NodeKey) -> SignedEnvelope {
        .sign(wireJSON(eventJSON: eventJSON), with: key)
    }

    private func wireJSON(eventJSON events: [Data]?) -> Data {
        var out = Data()
        out.reserveCapacity(160 + (events?.reduce(0) { $0 + $1.count + 1 } ?? 0))
        func put(_ text: String) { out.append(contentsOf: text.utf8) }
        put("{\"clock\":{")
        for (index, entry) in clock.sorted(by: { $0.key < $1.key }).enumerated() {
            put(index == 0 ? "\"" : ",\"")
            put(entry.key)
            put("\":\(entry.value)")
        }
        put("},\"created_at\":\"\(createdAt)\"")
        if let events {
            put(",\"events\":[")
            for (index, envelope) in events.enumerated() {
                if index > 0 { put(",") }
                out.append(envelope)
            }
            put("]")
        }
        if let features {
            put(",\"features\":[")
            // Feature names are this node's own (lowercase letters and underscores).
            put(features.map { "\"\($0)\"" }.joined(separator: ","))
            put("]")
        }
        put(",\"from\":\"\(from.rawValue)\"")
        if let more { put(",\"more\":\(more)") }
        put(",\"to\":\"\(to.rawValue)\"")
        if let v { put(",\"v\":\(v)") }
        put("}")
        return out
    }

    /// Reads and checks a signed clock from `expectedAuthor` addressed to `localID`.
    /// `signatureChecked` (with an `expectedAuthor`): the caller checks the signature
    /// by that author itself, e.g. on another core while this reads a sync answer,
    /// and uses nothing of the message before that check has passed.
    public static func open(_ envelope: SignedEnvelope, expectedAuthor: NodeID?, localID: NodeID,
                            signatureChecked: Bool = false,
                            isTrusted: (NodeID) -> Bool) throws(ProtocolError) -> (ClockMessage, PairClock) {
        let message: ClockMessage
        do {
            message = try WireJSON.decode(ClockMessage.self, from: envelope.payload)
        } catch {
            throw .malformed(DecodingDescription.of(error))
        }
        guard Timestamp.parse(message.createdAt) != nil else { throw .malformed("created_at is not an RFC 3339 time") }
        guard (signatureChecked && expectedAuthor != nil) || envelope.isSigned(by: message.from) else { throw .badSignature }
        if let expectedAuthor, message.from != expectedAuthor { throw .untrusted(message.from) }
        guard isTrusted(message.from) else { throw .untrusted(message.from) }
        guard message.to == localID else { throw .notAddressedHere }
        let clock = try PairClock(wire: message.clock, author: message.from, peer: message.to)
        return (message, clock)
    }
}
