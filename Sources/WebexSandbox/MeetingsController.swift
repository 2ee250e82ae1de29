import Foundation
import Hummingbird

/// `/v1/meetings`: create, list, get, update and delete the token user's meetings.
struct MeetingsController: Sendable {
    let state: SandboxState

    func addRoutes(to router: Router<SandboxRequestContext>) {
        router.post("/v1/meetings", use: create)
        router.get("/v1/meetings", use: list)
        router.get("/v1/meetings/:meetingId", use: show)
        router.put("/v1/meetings/:meetingId", use: update)
        router.delete("/v1/meetings/:meetingId", use: delete)
    }

    @Sendable func create(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        try await answer(context) {
            let now = Date()
            let (user, token) = try await state.authenticate(authorization: request.headers[.authorization], now: now)
            let data = Data(buffer: try await request.body.collect(upTo: context.maxUploadSize))
            let body = try? JSONDecoder().decode(MeetingDraft.Body.self, from: data)
            let meeting = try await state.createMeeting(
                body: body, user: user, token: token, site: Self.site(of: request), now: now
            )
            return .json(MeetingResource(meeting, now: now))
        }
    }

    /// `GET /v1/meetings?integrationTag=&from=&to=&max=`.
    ///
    /// The window defaults as in WebEx: a week from now, or a week from `from`
    /// or before `to` when only one is given.
    @Sendable func list(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        try await answer(context) {
            let now = Date()
            let (user, _) = try await state.authenticate(authorization: request.headers[.authorization], now: now)
            let query = FormData(request.uri.query ?? "")
            let week: TimeInterval = 7 * 86_400
            let from = try query.first("from").map { text throws(SandboxFailure) in try Self.time(text, name: "from") }
            let to = try query.first("to").map { text throws(SandboxFailure) in try Self.time(text, name: "to") }
            let start = from ?? to?.addingTimeInterval(-week) ?? now
            let end = to ?? start.addingTimeInterval(week)
            guard start <= end else { throw SandboxFailure.invalid("from cannot be after to.") }
            var max = 10
            if let text = query.first("max") {
                guard let value = Int(text), (1...100).contains(value) else {
                    throw SandboxFailure.invalid("max must be a number from 1 to 100.")
                }
                max = value
            }
            let meetings = await state.meetings(
                of: user, integrationTag: query.first("integrationTag"), from: start, to: end, max: max
            )
            return .json(MeetingListResource(items: meetings.map { MeetingResource($0, now: now) }))
        }
    }

    @Sendable func show(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        try await answer(context) {
            let now = Date()
            let (user, _) = try await state.authenticate(authorization: request.headers[.authorization], now: now)
            let meeting = try await state.meeting(id: context.parameters.get("meetingId") ?? "", for: user)
            return .json(MeetingResource(meeting, now: now))
        }
    }

    /// `PUT /v1/meetings/{id}`: authenticated and validated as `create`, 404 for a meeting
    /// the token's user does not host; answers the meeting as it now is.
    @Sendable func update(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        try await answer(context) {
            let now = Date()
            let (user, _) = try await state.authenticate(authorization: request.headers[.authorization], now: now)
            let data = Data(buffer: try await request.body.collect(upTo: context.maxUploadSize))
            let body = try? JSONDecoder().decode(MeetingDraft.Body.self, from: data)
            let meeting = try await state.updateMeeting(
                id: context.parameters.get("meetingId") ?? "", body: body, user: user, now: now
            )
            return .json(MeetingResource(meeting, now: now))
        }
    }

    @Sendable func delete(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        try await answer(context) {
            let (user, _) = try await state.authenticate(authorization: request.headers[.authorization], now: Date())
            try await state.deleteMeeting(id: context.parameters.get("meetingId") ?? "", for: user)
            return .noContent()
        }
    }

    // MARK: - Helpers

    /// Runs a handler, answering a `SandboxFailure` with WebEx's error body.
    private func answer(
        _ context: SandboxRequestContext,
        _ handler: () async throws -> Response
    ) async throws -> Response {
        do {
            return try await handler()
        } catch let failure as SandboxFailure {
            return .failure(failure, trackingID: context.trackingID)
        }
    }

    private static func time(_ text: String, name: String) throws(SandboxFailure) -> Date {
        guard let time = MeetingTime(text) else {
            throw .invalid("\(name) '\(text)' is not a valid ISO 8601 date and time.")
        }
        return time.date
    }

    /// `http://<host the request came to>`, so web links work from wherever the sandbox is reached.
    static func site(of request: Request) -> String {
        let forwarded = request.headers[.forwardedProto]?.lowercased()
        let scheme = forwarded == "https" ? "https" : "http"
        return scheme + "://" + (request.head.authority ?? "127.0.0.1")
    }
}
