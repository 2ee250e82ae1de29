import Foundation
import HTTPTypes
import Hummingbird

/// The responder of one listen address shared by several classrooms (contract §7.1):
/// a request goes to the node whose url path leads it, with that path taken off, so
/// each node answers its routes as if at the root; `<path>` alone is sent on to
/// `<path>/`, where the dashboard's relative links work.
struct PathDispatcher: HTTPResponder {
    typealias Context = BasicRequestContext

    /// Responders by url path ("/lincoln/room-12"); no path leads another (the config checks).
    let routes: [String: NodeResponder]
    /// The most segments a path of `routes` has.
    let depth: Int
    /// What answers a request under no path of `routes` (a lone node at the root); 404 without.
    let fallback: NodeResponder?

    init(_ routes: [String: NodeResponder], fallback: NodeResponder? = nil) {
        self.routes = routes
        self.depth = routes.keys.map { $0.split(separator: "/").count }.max() ?? 0
        self.fallback = fallback
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        let target = request.head.path ?? "/"
        let path = target.prefix { $0 != "?" }
        // The path's leading segments, shortest first, looked up as they are.
        var end = path.startIndex
        for _ in 0..<depth {
            guard end < path.endIndex, path[end] == "/" else { break }
            let next = path[path.index(after: end)...].firstIndex(of: "/") ?? path.endIndex
            let prefix = String(path[..<next])
            if let responder = routes[prefix] {
                if next == path.endIndex && fallback == nil {
                    var headers = HTTPFields()
                    headers[.location] = prefix + "/" + target.dropFirst(path.count)
                    return Response(status: .permanentRedirect, headers: headers)
                }
                var head = request.head
                let rest = target.dropFirst(prefix.count)
                head.path = rest.hasPrefix("/") ? String(rest) : "/" + rest
                return try await responder.respond(to: Request(head: head, body: request.body), context: context)
            }
            end = next
        }
        if let fallback { return try await fallback.respond(to: request, context: context) }
        // Outside every node's path: the contract's error body, as a node would answer.
        return try APIError.notFound("\(request.method) \(path)").response(from: request, context: context)
    }
}
