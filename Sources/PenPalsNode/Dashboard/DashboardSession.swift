import Foundation
import HTTPTypes
import Hummingbird
import PenPalsCore

/// The dashboard's sign-in: the link `penpals serve` prints carries the API token
/// once; the browser then holds an HttpOnly, SameSite=Strict cookie derived from
/// it, and every state-changing request made with that cookie must also carry
/// the session's CSRF value, which only the node's own page can read.
enum DashboardSession {
    static let cookieName = "penpals_session"
    static let lifetime = 30 * 24 * 3600

    static func cookieValue(for token: String) -> String { SecretCompare.derive(token, purpose: "penpals-session") }

    /// The value the page sends as `X-PenPals-CSRF`; it reads it from `GET /api/session`.
    static func csrfValue(for token: String) -> String { SecretCompare.derive(token, purpose: "penpals-csrf") }

    /// Whether the request carries `Authorization: Bearer <token>` (any case of `Bearer`; the token may have
    /// spaces or tabs around it). Read on every API request, twice: on the bytes, not
    /// through Foundation's `trimmingCharacters`, which cost more than the rest of the check.
    static func hasBearer(_ request: Request, token: String) -> Bool {
        guard let header = request.headers[.authorization] else { return false }
        var given = Substring(header).utf8
        // The scheme's name is case-insensitive (RFC 9110 §11.1): `bearer` is `Bearer`.
        guard given.count > 7, given.prefix(6).elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 }),
              given.dropFirst(6).first == UInt8(ascii: " ") else { return false }
        given = given.dropFirst(7)
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        while let first = given.first, isBlank(first) { given = given.dropFirst() }
        while let last = given.last, isBlank(last) { given = given.dropLast() }
        return SecretCompare.equal(String(Substring(given)), token)
    }

    /// Whether the request carries this node's session. Browsers share cookies between
    /// the ports of one host, so the nodes of one host (the demo's two classrooms, a
    /// school's rooms) share one `penpals_session` cookie: it holds up to
    /// `maxSessions` session values separated by dots, and each node finds its own.
    static func hasCookie(_ request: Request, token: String) -> Bool {
        guard let cookie = request.cookies[cookieName]?.value else { return false }
        let own = cookieValue(for: token)
        var found = false
        for part in cookie.split(separator: ".") where SecretCompare.equal(String(part), own) { found = true }
        return found
    }

    static let maxSessions = 8

    /// The cookie that signs this node in, keeping the sessions of other nodes of the host.
    /// Scoped to `path`, the node's url path: co-hosted classrooms under one name each
    /// keep their own (contract §7.1).
    static func cookie(for token: String, joining existing: String?, secure: Bool, path: String = "/") -> Cookie {
        let own = cookieValue(for: token)
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var sessions = (existing ?? "").split(separator: ".").map(String.init)
            .filter { $0 != own && $0.count == own.count && $0.allSatisfy(allowed.contains) }
        sessions.append(own)
        return Cookie(name: cookieName, value: sessions.suffix(maxSessions).joined(separator: "."), maxAge: lifetime, path: path,
                      secure: secure, httpOnly: true, sameSite: .strict)
    }
}

/// Refuses cross-site forgery of state-changing requests that rely on the dashboard
/// cookie: they must carry the session's `X-PenPals-CSRF` value and, where the
/// browser names an `Origin`, come from the node's own origin. Requests with the
/// API token as bearer (the command line, scripts) are not affected. Runs after
/// `TokenAuthMiddleware`, so the request is known to be signed in one way or the other.
/// The dashboard is served from the origin of the node's `url`.
struct CSRFMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext

    static func isSafe(_ method: HTTPRequest.Method) -> Bool { [.get, .head, .options].contains(method) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let token = context.node.settings.apiToken, nodeURL = context.node.directory.local.url
        if Self.isSafe(request.method) || DashboardSession.hasBearer(request, token: token) {
            return try await next(request, context)
        }
        if let origin = request.headers[.origin], !Self.isOwn(origin: origin, nodeURL: nodeURL, authority: request.head.authority) {
            throw APIError(.forbidden, "csrf",
                           "This request came from another site (\(origin)); the dashboard accepts changes only from its own page. Open the dashboard and try again there.")
        }
        guard let given = request.headers[.xPenPalsCSRF], SecretCompare.equal(given, DashboardSession.csrfValue(for: token)) else {
            throw APIError(.forbidden, "csrf",
                           "This change was sent with the dashboard's sign-in but without its X-PenPals-CSRF value; reload the dashboard and try again.")
        }
        return try await next(request, context)
    }

    /// An origin is the node's own when it is the origin of its `url`, or the host the
    /// browser addressed (a node reached under another name, e.g. `localhost`).
    static func isOwn(origin: String, nodeURL: URL, authority: String?) -> Bool {
        guard let given = Endpoint(origin) else { return false }
        if let own = Endpoint(nodeURL.absoluteString), own == given { return true }
        if let authority, let addressed = Endpoint("\(given.scheme)://\(authority)"), addressed == given { return true }
        return false
    }

    /// scheme, host and port (the default port filled in), as origins compare.
    struct Endpoint: Equatable {
        var scheme: String
        var host: String
        var port: Int

        init?(_ text: String) {
            guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
                  let host = components.host?.lowercased(), !host.isEmpty else { return nil }
            let defaultPort: Int
            switch scheme {
            case "http": defaultPort = 80
            case "https": defaultPort = 443
            default: return nil
            }
            self.scheme = scheme
            self.host = host
            self.port = components.port ?? defaultPort
        }
    }
}
