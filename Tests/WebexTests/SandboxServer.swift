import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Webex
import WebexSandbox

/// A sandbox running on 127.0.0.1 for the length of one test, with a client pointed at it.
struct SandboxServer: Sendable {
    static let redirectURI = "http://127.0.0.1:9/webex/callback"

    let sandbox: WebexSandbox
    let port: Int

    var base: String { "http://127.0.0.1:\(port)" }

    var settings: WebexSettings {
        WebexSettings(
            apiBase: URL(string: base + "/v1")!,
            authorizeURL: URL(string: base + "/v1/authorize")!,
            clientID: "sandbox-client",
            clientSecret: "sandbox-secret"
        )
    }

    func client(timeout: TimeInterval = 10) -> WebexClient {
        WebexClient(settings: settings, timeout: timeout)
    }

    /// Starts a sandbox on a free port, runs `body`, then stops the server.
    static func with<T: Sendable>(
        accessTokenLifetime: TimeInterval = 1_209_600,
        meetingsPerDay: Int = 100,
        _ body: (SandboxServer) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "webex-sandbox-test")
        // Stopping by cancellation makes Hummingbird log open keep-alive connections as errors.
        logger.logLevel = .critical
        let sandbox = WebexSandbox(logger: logger, accessTokenLifetime: accessTokenLifetime, meetingsPerDay: meetingsPerDay)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await sandbox.run(host: "127.0.0.1", port: 0) { port in continuation.yield(port) }
                } catch {
                    continuation.finish()
                    throw error
                }
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await group.next()
                throw SandboxDidNotStart()
            }
            defer { group.cancelAll() }
            return try await body(SandboxServer(sandbox: sandbox, port: port))
        }
    }

    struct SandboxDidNotStart: Error {}

    // MARK: - Consent, as a teacher's browser would give it

    /// Goes through the consent page and answers with the code from the redirect.
    func consent(email: String = "ms.garcia@school.example", state: String = "s-123") async throws -> String {
        let authorize = client().authorizeURL(redirectURI: Self.redirectURI, state: state)
        let (page, pageResponse) = try await HTTP.send("GET", authorize.absoluteString)
        guard pageResponse.statusCode == 200 else { throw ConsentFailed(reason: "consent page \(pageResponse.statusCode)") }
        guard page.contains("wants to schedule meetings for you") else { throw ConsentFailed(reason: "no consent text") }
        let (_, answer) = try await HTTP.send("POST", base + "/v1/authorize", form: [
            ("response_type", "code"), ("client_id", settings.clientID), ("redirect_uri", Self.redirectURI),
            ("scope", WebexClient.scopes.joined(separator: " ")), ("state", state),
            ("email", email), ("decision", "allow"),
        ])
        guard answer.statusCode == 302,
              let location = answer.value(forHTTPHeaderField: "Location"),
              let items = URLComponents(string: location)?.queryItems,
              let code = items.first(where: { $0.name == "code" })?.value,
              items.first(where: { $0.name == "state" })?.value == state
        else { throw ConsentFailed(reason: "bad redirect \(answer.statusCode)") }
        return code
    }

    /// Consent plus code exchange: the tokens a freshly connected classroom holds.
    func connect(email: String = "ms.garcia@school.example") async throws -> WebexTokens {
        let code = try await consent(email: email)
        return try await client().exchangeCode(code, redirectURI: Self.redirectURI)
    }

    struct ConsentFailed: Error { var reason: String }

    // MARK: - Control

    /// `POST /sandbox/faults` with a JSON body.
    func fault(_ json: String) async throws {
        let (_, response) = try await HTTP.send("POST", base + "/sandbox/faults", json: json)
        guard response.statusCode == 204 else { throw ConsentFailed(reason: "fault refused: \(response.statusCode)") }
    }

    /// How many refresh grants the sandbox has served.
    func refreshCount() async -> Int {
        await sandbox.requestLog().filter {
            $0.path == "/v1/access_token" && $0.formValue("grant_type") == "refresh_token"
        }.count
    }
}
