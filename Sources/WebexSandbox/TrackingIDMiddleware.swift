import Hummingbird

/// Adds WebEx's `trackingid` header to every `/v1` answer except the consent page.
///
/// Hummingbird's own errors there (unknown route, body too large) are answered
/// with WebEx's error body too, so clients meet one error shape.
struct TrackingIDMiddleware: RouterMiddleware {
    typealias Context = SandboxRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/v1/"), !path.hasPrefix("/v1/authorize") else {
            return try await next(request, context)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            let failure = error.status == .notFound
                ? SandboxFailure.notFound
                : SandboxFailure(status: error.status, message: "The request failed (HTTP \(error.status.code)).")
            response = .failure(failure, trackingID: context.trackingID)
        }
        response.headers[.trackingID] = context.trackingID
        return response
    }
}

/// A header name; `HTTPField` itself is not re-exported by Hummingbird.
typealias HeaderName = HTTPFields.Element.Name

extension HeaderName {
    /// WebEx's `trackingid` header; a valid constant token, so the initializer cannot fail.
    static let trackingID = HeaderName("trackingid")!
    static let forwardedProto = HeaderName("X-Forwarded-Proto")!
}
