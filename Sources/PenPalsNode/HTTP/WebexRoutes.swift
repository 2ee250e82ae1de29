import Foundation
import Hummingbird
import PenPalsCore
import Webex

/// Connecting the classroom's WebEx account (OAuth authorization code flow).
struct WebexRoutes {
    func register(on router: Router<NodeRequestContext>) {
        router.get("webex/connect") { request, context in
            let node = context.node
            guard TokenAuthMiddleware.isAuthorised(request, token: node.settings.apiToken, allowQuery: true) else {
                throw APIError.unauthorized
            }
            return Response(status: .found, headers: [.location: try await node.webexAuthorizeURL().absoluteString])
        }
        router.get("webex/callback") { request, context in
            let (node, root) = (context.node, context.root)
            let query = request.uri.queryParameters
            let outcome = await node.completeWebexConnect(code: query.get("code").map { String($0) },
                                                          state: query.get("state").map { String($0) },
                                                          error: query.get("error").map { String($0) })
            return page(title: outcome.ok ? "WebEx is connected" : "WebEx is not connected",
                        message: outcome.message, status: outcome.ok ? .ok : .badRequest, root: root)
        }
    }
}

/// A small HTML page for people (OAuth outcomes, sign-in), styled by the dashboard's
/// stylesheet (the pages allow no inline styles), with a link back to the dashboard.
/// `root` is the node's url path ("" at the root, "/lincoln/room-12" under one).
func page(title: String, message: String, status: HTTPResponse.Status = .ok, backLink: Bool = true, root: String) -> Response {
    let back = backLink ? "<p><a class=\"button primary\" href=\"\(htmlEscape(root))/\">Back to the dashboard</a></p>" : ""
    let html = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(htmlEscape(title)) · PenPals</title><link rel="stylesheet" href="\(htmlEscape(root))/static/app.css"></head>
        <body class="notice-page"><main><h1>\(htmlEscape(title))</h1><p>\(htmlEscape(message))</p>\(back)</main></body></html>
        """
    return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
}

func htmlEscape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

extension ClassroomNode {
    static let oauthStateLifetime: TimeInterval = 600
    static let webexScope = "meeting:schedules_read meeting:schedules_write"

    var redirectURI: String { directory.local.url.absoluteString + "/webex/callback" }

    /// A fresh authorize URL with a random, single-use `state` valid for 10 minutes.
    public func webexAuthorizeURL() async throws -> URL {
        guard let webex else {
            throw APIError(.unprocessableContent, "webex_not_configured",
                           "WebEx is not set up for this node: add a [webex] section to the config file.")
        }
        let state = SecureRandom.token()
        let expires = now().addingTimeInterval(Self.oauthStateLifetime)
        try await store.write { try $0.addOAuthState(state, expiresAt: expires) }
        return webex.client.authorizeURL(redirectURI: redirectURI, state: state)
    }

    /// Finishes the OAuth flow; returns a message for the teacher either way.
    public func completeWebexConnect(code: String?, state: String?, error: String?) async -> (ok: Bool, message: String) {
        guard let webex else { return (false, "WebEx is not set up for this node.") }
        let time = now()
        let validState: Bool
        if let state {
            validState = (try? await store.write { try $0.consumeOAuthState(state, now: time) }) ?? false
        } else {
            validState = false
        }
        guard validState else {
            return (false, "This connection link is unknown, already used or older than 10 minutes. Start again with \"Connect WebEx\".")
        }
        if let error {
            let reason = switch error {
            case "access_denied": "access was denied on the WebEx page"
            case "invalid_scope": "WebEx refused the permissions PenPals asks for"
            default: "WebEx reported \(error)"
            }
            return (false, "WebEx was not connected: \(reason). Start again with \"Connect WebEx\".")
        }
        guard let code, !code.isEmpty else { return (false, "WebEx sent no authorization code. Start again with \"Connect WebEx\".") }
        do {
            try await webex.account.connect(code: code, redirectURI: redirectURI)
            try await resumeJobsWaitingForWebex()
            changes.publish(Change(kind: .webex))
            logger.info("WebEx connected")
            return (true, "\(directory.local.displayName) can now create WebEx meetings. Go back to the dashboard, or close this page.")
        } catch {
            logger.warning("WebEx connection failed", metadata: ["error": "\(error)"])
            return (false, "WebEx refused the connection (\(error)). Start again with \"Connect WebEx\".")
        }
    }
}
