import Foundation
import Hummingbird
import Logging
import NIOCore
import PenPalsCore
import PenPalsStore
import Synchronization

/// Turns every error into the contract's JSON error body with the right status.
struct JSONErrorMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let logger = context.node.logger
            if let answer = APIError.domain(error, logger: logger) { throw answer }
            switch error {
            case is NIOTooManyBytesError:
                throw APIError(.contentTooLarge, "body_too_large", "The request body is over 1 MiB.")
            case let error as HTTPError:
                switch error.status {
                case .notFound: throw APIError.notFound("\(request.method) \(request.uri.path)")
                case .methodNotAllowed: throw APIError(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path).")
                case .contentTooLarge: throw APIError(.contentTooLarge, "body_too_large", "The request body is over 1 MiB.")
                default: throw APIError(error.status, "http_error", error.body ?? error.status.reasonPhrase)
                }
            default:
                logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
                throw APIError(.internalServerError, "internal_error", "The node could not complete the request; see its log.")
            }
        }
    }
}

extension APIError {
    /// The answer to an error of the node's domain (refusals of an invitation or a
    /// channel, protocol errors, rule violations, a full disk); nil for any other.
    /// The one place where they become statuses, for the HTTP routes and for
    /// co-hosted nodes, which reach each other without HTTP.
    static func domain(_ error: any Error, logger: Logger) -> APIError? {
        switch error {
        case let error as APIError: return error
        case let refusal as InvitationRefusal: return .from(refusal)
        case let refusal as ChannelRefusal: return .from(refusal)
        case let error as ProtocolError: return .from(error)
        case let violation as MeetingRules.Violation: return .badRequest(violation.code, violation.message)
        case StoreError.unknownListItem(let id):
            return .badRequest("bad_before", "before \"\(id)\" is not the id of an item of this list; pass the next of the previous page.")
        case StoreError.diskFull(let path):
            logger.error("disk full: a write was refused", metadata: ["database": "\(path)"])
            return APIError(.serviceUnavailable, "disk_full",
                            "The node's disk is full, so nothing of this request was stored. Free space on the drive of \(path), "
                            + "then try again: the node goes on by itself once there is room.")
        default: return nil
        }
    }
}

/// Lets a request through with the node's API token as bearer, or the dashboard's session cookie.
struct TokenAuthMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.isAuthorised(request, token: context.node.settings.apiToken) else { throw APIError.unauthorized }
        return try await next(request, context)
    }

    static func isAuthorised(_ request: Request, token: String, allowQuery: Bool = false) -> Bool {
        if DashboardSession.hasBearer(request, token: token) || DashboardSession.hasCookie(request, token: token) {
            return true
        }
        if allowQuery, let given = request.uri.queryParameters.get("token"), SecretCompare.equal(String(given), token) {
            return true
        }
        return false
    }
}

/// A path or method under `/api` that no route has is 401 without a credential, as
/// every `/api` request is, and 404 with one. (The group's sign-in runs only for the
/// routes Hummingbird matched; its not-found answer passes through here.)
struct UnknownAPIPathMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound || error.status == .methodNotAllowed {
            let path = request.uri.path
            if path == "/api" || path.hasPrefix("/api/"), !TokenAuthMiddleware.isAuthorised(request, token: context.node.settings.apiToken) {
                throw APIError.unauthorized
            }
            throw error
        }
    }
}

/// At most `limit` peer requests at once, each reading up to 1 MiB before its
/// signatures can be checked: what unauthenticated clients can make the node
/// hold is `limit` MiB, not a MiB for every connection. Beyond, 503 at once (a
/// peer retries with backoff), so no request waits behind a slow sender. Counted
/// for each classroom (`ClassroomNode.peerRequestsInFlight`).
struct ConcurrencyLimitMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let limit = context.node.settings.peerRequestsAtOnce, inFlight = context.node.peerRequestsInFlight
        guard inFlight.enter(limit: limit) else {
            throw APIError(.serviceUnavailable, "busy", "The node is reading \(limit) requests from peers; try again shortly.")
        }
        defer { inFlight.leave() }
        return try await next(request, context)
    }
}

/// A count shared by the requests of one classroom's route group.
final class SharedCounter: Sendable {
    private let count = Atomic<Int>(0)

    func enter(limit: Int) -> Bool {
        if count.add(1, ordering: .relaxed).newValue <= limit { return true }
        count.subtract(1, ordering: .relaxed)
        return false
    }

    func leave() {
        count.subtract(1, ordering: .relaxed)
    }
}

/// 413 for a body declared over the limit on every route of the group, also one
/// that reads no body (a body sent without a length is bounded where it is read).
struct DeclaredBodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw APIError(.contentTooLarge, "body_too_large", "The request body is over 1 MiB.")
        }
        return try await next(request, context)
    }
}

extension Request {
    /// The JSON body decoded as `T`, with the contract's 413 and 400 answers, and 408
    /// when it has not all arrived within `deadline`.
    mutating func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int = 1 << 20, within deadline: Duration) async throws -> T {
        let buffer = try await collectBody(upTo: limit, within: deadline)
        let data = Data(buffer.readableBytesView)
        do {
            return try WireJSON.decode(T.self, from: data)
        } catch {
            throw APIError.badRequest("bad_json", "The request body is not what was expected: \(DecodingDescription.of(error)).")
        }
    }
}

extension Request {
    /// The whole body, at most `limit` bytes, if it arrives within `deadline`; else
    /// 408. A client that sends its body a byte at a time (a slow attack) keeps
    /// nothing but its own connection, and only for that long.
    func collectBody(upTo limit: Int, within deadline: Duration) async throws -> ByteBuffer {
        let request = self
        return try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                var request = request
                return try await request.collectBody(upTo: limit)
            }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let buffer = first else {
                throw APIError(.requestTimeout, "body_timeout",
                               "The request body did not arrive within \(deadline.components.seconds) s; send it at once.")
            }
            return buffer
        }
    }
}
