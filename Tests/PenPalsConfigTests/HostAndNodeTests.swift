import Foundation
import PenPalsCore
import Testing
@testable import PenPalsConfig
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct CheckHostTests {
    @Test func freeAddressAndNewDataDirPass() throws {
        let dir = TempDir()
        let port = freePort()
        let config = try load(nodeBlock("room-12", port: port, set: ["data_dir": "\"data/deep/room-12\""]), in: dir)
        try config.checkHost(nodes: config.nodes)
        // Nothing was created.
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/data"))
        // The socket was closed again: the port can be bound once more.
        try config.checkHost(nodes: config.nodes)
    }

    @Test func existingWritableDataDirPasses() throws {
        let dir = TempDir()
        dir.write("data/room-12/keep", "")
        let config = try load(nodeBlock("room-12", port: freePort()), in: dir)
        try config.checkHost(nodes: config.nodes)
    }

    @Test func portInUseIsRefused() throws {
        let (fd, port) = listeningSocket()
        defer { close(fd) }
        let dir = TempDir()
        let config = try load(nodeBlock("a", port: freePort()) + nodeBlock("b", port: port), in: dir)
        do {
            try config.checkHost(nodes: config.nodes)
            Issue.record("bound a port in use")
        } catch {
            #expect(error.key == "nodes[1].listen")
            #expect(error.problem == "\"127.0.0.1:\(port)\" is already in use")
            expectOneLine(error, file: dir.path + "/nodes.toml")
        }
        // With --node a only that node is checked.
        try config.checkHost(nodes: [try config.node(named: "a")])
    }

    @Test func wildcardOverAnAddressInUseIsRefused() throws {
        let (fd, port) = listeningSocket()
        defer { close(fd) }
        let config = try load(nodeBlock("a", port: port, set: ["listen": "\"0.0.0.0:\(port)\""]))
        #expect(throws: ConfigError.self) { try config.checkHost(nodes: config.nodes) }
    }

    @Test func dataDirThatIsAFileIsRefused() throws {
        let dir = TempDir()
        dir.write("data/room-12", "not a folder")
        let config = try load(nodeBlock("room-12", port: freePort()), in: dir)
        do {
            try config.checkHost(nodes: config.nodes)
            Issue.record("accepted a file as data_dir")
        } catch {
            #expect(error.key == "nodes[0].data_dir")
            #expect(error.problem.contains("is a file, not a folder"))
            expectOneLine(error, file: dir.path + "/nodes.toml")
        }
    }

    @Test func dataDirUnderAFileIsRefused() throws {
        let dir = TempDir()
        dir.write("data", "a file where a folder should be")
        let config = try load(nodeBlock("a", port: freePort()) + nodeBlock("room-12", port: freePort(), set: ["data_dir": "\"data/x/room-12\""]), in: dir)
        // The first node's data_dir ("data/a") is under the file too.
        do {
            try config.checkHost(nodes: [config.nodes[1]])
            Issue.record("accepted a data_dir under a file")
        } catch {
            #expect(error.key == "nodes[1].data_dir")
            #expect(error.problem.contains("cannot be created"))
            #expect(error.problem.contains("is a file, not a folder"))
            expectOneLine(error, file: dir.path + "/nodes.toml")
        }
    }

    @Test func unknownHostIsRefused() throws {
        let config = try load(nodeBlock("a", port: 7411, set: ["listen": "\"no-such-host.invalid:7411\""]))
        do {
            try config.checkHost(nodes: config.nodes)
            Issue.record("bound an unknown host")
        } catch {
            #expect(error.key == "nodes[0].listen")
        }
    }
}

@Suite struct NodeSelectionTests {
    @Test func onlyNodeWithoutName() throws {
        let config = try load(nodeBlock("room-12", port: 7411))
        #expect(try config.node(named: nil).name == "room-12")
        #expect(try config.node(named: "room-12").name == "room-12")
    }

    @Test func severalNodesNeedAName() throws {
        let dir = TempDir()
        let config = try load(nodeBlock("room-12", port: 7411) + nodeBlock("kobe-4b", port: 7412), in: dir)
        #expect(try config.node(named: "kobe-4b").listen.port == 7412)
        do {
            _ = try config.node(named: nil)
            Issue.record("picked a node")
        } catch {
            #expect(error.key == "--node")
            #expect(error.problem.contains("room-12, kobe-4b"))
            #expect(error.fix.contains("--node NAME"))
            expectOneLine(error, file: dir.path + "/nodes.toml")
        }
    }

    @Test func unknownName() throws {
        let config = try load(nodeBlock("room-12", port: 7411) + nodeBlock("kobe-4b", port: 7412))
        do {
            _ = try config.node(named: "paris")
            Issue.record("found paris")
        } catch {
            #expect(error.key == "--node")
            #expect(error.problem == "there is no node named \"paris\"")
            #expect(error.fix.contains("room-12, kobe-4b"))
        }
        do {
            _ = try config.node(named: "room-21")
            Issue.record("found room-21")
        } catch {
            #expect(error.fix.contains("Did you mean --node room-12?"))
        }
    }

    @Test func peerIsNotANode() throws {
        let config = try load(nodeBlock("room-12", port: 7411) + peerBlock("oslo-7a", key: keyA))
        do {
            _ = try config.node(named: "oslo-7a")
            Issue.record("picked a peer")
        } catch {
            #expect(error.problem.contains("is a peer"))
            #expect(error.fix.contains("room-12"))
        }
    }
}
