import Hummingbird
import Logging

/// A request to one classroom: Hummingbird's context and the classroom it is for,
/// which `NodeResponder` found by the request's url path. The routes read the node
/// from here, so one router, built once, serves every classroom of the process (a
/// router for each of a thousand classrooms cost half a millisecond to build on its
/// first request, and memory for as long as the process ran).
struct NodeRequestContext: RequestContext {
    struct Source: RequestContextSource {
        var logger: Logger
        var node: ClassroomNode
        /// Where the node's routes are mounted: "" alone on its address, else its url path.
        var root: String
    }

    var coreContext: CoreRequestContextStorage
    /// The classroom asked.
    let node: ClassroomNode
    /// Where its routes are mounted ("" at the root, "/lincoln/room-12" under a path):
    /// redirects, pages and the session cookie say so.
    let root: String

    init(source: Source) {
        coreContext = .init(source: source)
        node = source.node
        root = source.root
    }
}
