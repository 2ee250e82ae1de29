public import Foundation
public import Hummingbird
public import Logging

/// A WebEx-compatible server for demos and tests.
///
/// It follows WebEx's OAuth flow and the `/meetings` API subset the node uses
/// (see `shared/webex`), keeps everything in memory, and lets tests inspect
/// what was sent and play failures. Copies share one in-memory state.
///
/// WebEx endpoints (every `/v1` answer but the consent page carries `trackingid`;
/// errors are `{"message", "errors": [{"description"}], "trackingId"}`):
/// - `GET /v1/authorize?response_type=code&client_id=&redirect_uri=&scope=&state=`:
///   consent page; `POST /v1/authorize` (form, `decision=allow|deny`, `email`)
///   redirects with `code` or `error=access_denied` (`invalid_scope`,
///   `unsupported_response_type` straight from the GET).
/// - `POST /v1/access_token`: form only; `authorization_code` and `refresh_token` grants;
///   400 `invalid_grant`, 401 `invalid_client`.
/// - `POST /v1/meetings`, `GET /v1/meetings?integrationTag=&from=&to=&max=`,
///   `GET /v1/meetings/{id}`, `PUT /v1/meetings/{id}`, `DELETE /v1/meetings/{id}`:
///   bearer token required; an optional `recurrence` (`FREQ=DAILY|WEEKLY;INTERVAL=1…4;COUNT=2…52`)
///   makes a series; a PUT replaces title, times, time zone, tags and recurrence.
///
/// Sandbox endpoints, without authentication (a loopback tool):
/// - `GET /meet/{id}`: the page a meeting's `webLink` opens.
/// - `GET /sandbox`: meetings as an HTML page; `GET /sandbox/meetings`,
///   `GET /sandbox/requests`: JSON; `POST /sandbox/reset`.
/// - `POST /sandbox/faults`: `{"expire_access_tokens": true}`,
///   `{"revoke_refresh_tokens": true}`,
///   `{"endpoint": "POST /v1/meetings", "status": 429, "count": 2, "retry_after": 5}`,
///   `{"endpoint": "GET /v1/meetings", "delay_ms": 3000, "count": 1}`,
///   `{"endpoint": "PUT /v1/meetings/{meetingId}", "status": 503}`.
public struct WebexSandbox: Sendable {
    let state: SandboxState
    let logger: Logger

    /// - Parameters:
    ///   - logger: for the HTTP server.
    ///   - clientID, clientSecret: the one OAuth client the sandbox accepts.
    ///   - accessTokenLifetime: seconds; WebEx gives 14 days. Tests shorten it to force refreshes.
    ///   - appName: shown on the consent page.
    ///   - meetingsPerDay: creation attempts a user may make in 24 hours (WebEx: 100).
    public init(
        logger: Logger,
        clientID: String = "sandbox-client",
        clientSecret: String = "sandbox-secret",
        accessTokenLifetime: TimeInterval = 1_209_600,
        appName: String = "PenPals",
        meetingsPerDay: Int = 100
    ) {
        self.logger = logger
        self.state = SandboxState(configuration: SandboxConfiguration(
            clientID: clientID,
            clientSecret: clientSecret,
            appName: appName,
            accessTokenLifetime: accessTokenLifetime,
            meetingsPerDay: meetingsPerDay
        ))
    }

    /// The Hummingbird application serving the sandbox.
    ///
    /// - Parameters:
    ///   - host: address to bind, e.g. `127.0.0.1`.
    ///   - port: 0 picks a free port, reported to `onServerRunning`.
    ///   - onServerRunning: called once the server listens, with the bound port.
    public func buildApplication(
        host: String,
        port: Int,
        onServerRunning: (@Sendable (Int) async -> Void)? = nil
    ) -> some ApplicationProtocol {
        Application(
            router: buildRouter(),
            configuration: .init(address: .hostname(host, port: port), serverName: "WebexSandbox"),
            onServerRunning: { channel in
                await onServerRunning?(channel.localAddress?.port ?? port)
            },
            logger: logger
        )
    }

    /// Runs the sandbox until the calling task is cancelled.
    ///
    /// For callers that do not import Hummingbird, e.g. tests and the CLI.
    public func run(
        host: String = "127.0.0.1",
        port: Int = 0,
        onServerRunning: (@Sendable (Int) async -> Void)? = nil
    ) async throws {
        try await buildApplication(host: host, port: port, onServerRunning: onServerRunning).run()
    }

    func buildRouter() -> Router<SandboxRequestContext> {
        let router = Router(context: SandboxRequestContext.self)
        router.add(middleware: RequestLogMiddleware(state: state))
        router.add(middleware: TrackingIDMiddleware())
        router.add(middleware: FaultMiddleware(state: state))
        OAuthController(state: state).addRoutes(to: router)
        MeetingsController(state: state).addRoutes(to: router)
        ControlController(state: state).addRoutes(to: router)
        return router
    }

    // MARK: - Inspection (same data as the /sandbox endpoints)

    /// Every meeting, in creation order, with its host and the token that created it.
    public func meetings() async -> [SandboxMeeting] {
        await state.meetings
    }

    /// Every request outside `/sandbox`, oldest first.
    public func requestLog() async -> [SandboxRequest] {
        await state.requests
    }

    /// Forgets meetings, the request log, faults and quotas; tokens stay valid.
    public func reset() async {
        await state.reset()
    }
}
