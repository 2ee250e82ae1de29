import Foundation
import Hummingbird
import Logging
import NIOCore
import PenPalsCore

/// Turns every error into the contract's JSON error body with the right status.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "body_too_large", "The request body is over 1 MiB.")
        } catch let error as HTTPError {
            switch error.status {
            case .notFound: throw APIError.notFound("\(request.method) \(request.uri.path)")
            case .methodNotAllowed: throw APIError(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path).")
            case .contentTooLarge: throw APIError(.contentTooLarge, "body_too_large", "The request body is over 1 MiB.")
            default: throw APIError(error.status, "http_error", error.body ?? error.status.reasonPhrase)
            }
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            throw APIError(.internalServerError, "internal_error", "The node could not complete the request; see its log.")
        }
    }
}

/// Lets a request through with the node's API token as bearer, or the dashboard's session cookie.
struct TokenAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard Self.isAuthorised(request, token: token) else { throw APIError.unauthorized }
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

extension Request {
    /// The JSON body decoded as `T`, with the contract's 413 and 400 answers.
    mutating func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int = 1 << 20) async throws -> T {
        let buffer = try await collectBody(upTo: limit)
        let data = Data(buffer.readableBytesView)
        do {
            return try WireJSON.decode(T.self, from: data)
        } catch {
            throw APIError.badRequest("bad_json", "The request body is not what was expected: \(DecodingDescription.of(error)).")
        }
    }
}
