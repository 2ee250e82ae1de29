import Hummingbird

/// Plays the faults set with `POST /sandbox/faults`: a delay, a failure status, or
/// both; or the request served and its answer held back.
struct FaultMiddleware: RouterMiddleware {
    typealias Context = SandboxRequestContext
    let state: SandboxState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let endpoint = SandboxFault.endpoint(method: request.method.rawValue, path: request.uri.path)
        guard endpoint.contains(" /v1/"), let fault = await state.takeFault(for: endpoint) else {
            return try await next(request, context)
        }
        if let delay = fault.delayMilliseconds {
            try await Task.sleep(for: .milliseconds(delay))
        }
        guard let code = fault.status else {
            let response = try await next(request, context)
            if let delay = fault.answerDelayMilliseconds {
                try await Task.sleep(for: .milliseconds(delay))
            }
            return response
        }
        let failure = SandboxFailure(
            status: HTTPResponse.Status(code: code),
            message: "Sandbox fault: HTTP \(code)",
            retryAfter: fault.retryAfter
        )
        return .failure(failure, trackingID: context.trackingID)
    }
}
