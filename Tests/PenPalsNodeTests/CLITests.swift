import Foundation
import PenPalsCore
import Testing

/// The `penpals` executable built beside this test bundle, run as a teacher or a script would.
enum CLI {
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("penpals")
    }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `penpals` with `arguments` to completion. Its output goes to files and its
    /// end is awaited without blocking a thread: a blocked thread of the small
    /// concurrency pool would stall every other test running beside this one.
    static func run(_ arguments: [String], in folder: URL) async throws -> Outcome {
        let name = UUID().uuidString
        let outFile = folder.appendingPathComponent(".\(name).out"), errFile = folder.appendingPathComponent(".\(name).err")
        defer {
            try? FileManager.default.removeItem(at: outFile)
            try? FileManager.default.removeItem(at: errFile)
        }
        guard FileManager.default.createFile(atPath: outFile.path, contents: nil),
              FileManager.default.createFile(atPath: errFile.path, contents: nil) else { throw TestFailure("cannot create output files") }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
        let status = await exit(of: process)
        return Outcome(status: status, stdout: try String(contentsOf: outFile, encoding: .utf8),
                       stderr: try String(contentsOf: errFile, encoding: .utf8))
    }

    /// Waits, without blocking a thread, until `process` has exited; returns its status.
    static func exit(of process: Process) async -> Int32 {
        while process.isRunning {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return process.terminationStatus
    }

    /// Sends `signal` and waits for the process to end (stopping it by its pid).
    static func terminate(_ process: Process, signal: Int32 = SIGTERM) async -> Int32 {
        kill(process.processIdentifier, signal)
        return await exit(of: process)
    }

    /// Starts a long-running `penpals` command; the caller stops it by process id.
    static func start(_ arguments: [String], in folder: URL, log: URL, environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = folder
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else { throw TestFailure("cannot create \(log.path)") }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    static func stop(_ process: Process, signal: Int32 = SIGTERM) -> Int32 {
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return process.terminationStatus
    }
}

func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("penpals-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

func twoNodeConfig(portA: Int, portB: Int, sandboxPort: Int, extra: String = "") -> String {
    """
    [webex]
    api_base      = "http://127.0.0.1:\(sandboxPort)/v1"
    authorize_url = "http://127.0.0.1:\(sandboxPort)/v1/authorize"
    client_id     = "sandbox-client"
    client_secret = "sandbox-secret"

    [[nodes]]
    name         = "room-12"
    display_name = "Room 12 · Lincoln Elementary"
    listen       = "127.0.0.1:\(portA)"
    url          = "http://127.0.0.1:\(portA)"
    data_dir     = "data/room-12"
    timezone     = "America/Chicago"
    \(extra)
    [[nodes]]
    name         = "kobe-4b"
    display_name = "4B · Kobe Minato School"
    listen       = "127.0.0.1:\(portB)"
    url          = "http://127.0.0.1:\(portB)"
    data_dir     = "data/kobe-4b"
    timezone     = "Asia/Tokyo"
    """
}

@Suite("The penpals command line", .serialized)
struct CLITests {
    @Test func badConfigExitsTwoWithOneLineAndCreatesNothing() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("nodes.toml")
        try twoNodeConfig(portA: try freePort(), portB: try freePort(), sandboxPort: 7400, extra: "colour = \"blue\"\n")
            .write(to: config, atomically: true, encoding: .utf8)
        let outcome = try await CLI.run(["serve", "--config", "nodes.toml"], in: folder)
        #expect(outcome.status == 2)
        let lines = outcome.stderr.split(separator: "\n")
        #expect(lines.count == 1, "one line: \(outcome.stderr)")
        #expect(outcome.stderr.hasPrefix("error: nodes.toml: nodes[0].colour"), "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("data").path), "nothing created")
    }

    @Test func portInUseExitsTwoBeforeAnyKeyIsMade() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let busy = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(busy) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(busy, $0, length) } }
        _ = listen(busy, 1)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(busy, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        try twoNodeConfig(portA: try freePort(), portB: port, sandboxPort: 7400)
            .write(to: folder.appendingPathComponent("nodes.toml"), atomically: true, encoding: .utf8)
        let outcome = try await CLI.run(["serve", "--config", "nodes.toml"], in: folder)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.split(separator: "\n").count == 1)
        #expect(outcome.stderr.hasPrefix("error: nodes.toml: nodes[1].listen"), "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("data/room-12/node.key").path))
    }

    @Test func commandsSayWhenTheNodeIsNotRunning() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = try freePort()
        try twoNodeConfig(portA: port, portB: try freePort(), sandboxPort: 7400)
            .write(to: folder.appendingPathComponent("nodes.toml"), atomically: true, encoding: .utf8)
        let several = try await CLI.run(["status", "--config", "nodes.toml"], in: folder)
        #expect(several.status == 2, "two nodes and no --node: \(several.stderr)")
        #expect(several.stderr.contains("--node"))
        // A data folder with a token, but no process.
        let dataDir = folder.appendingPathComponent("data/room-12")
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        try "secret\n".write(to: dataDir.appendingPathComponent("api.token"), atomically: true, encoding: .utf8)
        let outcome = try await CLI.run(["status", "--config", "nodes.toml", "--node", "room-12"], in: folder)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.split(separator: "\n").count == 1)
        #expect(outcome.stderr.contains("room-12"))
        #expect(outcome.stderr.contains("127.0.0.1:\(port)"))
    }

    /// The README's walk-through: invite → accept → join link with the CLI alone.
    @Test func inviteAcceptAndJoinLinkWithTheCommandLineAlone() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (portA, portB, sandboxPort) = (try freePort(), try freePort(), try freePort())
        try twoNodeConfig(portA: portA, portB: portB, sandboxPort: sandboxPort)
            .write(to: folder.appendingPathComponent("nodes.toml"), atomically: true, encoding: .utf8)
        let sandbox = try CLI.start(["webex-sandbox", "--listen", "127.0.0.1:\(sandboxPort)"], in: folder,
                                    log: folder.appendingPathComponent("sandbox.log"))
        let serve = try CLI.start(["serve", "--config", "nodes.toml"], in: folder, log: folder.appendingPathComponent("serve.log"))
        defer {
            _ = CLI.stop(serve, signal: SIGKILL)
            _ = CLI.stop(sandbox, signal: SIGKILL)
        }
        let config = ["--config", "nodes.toml"]
        try await eventually("both nodes answer") {
            let first = try await CLI.run(["status"] + config + ["--node", "room-12"], in: folder).status
            let second = try await CLI.run(["status"] + config + ["--node", "kobe-4b"], in: folder).status
            return first == 0 && second == 0
        }
        try await eventually("the sandbox answers") {
            (try? await HTTP.send("GET", "http://127.0.0.1:\(sandboxPort)/sandbox/meetings"))?.status == 200
        }

        let id = try await CLI.run(["id"] + config + ["--node", "room-12", "--json"], in: folder)
        #expect(id.status == 0)
        let card = try JSONSerialization.jsonObject(with: Data(id.stdout.utf8)) as? [String: Any]
        #expect((card?["node_id"] as? String).flatMap(NodeID.init) != nil)
        #expect((card?["card"] as? String)?.contains("[[peers]]") == true)

        // Connect room-12's WebEx: the URL the CLI prints, then the consent page.
        let connect = try await CLI.run(["webex", "connect"] + config + ["--node", "room-12", "--json"], in: folder)
        let authorize = try #require((try JSONSerialization.jsonObject(with: Data(connect.stdout.utf8)) as? [String: Any])?["authorize_url"] as? String)
        let state = try #require(URLComponents(string: authorize)?.queryItems?.first { $0.name == "state" }?.value)
        let connected = try await HTTP.send("POST", "http://127.0.0.1:\(sandboxPort)/v1/authorize", form: [
            ("response_type", "code"), ("client_id", "sandbox-client"), ("redirect_uri", "http://127.0.0.1:\(portA)/webex/callback"),
            ("scope", "meeting:schedules_read meeting:schedules_write"), ("state", state),
            ("email", "room12@lincoln.example"), ("decision", "allow"),
        ])
        #expect(connected.text.contains("WebEx is connected"))

        let (start, end) = tomorrow()
        let invited = try await CLI.run(["invite"] + config + ["--node", "room-12", "--to", "kobe-4b", "--title", "Seasons",
                                                         "--start", start, "--end", end], in: folder)
        #expect(invited.status == 0, "\(invited.stderr)")
        #expect(invited.stdout.contains("Meeting invitation sent to 4B · Kobe Minato School!"))

        var invitationID = ""
        try await eventually("kobe-4b lists the invitation") {
            let listed = try await CLI.run(["invitations"] + config + ["--node", "kobe-4b", "--json"], in: folder)
            let list = (try? JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])?["invitations"] as? [[String: Any]]
            invitationID = list?.first?["id"] as? String ?? ""
            return !invitationID.isEmpty
        }
        let text = try await CLI.run(["invitations"] + config + ["--node", "kobe-4b"], in: folder)
        #expect(text.stdout.contains("from Room 12 · Lincoln Elementary"))

        let accepted = try await CLI.run(["accept"] + config + ["--node", "kobe-4b", invitationID], in: folder)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(accepted.stdout.contains("join: http://127.0.0.1:\(sandboxPort)/meet/"), "\(accepted.stdout)")
        for node in ["room-12", "kobe-4b"] {
            let meetings = try await CLI.run(["meetings"] + config + ["--node", node], in: folder)
            #expect(meetings.stdout.contains("join: http://127.0.0.1:\(sandboxPort)/meet/"), "\(node): \(meetings.stdout)")
            #expect(meetings.stdout.contains("host: Room 12 · Lincoln Elementary"))
        }
        let refused = try await CLI.run(["retry"] + config + ["--node", "kobe-4b", invitationID], in: folder)
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("error: Only the classroom that sent this invitation can retry it"), "\(refused.stderr)")

        let synced = try await CLI.run(["sync"] + config + ["--node", "room-12"], in: folder)
        #expect(synced.status == 0)
        #expect(synced.stdout.contains("kobe-4b: sent 0, received 0"))

        // The invited classroom calls the meeting off: the inviting one no longer lists it.
        let cancelled = try await CLI.run(["cancel"] + config + ["--node", "kobe-4b", invitationID], in: folder)
        #expect(cancelled.status == 0, "\(cancelled.stderr)")
        #expect(cancelled.stdout.contains("Cancelled \"Seasons\" of Room 12 · Lincoln Elementary with"), "\(cancelled.stdout)")
        try await eventually("room-12 lists no meeting") {
            let meetings = try await CLI.run(["meetings"] + config + ["--node", "room-12"], in: folder)
            return meetings.status == 0 && !meetings.stdout.contains("join:")
        }

        #expect(await CLI.terminate(serve) == 0, "SIGTERM finishes and exits 0")
        #expect(await CLI.terminate(sandbox) == 0)
    }
}
