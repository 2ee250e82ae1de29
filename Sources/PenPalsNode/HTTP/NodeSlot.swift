public import Foundation
import Hummingbird
import Synchronization

/// One classroom of a listen address: its url path, known from the config, and its
/// node, once its store is open. A listener answers before every classroom of a
/// large file is open (a district of a thousand is served as it opens, contract
/// §7.1): a request for a classroom still opening waits for it.
public final class NodeSlot: Sendable {
    /// The url's path without a trailing slash ("" at the root).
    public let pathPrefix: String

    private enum State {
        case opening([CheckedContinuation<ClassroomNode, any Error>])
        case open(ClassroomNode)
        case failed
    }

    private let state: Mutex<State>

    /// The classroom could not be opened.
    struct NotOpened: Error {}

    /// A classroom at `url`, still opening.
    public init(url: URL) {
        pathPrefix = ClassroomNode.pathPrefix(of: url)
        state = Mutex(.opening([]))
    }

    /// A classroom already open.
    public init(node: ClassroomNode) {
        pathPrefix = node.pathPrefix
        state = Mutex(.open(node))
    }

    /// The node, once open; nil while it opens or if it could not be opened.
    public var openNode: ClassroomNode? {
        state.withLock { if case .open(let node) = $0 { node } else { nil } }
    }

    /// How many requests wait for the classroom to open.
    var waiting: Int {
        state.withLock { if case .opening(let waiting) = $0 { waiting.count } else { 0 } }
    }

    /// The node, waiting while it opens.
    func node() async throws -> ClassroomNode {
        try await withCheckedThrowingContinuation { continuation in
            let result: Result<ClassroomNode, any Error>? = state.withLock { state in
                switch state {
                case .open(let node): return .success(node)
                case .failed: return .failure(NotOpened())
                case .opening(var waiting):
                    waiting.append(continuation)
                    state = .opening(waiting)
                    return nil
                }
            }
            if let result { continuation.resume(with: result) }
        }
    }

    /// The classroom is open: requests waiting for it go on.
    public func opened(_ node: ClassroomNode) {
        precondition(node.pathPrefix == pathPrefix, "a node at another path")
        for waiting in take(.open(node)) { waiting.resume(returning: node) }
    }

    /// The classroom could not be opened (the process is stopping): requests waiting get 503.
    public func failed() {
        for waiting in take(.failed) {
            waiting.resume(throwing: NotOpened())
        }
    }

    private func take(_ next: State) -> [CheckedContinuation<ClassroomNode, any Error>] {
        state.withLock { state in
            guard case .opening(let waiting) = state else { return [] }
            state = next
            return waiting
        }
    }
}

/// A classroom of a listen address: its requests go to the process's routes
/// (`nodeRoutes`) with the classroom in their context, once it is open.
final class NodeResponder: HTTPResponder, Sendable {
    typealias Context = BasicRequestContext

    let slot: NodeSlot
    /// Where the routes are mounted: "" (a node alone on its address), or its path.
    let root: String

    init(slot: NodeSlot, root: String) {
        self.slot = slot
        self.root = root
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        let node: ClassroomNode
        do {
            node = try await slot.node()
        } catch {
            return try APIError(.serviceUnavailable, "unavailable", "This classroom could not be opened; the server's log says why.")
                .response(from: request, context: context)
        }
        return try await nodeRoutes.respond(to: request, context: NodeRequestContext(source: .init(logger: context.logger, node: node, root: root)))
    }
}
