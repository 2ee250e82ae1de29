import Foundation
import HTTPTypes
import Hummingbird
import PenPalsCore

/// `/` and `/static/…`: the classroom's dashboard, a page that uses only the local API.
///
/// `/?token=…` (the link `penpals serve` prints) sets the session cookie and
/// redirects at once, so the token leaves the address bar and the history.
struct DashboardRoutes {
    let assets: DashboardAssets

    func register(on router: Router<NodeRequestContext>) {
        router.get("/") { request, context in
            let (node, root) = (context.node, context.root)
            let token = node.settings.apiToken
            if let given = request.uri.queryParameters.get("token") {
                guard SecretCompare.equal(String(given), token) else {
                    return page(title: "Sign-in failed",
                                message: "This sign-in link is not valid for this classroom. Use the link printed by `penpals serve`.",
                                status: .unauthorized, root: root)
                }
                var response = Response(status: .found, headers: [.location: root + "/"])
                response.setCookie(DashboardSession.cookie(for: token, joining: request.cookies[DashboardSession.cookieName]?.value,
                                                           secure: node.directory.local.url.scheme == "https",
                                                           path: root.isEmpty ? "/" : root))
                return response
            }
            guard DashboardSession.hasCookie(request, token: token) || DashboardSession.hasBearer(request, token: token) else {
                return page(title: "PenPals · \(node.directory.local.displayName)",
                            message: "Open the sign-in link that `penpals serve` printed for this classroom (it ends in ?token=…). After that, this browser stays signed in for 30 days.",
                            status: .unauthorized, backLink: false, root: root)
            }
            guard let index = assets.file("index.html") else {
                node.logger.error("dashboard files not found", metadata: ["looked_in": "\(assets.searched.joined(separator: ", "))"])
                return page(title: "Dashboard files missing",
                            message: "The node is running, but the dashboard's files (\(DashboardAssets.bundleName)) are not beside the penpals program. Install that folder with the program.",
                            status: .internalServerError, backLink: false, root: root)
            }
            return Self.serve(index)
        }
        router.get("static/:file") { _, context in
            guard let name = context.parameters.get("file"), let file = assets.file(name) else {
                throw APIError.notFound("The file /static/\(context.parameters.get("file") ?? "")")
            }
            return Self.serve(file)
        }
    }

    static func serve(_ file: DashboardAssets.File) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = file.contentType
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: file.data)))
    }
}

/// `/api/session` and `/api/events`: what the dashboard needs beyond the API the command line uses.
struct DashboardAPIRoutes {
    func register(on api: RouterGroup<NodeRequestContext>) {
        api.get("session") { _, context in
            let node = context.node
            struct Body: Encodable {
                var csrfToken: String
                enum CodingKeys: String, CodingKey { case csrfToken = "csrf_token" }
            }
            return JSONResponse.make(Body(csrfToken: DashboardSession.csrfValue(for: node.settings.apiToken)))
        }
        api.get("events") { _, context in Self.eventStream(of: context.node) }
    }

    /// Server-Sent Events: `event: change` with `{"kind", "invitations"}` after every
    /// committed change the dashboard shows, a comment as heartbeat, and the end of
    /// the stream when the node shuts down.
    static func eventStream(of node: ClassroomNode) -> Response {
        let changes = node.changes.subscribe()
        let heartbeat = node.settings.eventHeartbeat
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            enum Item: Sendable { case change(Change), beat }
            let (items, continuation) = AsyncStream.makeStream(of: Item.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await change in changes { continuation.yield(.change(change)) }
                    continuation.finish()
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: heartbeat)
                        continuation.yield(.beat)
                    }
                }
                defer { group.cancelAll() }
                try await writer.write(ByteBuffer(string: "retry: 1000\n: connected\n\n"))
                for await item in items {
                    switch item {
                    case .change(let change): try await writer.write(ByteBuffer(string: Self.frame(change)))
                    case .beat: try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                    }
                }
            }
            try await writer.finish(nil)
        })
    }

    static func frame(_ change: Change) -> String {
        let ids = change.invitations.map { "\"\($0.lowercasedString)\"" }.joined(separator: ",")
        return "event: change\ndata: {\"kind\":\"\(change.kind.rawValue)\",\"invitations\":[\(ids)]}\n\n"
    }
}
