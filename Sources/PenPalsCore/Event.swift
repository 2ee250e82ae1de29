import Foundation

public enum EventType: String, Codable, Sendable, CaseIterable {
    case invitation, accept, decline, cancel, meeting
    case meetingFailed = "meeting_failed"
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
