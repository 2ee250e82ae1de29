import Foundation

/// An event's `type`: one of protocol v1's, one of the additions of version 1.1 that
/// this node speaks, or one it does not know (a newer node's), which it stores,
/// acknowledges and otherwise ignores (contract §7).
public struct EventType: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// Any name of 1 to 64 lowercase letters, digits and underscores (what the wire allows).
    public init?(rawValue: String) {
        guard (1...64).contains(rawValue.utf8.count),
              rawValue.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }) else { return nil }
        self.rawValue = rawValue
    }

    private init(known: String) { self.rawValue = known }

    public static let invitation = EventType(known: "invitation")
    public static let accept = EventType(known: "accept")
    public static let decline = EventType(known: "decline")
    public static let cancel = EventType(known: "cancel")
    public static let meeting = EventType(known: "meeting")
    public static let meetingFailed = EventType(known: "meeting_failed")
    /// Version 1.1 (docs/protocol.md §13), sent only to a peer that announced `meeting_changes`.
    public static let reschedule = EventType(known: "reschedule")
    public static let propose = EventType(known: "propose")

    /// Protocol v1's types, which every peer takes.
    public static let v1: [EventType] = [.invitation, .accept, .decline, .cancel, .meeting, .meetingFailed]
    /// The types this node reads and applies.
    public static let known: [EventType] = v1 + [.reschedule, .propose]

    public var isKnown: Bool { Self.known.contains(self) }

    /// The feature a peer must have announced before this node sends it an event of
    /// this type (nil: a v1 type, for every peer).
    public var feature: NodeFeature? {
        self == .reschedule || self == .propose ? .meetingChanges : nil
    }

    public var description: String { rawValue }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let type = EventType(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an event type"))
        }
        self = type
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// An addition of version 1.1 a node announces in every clock it signs
/// (`features`, docs/protocol.md §13), so that its peers send it the events of it.
public struct NodeFeature: RawRepresentable, Hashable, Sendable, Comparable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Reschedules and proposals (`reschedule`, `propose` events), groups and series.
    public static let meetingChanges = NodeFeature(rawValue: "meeting_changes")

    /// What this node announces.
    public static let supported: [NodeFeature] = [.meetingChanges]

    public static func < (a: NodeFeature, b: NodeFeature) -> Bool { a.rawValue < b.rawValue }
}

/// The signed payload of one event (protocol v1). `sealed` holds the body,
/// encrypted for the recipient.
public struct EventPayload: Codable, Sendable, Equatable {
    public static let version = 1

    public var v: Int
    public var id: String
    public var type: EventType
    public var from: NodeID
    public var to: NodeID
    public var seq: Int
    public var clock: [String: Int]
    public var createdAt: String
    public var sealed: String

    enum CodingKeys: String, CodingKey {
        case v, id, type, from, to, seq, clock, sealed
        case createdAt = "created_at"
    }

    /// The clock, checked: exactly the two entries of the pair, and `clock[from] == seq`.
    public func pairClock() throws(ProtocolError) -> PairClock {
        let clock = try PairClock(wire: clock, author: from, peer: to)
        guard clock.sent == seq else { throw .badClock("clock[from] must equal the event's seq") }
        return clock
    }
}

/// An event made by this node, ready to store and send.
public struct SealedEvent: Sendable, Equatable {
    public var payload: EventPayload
    public var envelope: SignedEnvelope
}

/// An event from a peer whose envelope, author, address and seal have been checked.
public struct OpenedEvent: Sendable, Equatable {
    public var payload: EventPayload
    public var envelope: SignedEnvelope
    public var clock: PairClock
    public var body: EventBody
    /// The body's JSON as the author sealed it (stored as it came, not written again).
    public var bodyJSON: Data
    /// The envelope's JSON, made while the event is opened (on any core) rather than
    /// in the store's single writer.
    public var envelopeJSON: Data
}

public enum EventSealing {
    /// Builds, seals and signs an event on the channel `key.id` → `cipher.peer`.
    public static func seal(
        _ body: EventBody, id: UUID = .timeOrdered(), seq: Int, applied: Int,
        createdAt: Date, key: NodeKey, cipher: ChannelCipher
    ) -> SealedEvent {
        let payload = EventPayload(
            v: EventPayload.version, id: id.lowercasedString, type: body.type,
            from: key.id, to: cipher.peer, seq: seq,
            clock: PairClock(author: key.id, peer: cipher.peer, sent: seq, applied: applied).wire,
            createdAt: Timestamp.format(createdAt),
            sealed: Base64URL.encode(cipher.seal(body.encoded())))
        let bytes = WireJSON.encode(payload)
        return SealedEvent(payload: payload, envelope: .sign(bytes, with: key))
    }

    /// Checks an envelope in the order of the contract's answers: form (400),
    /// signature (401), trust and address (403), clock and seal (400).
    ///
    /// - Parameter vouchedBy: the author of a signed payload that carried this envelope
    ///   (a sync answer), whose signature, already checked, covers the envelope's bytes
    ///   exactly. An event of that same author is not verified a second time; an event
    ///   of anyone else is.
    public static func open(
        _ envelope: SignedEnvelope, localID: NodeID, vouchedBy: NodeID? = nil, cipherFor: (NodeID) -> ChannelCipher?
    ) throws(ProtocolError) -> OpenedEvent {
        let payload: EventPayload
        do {
            payload = try WireJSON.decode(EventPayload.self, from: envelope.payload)
        } catch {
            throw .malformed("not an event: \(DecodingDescription.of(error))")
        }
        guard payload.v == EventPayload.version else { throw .malformed("unsupported protocol version \(payload.v)") }
        guard UUID.parse(payload.id) != nil else { throw .malformed("id is not a UUID") }
        guard payload.seq >= 1 else { throw .malformed("seq starts at 1") }
        guard Timestamp.parse(payload.createdAt) != nil else { throw .malformed("created_at is not an RFC 3339 time") }
        guard payload.from == vouchedBy || envelope.isSigned(by: payload.from) else { throw .badSignature }
        guard let cipher = cipherFor(payload.from) else { throw .untrusted(payload.from) }
        guard payload.to == localID else { throw .notAddressedHere }
        let clock = try payload.pairClock()
        guard let sealed = Base64URL.decode(payload.sealed) else { throw .malformed("sealed is not base64url") }
        let plain: Data
        do { plain = try cipher.open(sealed) } catch { throw .cannotUnseal }
        let body: EventBody
        do {
            body = try EventBody.decode(type: payload.type, from: plain)
        } catch {
            throw .malformed("the \(payload.type.rawValue) body is invalid: \(DecodingDescription.of(error))")
        }
        return OpenedEvent(payload: payload, envelope: envelope, clock: clock, body: body, bodyJSON: plain,
                           envelopeJSON: envelope.jsonData)
    }
}

/// A short human description of a decoding error (which field, what was wrong).
public enum DecodingDescription {
    public static func of(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return text.isEmpty ? "the body" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = context.codingPath.isEmpty ? "" : path(context.codingPath) + "."
            return "missing field \(parent)\(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context.codingPath)) has the wrong type"
        case .dataCorrupted(let context):
            // A refusal of this module's own (a key twice) says what it is; JSONDecoder's
            // (with the parser's error beneath) is plainly not JSON.
            guard context.codingPath.isEmpty else { return "\(path(context.codingPath)): \(context.debugDescription)" }
            return context.underlyingError == nil ? context.debugDescription : "not valid JSON"
        @unknown default:
            return "\(error)"
        }
    }
}
