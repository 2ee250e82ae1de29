import Foundation
import PenPalsCore
import Testing
import WebexSandbox

/// `penpals serve` killed with SIGKILL while its WebEx create call is in flight:
/// after a restart the job looks the meeting up by its integration tag, so there
/// is exactly one WebEx meeting. Part of the serialized process suite, so that
/// process tests do not run side by side on a small machine.
extension ProcessFailureTests {
    @Test func senderKilledDuringTheCreateCallMakesExactlyOneMeetingAfterRestart() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ports = ["room-12": try freePort(), "kobe-4b": try freePort()]
        let sandboxPort = try freePort()
        let sandboxURL = "http://127.0.0.1:\(sandboxPort)"
        try ("sync_interval = 5\n" + twoNodeConfig(portA: ports["room-12"]!, portB: ports["kobe-4b"]!, sandboxPort: sandboxPort))
            .write(to: folder.appendingPathComponent("nodes.toml"), atomically: true, encoding: .utf8)

        var processes: [String: Process] = [:]
        defer { for process in processes.values where process.isRunning { _ = CLI.stop(process, signal: SIGKILL) } }
        processes["sandbox"] = try CLI.start(["webex-sandbox", "--listen", "127.0.0.1:\(sandboxPort)"], in: folder,
                                             log: folder.appendingPathComponent("sandbox.log"))
        try await eventually("the sandbox answers") {
            (try? await HTTP.send("GET", sandboxURL + "/sandbox/meetings"))?.status == 200
        }
        var tokens: [String: String] = [:]
        func start(_ name: String) async throws {
            // WebEx calls count as lost after 4 s, so a restarted node waits 8 s after the killed call began.
            processes[name] = try CLI.start(["serve", "--config", "nodes.toml", "--node", name], in: folder,
                                            log: folder.appendingPathComponent("\(name).log"),
                                            environment: ["PENPALS_WEBEX_TIMEOUT": "4"])
            try await eventually("\(name) answers") {
                if tokens[name] == nil {
                    tokens[name] = try? String(contentsOf: folder.appendingPathComponent("data/\(name)/api.token"), encoding: .utf8)
                        .trimmingCharacters(in: .whitespacesAndNewlines)
                }
                return (try? await api(name, "GET", "/api/status"))?.status == 200
            }
        }
        @Sendable func api(_ name: String, _ method: String, _ path: String, token: String?, json: [String: Any]? = nil) async throws -> HTTPAnswer {
            var headers = ["Authorization": "Bearer \(token ?? "")"]
            if json != nil { headers["Content-Type"] = "application/json" }
            return try await HTTP.send(method, "http://127.0.0.1:\(ports[name]!)" + path, headers: headers, body: json.map(HTTP.json))
        }
        func api(_ name: String, _ method: String, _ path: String, json: [String: Any]? = nil) async throws -> HTTPAnswer {
            try await api(name, method, path, token: tokens[name], json: json)
        }
        func status(_ id: String, at name: String) async throws -> String? {
            let list = try await api(name, "GET", "/api/webex/invitations?box=all&status=all").object["invitations"] as? [[String: Any]]
            return list?.first { $0["id"] as? String == id }?["status"] as? String
        }
        func sandboxMeetings() async throws -> [[String: Any]] {
            let answer = try await HTTP.send("GET", sandboxURL + "/sandbox/meetings")
            return (try? JSONSerialization.jsonObject(with: answer.data) as? [[String: Any]]) ?? []
        }

        try await start("room-12")
        try await start("kobe-4b")

        // room-12 connects its WebEx account at the sandbox.
        let connect = try await api("room-12", "POST", "/api/webex/connect")
        let authorize = try #require(connect.object["authorize_url"] as? String)
        let state = try #require(URLComponents(string: authorize)?.queryItems?.first { $0.name == "state" }?.value)
        let connected = try await HTTP.send("POST", sandboxURL + "/v1/authorize", form: [
            ("response_type", "code"), ("client_id", "sandbox-client"), ("redirect_uri", "http://127.0.0.1:\(ports["room-12"]!)/webex/callback"),
            ("scope", "meeting:schedules_read meeting:schedules_write"), ("state", state),
            ("email", "room12@lincoln.example"), ("decision", "allow"),
        ])
        #expect(connected.text.contains("WebEx is connected"))

        let (startTime, endTime) = tomorrow()
        let invited = try await api("room-12", "POST", "/api/webex/meeting", json: [
            "classroom_id": "kobe-4b", "title": "Killed mid-call", "start_time": startTime, "end_time": endTime,
        ])
        let id = try #require((invited.object["invitation"] as? [String: Any])?["id"] as? String, "\(invited.text)")
        try await eventually("kobe-4b has the invitation") { try await status(id, at: "kobe-4b") == "pending" }

        // WebEx holds the create call for 3 s; room-12 is killed while it waits.
        let fault = try await HTTP.send("POST", sandboxURL + "/sandbox/faults", headers: ["Content-Type": "application/json"],
                                        body: HTTP.json(["endpoint": "POST /v1/meetings", "delay_ms": 3000, "count": 1]))
        #expect(fault.status == 204)
        let kobeToken = tokens["kobe-4b"]
        let accept = Task { try await api("kobe-4b", "POST", "/api/webex/invitations/\(id)/accept", token: kobeToken).status }
        try await eventually("the create call reached WebEx") {
            let pending = try await HTTP.send("GET", sandboxURL + "/sandbox/faults").object["faults"] as? [[String: Any]]
            return pending?.isEmpty == true
        }
        let sender = try #require(processes["room-12"])
        _ = await terminate(sender, signal: SIGKILL)
        processes["room-12"] = nil
        #expect(sender.terminationReason == .uncaughtSignal)

        // Restart at once, while WebEx is still working on the dead node's call: the
        // node must wait for that call to end before it looks the meeting up.
        try await start("room-12")
        try await eventually("both nodes show the invitation scheduled", timeout: .seconds(30)) {
            let sender = try await status(id, at: "room-12")
            let receiver = try await status(id, at: "kobe-4b")
            return sender == "scheduled" && receiver == "scheduled"
        }
        _ = await accept.result
        let meetings = try await sandboxMeetings()
        #expect(meetings.count == 1, "exactly one WebEx meeting, the one the killed call made")
        #expect((meetings.first?["integrationTags"] as? [String]) == ["penpals-\(id)"])

        let log = try await HTTP.send("GET", sandboxURL + "/sandbox/requests")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let requests = try decoder.decode([SandboxRequest].self, from: log.data)
        #expect(requests.filter { $0.method == "POST" && $0.path == "/v1/meetings" }.count == 1,
                "the restarted node adopted the meeting instead of creating another")
        #expect(requests.contains { $0.method == "GET" && $0.path == "/v1/meetings" && $0.queryValue("integrationTag") == "penpals-\(id)" },
                "looked up by integrationTag after the restart")
        try expectConformingRequests(requests)

        for name in ["room-12", "kobe-4b", "sandbox"] {
            if let process = processes[name] { #expect(await terminate(process, signal: SIGTERM) == 0, "\(name) stops on SIGTERM") }
            processes[name] = nil
        }
    }
}

/// Signals a process and waits for it to end without blocking a thread of the
/// concurrency pool (`waitUntilExit` would, and the other tests running in
/// parallel need those threads).
func terminate(_ process: Process, signal: Int32) async -> Int32 {
    kill(process.processIdentifier, signal)
    let deadline = ContinuousClock.now + .seconds(30)
    while process.isRunning, ContinuousClock.now < deadline {
        try? await Task.sleep(for: .milliseconds(20))
    }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
    return process.terminationStatus
}
