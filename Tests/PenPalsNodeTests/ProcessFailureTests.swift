import Foundation
import PenPalsCore
import Testing

/// Two `penpals serve` processes, one node each, killed, stopped and restarted
/// by process id while events flow: nothing is lost and nothing applied twice.
@Suite("Process failures", .serialized)
struct ProcessFailureTests {
    /// A config file of two nodes, each started as its own process.
    final class Pair {
        let folder: URL
        let ports: [String: Int]
        var processes: [String: Process] = [:]
        var tokens: [String: String] = [:]

        /// Between room-12 and kobe-4b when asked for: room-12 reaches kobe-4b through it.
        let proxy: HoldingProxy?

        init(proxied: Bool = false) throws {
            folder = try temporaryFolder()
            ports = ["room-12": try freePort(), "kobe-4b": try freePort()]
            proxy = proxied ? try HoldingProxy(upstream: ports["kobe-4b"]!) : nil
            var config = twoNodeConfig(portA: ports["room-12"]!, portB: ports["kobe-4b"]!, sandboxPort: try freePort())
            if let proxy {
                config = config.replacingOccurrences(of: "url          = \"http://127.0.0.1:\(ports["kobe-4b"]!)\"",
                                                     with: "url          = \"http://127.0.0.1:\(proxy.port)\"")
            }
            try ("sync_interval = 5\n" + config).write(to: folder.appendingPathComponent("nodes.toml"), atomically: true, encoding: .utf8)
        }

        deinit {
            for process in processes.values where process.isRunning { _ = CLI.stop(process, signal: SIGKILL) }
            try? FileManager.default.removeItem(at: folder)
        }

        func url(_ name: String) -> String { "http://127.0.0.1:\(ports[name]!)" }

        func start(_ name: String) async throws {
            processes[name] = try CLI.start(["serve", "--config", "nodes.toml", "--node", name], in: folder,
                                            log: folder.appendingPathComponent("\(name).log"))
            try await eventually("\(name) answers") {
                if self.tokens[name] == nil {
                    self.tokens[name] = try? String(contentsOf: self.folder.appendingPathComponent("data/\(name)/api.token"), encoding: .utf8)
                        .trimmingCharacters(in: .whitespacesAndNewlines)
                }
                return (try? await self.api(name, "GET", "/api/status"))?.status == 200
            }
        }

        func signal(_ name: String, _ signal: Int32) {
            guard let process = processes[name] else { return }
            kill(process.processIdentifier, signal)
            if signal == SIGKILL {
                process.waitUntilExit()
                processes[name] = nil
            }
        }

        func api(_ name: String, _ method: String, _ path: String, json: [String: Any]? = nil) async throws -> HTTPAnswer {
            var headers = ["Authorization": "Bearer \(tokens[name] ?? "")"]
            if json != nil { headers["Content-Type"] = "application/json" }
            return try await HTTP.send(method, url(name) + path, headers: headers, body: json.map(HTTP.json))
        }

        func invite(_ count: Int, title: String) async throws {
            let (start, end) = tomorrow()
            for index in 0..<count {
                let answer = try await api("room-12", "POST", "/api/webex/meeting", json: [
                    "classroom_id": "kobe-4b", "title": "\(title) \(index)", "start_time": start, "end_time": end,
                ])
                guard answer.status == 201 else { throw TestFailure("invite \(index): \(answer.status) \(answer.text)") }
            }
        }

        /// The pair's counters as the receiver and the sender see them.
        func counters() async throws -> (applied: Int, sent: Int, outbox: Int) {
            let receiver = try await api("kobe-4b", "GET", "/api/status").object["peers"] as? [[String: Any]]
            let sender = try await api("room-12", "GET", "/api/status").object["peers"] as? [[String: Any]]
            return (receiver?.first?["applied"] as? Int ?? -1, sender?.first?["sent"] as? Int ?? -1, sender?.first?["outbox"] as? Int ?? -1)
        }

        func receivedTitles() async throws -> [String] {
            let list = try await api("kobe-4b", "GET", "/api/webex/invitations?status=all").object["invitations"] as? [[String: Any]] ?? []
            return list.compactMap { $0["title"] as? String }
        }
    }

    @Test func receiverKilledDuringAStreamOf500EventsAppliesAllOnceAfterRestart() async throws {
        let pair = try Pair(proxied: true)
        let proxy = try #require(pair.proxy)
        try await pair.start("room-12")
        try await pair.start("kobe-4b")
        try await pair.invite(150, title: "before")
        try await eventually("the first 150 are applied and acknowledged") {
            let counters = try await pair.counters()
            return counters.applied == 150 && counters.outbox == 0
        }
        // kobe-4b's answers are held from now on: the next push reaches it, is stored
        // and answered, and kobe-4b is killed while its acknowledgement is on the way.
        proxy.hold()
        try await pair.invite(50, title: "during")
        try await eventually("kobe-4b has stored and answered a push that room-12 has not heard", timeout: .seconds(10)) {
            let counters = try await pair.counters()
            return proxy.held.hasPrefix("HTTP/1.1 200") && counters.applied > 150 && counters.outbox > 0
        }
        pair.signal("kobe-4b", SIGKILL)
        proxy.stop()
        try await pair.invite(300, title: "after")
        try await pair.start("kobe-4b")
        // room-12 reaches kobe-4b by its URL, the proxy's, which is gone: it catches up
        // when kobe-4b pulls (a sync at start), and pushes its own answer to what it lacks.
        try await eventually("all 500 are applied", timeout: .seconds(20)) {
            let counters = try await pair.counters()
            return counters.applied == 500 && counters.outbox == 0
        }
        let titles = try await pair.receivedTitles()
        #expect(titles.count == 500)
        #expect(Set(titles).count == 500, "each applied once")
    }

    @Test func stoppedPeerReceivesAThousandQueuedEventsOnceAfterContinueAndSync() async throws {
        let pair = try Pair()
        try await pair.start("room-12")
        try await pair.start("kobe-4b")
        pair.signal("kobe-4b", SIGSTOP)
        try await pair.invite(1_000, title: "queued")
        pair.signal("kobe-4b", SIGCONT)
        let sync = try await CLI.run(["sync", "--config", "nodes.toml", "--node", "room-12"], in: pair.folder)
        #expect(sync.status == 0, "\(sync.stdout) \(sync.stderr)")
        try await eventually("all 1,000 arrive", timeout: .seconds(30)) {
            let counters = try await pair.counters()
            return counters.applied == 1_000 && counters.outbox == 0
        }
        let titles = try await pair.receivedTitles()
        #expect(titles.count == 1_000)
        #expect(Set(titles).count == 1_000, "each applied once")
    }

    @Test func senderKilledAfterCommittingAnEventDeliversItAfterRestart() async throws {
        let pair = try Pair()
        try await pair.start("room-12")
        // The receiver is down: the event is committed, and cannot be pushed yet.
        try await pair.invite(1, title: "committed")
        pair.signal("room-12", SIGKILL)
        try await pair.start("kobe-4b")
        try await pair.start("room-12")
        try await eventually("the event arrives", timeout: .seconds(10)) {
            try await pair.receivedTitles() == ["committed 0"]
        }
        let counters = try await pair.counters()
        #expect(counters.applied == 1)
        #expect(counters.sent == 1)
    }
}
