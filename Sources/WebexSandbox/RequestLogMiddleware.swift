import Foundation
import Hummingbird

/// Records every request outside `/sandbox` with the status it got, for tests to inspect.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = SandboxRequestContext
    let state: SandboxState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !request.uri.path.hasPrefix("/sandbox") else {
            return try await next(request, context)
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
        }
        if let authority = request.head.authority { headers["host"] = authority }
        var entry = SandboxRequest(
            time: Date(),
            method: request.method.rawValue,
            path: request.uri.path,
            query: request.uri.query,
            headers: headers,
            body: String(buffer: body),
            status: 0,
            trackingId: context.trackingID
        )
        do {
            let response = try await next(request, context)
            entry.status = response.status.code
            await state.record(entry)
            return response
        } catch {
            entry.status = (error as? any HTTPResponseError)?.status.code ?? 500
            await state.record(entry)
            throw error
        }
    }
}
