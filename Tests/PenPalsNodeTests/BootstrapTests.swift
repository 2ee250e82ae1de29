import Foundation
import Logging
import PenPalsConfig
import PenPalsCore
@testable import PenPalsNode
import Synchronization
import Testing

@Suite("A process starts the classrooms of its file side by side")
struct BootstrapTests {
    @Test func blockingWorkRunsOnItsThreadsAndAnswersInOrder() throws {
        let ran = Mutex<Set<Int>>([])
        let squares = try concurrently(50, width: 8) { index -> Int in
            ran.withLock { _ = $0.insert(index) }
            return index * index
        }
        #expect(squares == (0..<50).map { $0 * $0 })
        #expect(ran.withLock { $0.count } == 50)

        // The first failure by index is the one thrown, after every index ran.
        struct Failed: Error, Equatable { var index: Int }
        ran.withLock { $0 = [] }
        #expect(throws: Failed(index: 7)) {
            try concurrently(40, width: 8) { index -> Int in
                ran.withLock { _ = $0.insert(index) }
                if index == 7 || index == 31 { throw Failed(index: index) }
                return index
            }
        }
        #expect(ran.withLock { $0.count } == 40)
    }

    @Test func manyClassroomsOfOneFileStartAndStartAgainAsTheSameClassrooms() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let names = (0..<40).map { "room-\($0)" }
        let config = PenPalsConfig(
            file: folder.appendingPathComponent("nodes.toml"), webex: nil,
            nodes: names.map { name in
                NodeConfig(name: name, displayName: name, listen: ListenAddress("127.0.0.1:7411")!,
                           url: URL(string: "http://127.0.0.1:7411/district/\(name)")!,
                           dataDir: folder.appendingPathComponent(name), timezone: "UTC")
            }, peers: [])

        func start() async throws -> [ClassroomNode] {
            try NodeBootstrap.prepareKeys(config)
            let roster = try NodeBootstrap.roster(of: config)
            let host = NodeHost(nodes: try config.nodes.map { try NodeBootstrap.nodeID(of: $0, in: config) })
            return try await NodeBootstrap.makeNodes(config.nodes, in: config, roster: roster, host: host) {
                Logger(label: "test.\($0.name)")
            }
        }
        let first = try await start()
        #expect(first.map(\.settings.local.name) == names, "in the file's order")
        #expect(Set(first.map(\.id)).count == names.count, "each its own key")
        for node in first {
            // Every other classroom is a peer; none has a row before the pair talks.
            #expect(try await node.statusView().peers.map(\.name) == names.filter { $0 != node.settings.local.name }.sorted())
            #expect(try await node.store.read { try $0.peers() }.isEmpty)
        }
        let again = try await start()
        #expect(again.map(\.id) == first.map(\.id), "the keys made on the first start are kept")
    }
}
