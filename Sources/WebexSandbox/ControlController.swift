import Foundation
import Hummingbird

/// The sandbox's own endpoints: inspection and control for tests, pages for people.
///
/// No authentication: the sandbox is a loopback tool for demos and tests.
struct ControlController: Sendable {
    let state: SandboxState

    func addRoutes(to router: Router<SandboxRequestContext>) {
        router.get("/sandbox", use: index)
        router.get("/sandbox/meetings", use: meetings)
        router.get("/sandbox/requests", use: requests)
        router.post("/sandbox/reset", use: reset)
        router.post("/sandbox/faults", use: faults)
        router.get("/sandbox/faults", use: pendingFaults)
        router.get("/meet/:meetingId", use: meetingPage)
    }

    @Sendable func index(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        .html(SandboxPages.index(await state.meetings))
    }

    @Sendable func meetings(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        .json(await state.meetings)
    }

    @Sendable func requests(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        .json(await state.requests)
    }

    @Sendable func reset(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        await state.reset()
        return .noContent()
    }

    /// `POST /sandbox/faults`: see `SandboxFaultRequest` for the body.
    @Sendable func faults(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        do {
            let data = Data(buffer: try await request.body.collect(upTo: 64 * 1024))
            guard let body = try? JSONDecoder().decode(SandboxFaultRequest.self, from: data) else {
                throw SandboxFailure.invalid("The body must be a JSON fault object.")
            }
            let fault = try body.fault
            await state.apply(
                expireAccessTokens: body.expireAccessTokens ?? false,
                revokeRefreshTokens: body.revokeRefreshTokens ?? false,
                fault: fault,
                now: Date()
            )
            return .noContent()
        } catch let failure as SandboxFailure {
            return .failure(failure, trackingID: context.trackingID)
        }
    }

    /// `GET /sandbox/faults`: the endpoint faults not yet played, as
    /// `{"faults": [{"endpoint", "status", "retry_after", "delay_ms", "remaining"}]}`.
    /// A test sees a delayed request arrive when its fault leaves this list.
    @Sendable func pendingFaults(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        struct Item: Encodable {
            var endpoint: String
            var status: Int?
            var retry_after: Int?
            var delay_ms: Int?
            var remaining: Int
        }
        struct Body: Encodable { var faults: [Item] }
        let items = await state.faults.map {
            Item(endpoint: $0.endpoint, status: $0.status, retry_after: $0.retryAfter, delay_ms: $0.delayMilliseconds, remaining: $0.remaining)
        }
        return .json(Body(faults: items))
    }

    /// `GET /meet/{id}`: what a meeting's `webLink` opens.
    @Sendable func meetingPage(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        guard let id = context.parameters.get("meetingId"), let meeting = await state.meeting(id: id) else {
            return .html(SandboxPages.notFound(), status: .notFound)
        }
        return .html(SandboxPages.meeting(meeting))
    }
}
