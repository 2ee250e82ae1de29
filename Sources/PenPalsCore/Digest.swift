import Foundation

/// The body of `POST /p2p/v1/digest` (docs/protocol.md §12): one signed sync request
/// (§7.2's payload, exactly) for each pair of a requester's node and a node of the
/// process that answers, so that a process reconciles with another host in one
/// request per `sync_interval` however many classroom pairs they hold.
public struct DigestRequest: Codable, Sendable, Equatable {
    /// Requests in one body at most (each well under 1 KiB: the body stays under 1 MiB).
    public static let limit = 500

    public var requests: [SignedEnvelope]

    public init(requests: [SignedEnvelope]) { self.requests = requests }
}

/// The answer to a `DigestRequest`: one entry per request, in its order.
public struct DigestAnswer: Codable, Sendable, Equatable {
    public enum Entry: Sendable, Equatable {
        /// The pair's signed clock, from the node the request was addressed to: an
        /// acknowledgement (§7.3), `{from, to, clock, created_at}`.
        case clock(SignedEnvelope)
        /// The request was refused, with the code and message its `/p2p/v1/sync` would answer.
        case refused(code: String, message: String)
    }

    public var answers: [Entry]

    public init(answers: [Entry]) { self.answers = answers }
}

extension DigestAnswer.Entry: Codable {
    private struct Refusal: Codable, Equatable {
        struct Inner: Codable, Equatable { var code: String; var message: String }
        var error: Inner
    }

    private enum Keys: String, CodingKey { case error }

    public init(from decoder: any Decoder) throws {
        if try decoder.container(keyedBy: Keys.self).contains(.error) {
            let refusal = try Refusal(from: decoder)
            self = .refused(code: refusal.error.code, message: refusal.error.message)
        } else {
            self = .clock(try SignedEnvelope(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .clock(let envelope): try envelope.encode(to: encoder)
        case .refused(let code, let message): try Refusal(error: .init(code: code, message: message)).encode(to: encoder)
        }
    }
}
