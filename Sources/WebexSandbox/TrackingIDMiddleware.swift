import Hummingbird

/// Adds WebEx's `trackingid` header to every `/v1` answer except the consent page.
struct TrackingIDMiddleware: RouterMiddleware {
    typealias Context = SandboxRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        let path = request.uri.path
        if path.hasPrefix("/v1/"), !path.hasPrefix("/v1/authorize") {
            response.headers[.trackingID] = context.trackingID
        }
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
