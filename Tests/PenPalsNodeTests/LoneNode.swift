import Foundation
import Logging
import PenPalsCore
@testable import PenPalsNode
import PenPalsStore

extension ClassroomNode {
    /// Node "a" (`key`), in memory and without a server, whose one peer "b" (`peer`)
    /// it reaches only through `transport`.
    static func lone(key: NodeKey, peer: NodeKey, transport: some PeerTransport,
                     jitter: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) async throws -> ClassroomNode {
        let a = Classroom(id: key.id, name: "a", displayName: "A", url: URL(string: "http://127.0.0.1:9")!)
        let b = Classroom(id: peer.id, name: "b", displayName: "B", url: URL(string: "http://127.0.0.1:9")!)
        var logger = Logger(label: "lone")
        logger.logLevel = .critical
        return try await ClassroomNode.open(settings: NodeSettings(local: a, key: key, apiToken: "t", timezone: .gmt, peers: [b], webex: nil),
                                       store: try NodeStore(), logger: logger, transport: transport, jitter: jitter)
    }
}
