import CompressNIO
import Foundation
import Hummingbird
import PenPalsCore

/// An error answered as `{"error": {"code", "message"}}` with its HTTP status.
public struct APIError: Error, HTTPResponseError, Equatable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(ErrorBody(error: .init(code: code, message: message)), status: status)
    }

    static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code, message) }
    static func notFound(_ what: String) -> APIError { APIError(.notFound, "not_found", "\(what) does not exist on this node.") }
    static func conflict(_ code: String, _ message: String) -> APIError { APIError(.conflict, code, message) }
    /// A batch that would leave more events (or bytes) of a channel waiting beyond a gap than a node keeps.
    static let unauthorized = APIError(.unauthorized, "unauthorized",
                                       "Send the node's API token (Authorization: Bearer <token from api.token>) or sign in to the dashboard.")

    /// The answer to a teacher's refused action on an invitation.
    static func from(_ refusal: InvitationRefusal) -> APIError {
        let status: HTTPResponse.Status = switch refusal {
        case .notFound: .notFound
        case .unknownClassroom, .groupRepeats, .groupSize: .badRequest
        case .notReceiver, .notSender: .forbidden
        case .wrongState, .partnerOutdated, .partnerUnheard: .conflict
        }
        return APIError(status, refusal.code, refusal.message)
    }

    /// The answer to a refused peer payload.
    /// The answer to a channel's refusal of a batch, a sync request or a sync.
    static func from(_ refusal: ChannelRefusal) -> APIError {
        let status: HTTPResponse.Status = switch refusal {
        case .noEvents, .mixedChannels, .badVersion, .unknownPartner: .badRequest
        case .heldBeyondGap: .tooManyRequests
        }
        return APIError(status, refusal.code, refusal.message)
    }

    static func from(_ error: ProtocolError) -> APIError {
        switch error {
        case .malformed, .cannotUnseal: APIError(.badRequest, "bad_payload", error.message)
        case .badClock: APIError(.badRequest, "bad_clock", error.message)
        case .badSignature: APIError(.unauthorized, "bad_signature", error.message)
        case .untrusted: APIError(.forbidden, "untrusted_peer", error.message)
        case .notAddressedHere: APIError(.forbidden, "wrong_recipient", error.message)
        case .conflict: APIError(.conflict, "seq_conflict", error.message)
        }
    }
}

/// `{"error": {"code", "message"}}`
struct ErrorBody: Encodable {
    struct Inner: Encodable { var code: String; var message: String }
    var error: Inner
}

enum JSONResponse {
    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        data(WireJSON.encode(value), status: status)
    }

    static func data(_ data: Data, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `data` as gzip when it is worth compressing (1 KiB and more), else nil.
    /// A sync answer carries its events base64-encoded inside a base64-encoded payload
    /// (the contract's envelope in an envelope); compression takes that back to about
    /// the envelopes' own size on the wire.
    static func gzip(_ data: Data) -> ByteBuffer? {
        guard data.count >= 1024 else { return nil }
        var plain = ByteBuffer(bytes: data)
        return try? plain.compress(with: .gzip(configuration: .init(compressionLevel: .fastestCompression, strategy: .huffmanOnly)))
    }

    /// What a client reads of `gzip`'s output (the protocol simulation reads its answers so).
    static func gunzip(_ packed: ByteBuffer) -> Data? {
        var packed = packed
        guard let plain = try? packed.decompress(with: .gzip()) else { return nil }
        return Data(plain.readableBytesView)
    }

    /// The JSON as `packed` (its gzip, made beforehand) when there is one, else as it is.
    static func data(_ data: Data, gzipped packed: ByteBuffer?) -> Response {
        guard let packed else { return self.data(data) }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .contentEncoding: "gzip",
                                               .vary: "Accept-Encoding"],
                        body: .init(byteBuffer: packed))
    }

    /// Whether `Accept-Encoding` allows gzip (named, or `*`, and not with `q=0`).
    static func acceptsGzip(_ values: [String]) -> Bool {
        var allowed = false
        for item in values.flatMap({ $0.split(separator: ",") }) {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first, coding == "gzip" || coding == "x-gzip" || coding == "*" else { continue }
            let refused = parts.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "").range(of: #"^q=0(\.0*)?$"#, options: .regularExpression) != nil }
            if coding == "*" { allowed = allowed || !refused } else { return !refused }
        }
        return allowed
    }
}
