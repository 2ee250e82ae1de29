import Foundation
@testable import PenPalsNode
import Testing

/// `penpals serve` as a teacher's browser meets it: the sign-in link, the logs, and
/// a SIGTERM while a dashboard holds its event stream open.
@Suite("Dashboard under penpals serve", .serialized)
struct DashboardServeTests {
    @Test func sigtermWithAnOpenEventStreamExitsPromptlyAndTheLogsNeverCarryTheToken() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (portA, portB) = (try freePort(), try freePort())
        try twoNodeConfig(portA: portA, portB: portB, sandboxPort: try freePort())
            .write(to: folder.appendingPathComponent("nodes.toml"), atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["serve", "--config", "nodes.toml"]
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment["PENPALS_LOG_LEVEL"] = "trace"
        process.environment = environment
        let stdoutFile = folder.appendingPathComponent("stdout.log"), stderrFile = folder.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: stdoutFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrFile.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdoutFile)
        process.standardError = try FileHandle(forWritingTo: stderrFile)
        try process.run()
        defer { if process.isRunning { _ = CLI.stop(process, signal: SIGKILL) } }

        let tokenFile = folder.appendingPathComponent("data/room-12/api.token")
        try await eventually("room-12 answers") {
            guard let token = try? String(contentsOf: tokenFile, encoding: .utf8) else { return false }
            let answer = try? await RawAnswer.send(port: portA, "GET", "/api/status",
                                                   headers: ["Authorization": "Bearer \(token.trimmingCharacters(in: .whitespacesAndNewlines))"])
            return answer?.status == 200
        }
        let token = try String(contentsOf: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)

        // The sign-in link, a wrong one, the page, and the event stream, as a browser uses them.
        let signIn = try await RawAnswer.send(port: portA, "GET", "/?token=\(token)")
        #expect(signIn.status == 302)
        let cookie = try #require(signIn.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
        #expect(try await RawAnswer.send(port: portA, "GET", "/?token=\(token)x").status == 401)
        #expect(try await RawAnswer.send(port: portA, "GET", "/", headers: ["Cookie": cookie]).status == 200)
        #expect(try await RawAnswer.send(port: portA, "GET", "/webex/connect?token=\(token)").status == 302)
        let stream = try StreamingConnection(port: portA, path: "/api/events", headers: ["Cookie": cookie])
        defer { stream.stop() }
        try await stream.read(until: "the stream opens") { $0.contains(": connected") }

        let stopped = ContinuousClock.now
        kill(process.processIdentifier, SIGTERM)
        try await eventually("penpals serve exits after SIGTERM", timeout: .seconds(10)) { !process.isRunning }
        #expect(ContinuousClock.now - stopped < .seconds(5), "graceful shutdown does not wait for the open stream")
        #expect(process.terminationStatus == 0)
        try await stream.waitUntilEnded(timeout: .seconds(2))

        let stdout = try String(contentsOf: stdoutFile, encoding: .utf8)
        let stderr = try String(contentsOf: stderrFile, encoding: .utf8)
        #expect(stdout.contains("dashboard: http://127.0.0.1:\(portA)/?token=\(token)"), "the link is printed once, for the teacher")
        #expect(!stderr.isEmpty, "trace logging was on")
        #expect(!stderr.contains(token), "no token in the logs")
        #expect(!stderr.contains(DashboardSession.cookieValue(for: token)), "no session cookie in the logs")
    }
}
