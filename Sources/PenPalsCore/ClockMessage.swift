import Foundation

/// The signed payload of an acknowledgement, a sync request and a sync answer:
/// `{from, to, clock, created_at}`, a request adds `v`, an answer adds `events` and `more`.
public struct ClockMessage: Codable, Sendable, Equatable {
    public var v: Int?
    public var from: NodeID
    public var to: NodeID
    public var clock: [String: Int]
    public var createdAt: String
    public var events: [SignedEnvelope]?
    public var more: Bool?

    enum CodingKeys: String, CodingKey {
        case v, from, to, clock, events, more
        case createdAt = "created_at"
    }

    public init(clock: PairClock, createdAt: Date, version: Int? = nil, events: [SignedEnvelope]? = nil, more: Bool? = nil) {
        self.v = version
        self.from = clock.author
        self.to = clock.peer
        self.clock = clock.wire
        self.createdAt = Timestamp.format(createdAt)
        self.events = events
        self.more = more
    }

    public func signed(with key: NodeKey) -> SignedEnvelope {
        .sign(WireJSON.encode(self), with: key)
    }

    /// Reads and checks a signed clock from `expectedAuthor` addressed to `localID`.
    public static func open(_ envelope: SignedEnvelope, expectedAuthor: NodeID?, localID: NodeID,
                            isTrusted: (NodeID) -> Bool) throws(ProtocolError) -> (ClockMessage, PairClock) {
        let message: ClockMessage
        do {
            message = try WireJSON.decode(ClockMessage.self, from: envelope.payload)
        } catch {
            throw .malformed(DecodingDescription.of(error))
        }
        guard Timestamp.parse(message.createdAt) != nil else { throw .malformed("created_at is not an RFC 3339 time") }
        guard envelope.isSigned(by: message.from) else { throw .badSignature }
        if let expectedAuthor, message.from != expectedAuthor { throw .untrusted(message.from) }
        guard isTrusted(message.from) else { throw .untrusted(message.from) }
        guard message.to == localID else { throw .notAddressedHere }
        let clock = try PairClock(wire: message.clock, author: message.from, peer: message.to)
        return (message, clock)
    }
}
