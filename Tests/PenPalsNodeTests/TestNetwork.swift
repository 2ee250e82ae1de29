import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import PenPalsCore
@testable import PenPalsNode
import PenPalsStore
import Synchronization
import Webex
import WebexSandbox

/// Classroom nodes and a WebEx sandbox, each a real HTTP server on 127.0.0.1,
/// run in this test process for the length of one test.
///
/// Every node has its key, token, port and data folder from the start, so a node
/// can be configured as a peer before (or without) being started, stopped, and
/// started again on the same database.
final class TestNetwork: Sendable {
    struct Member: Sendable {
        var name: String
        var displayName: String
        var key: NodeKey
        var token: String
        var port: Int
        var dataDir: URL
        var zone: String
        var url: String { "http://127.0.0.1:\(port)" }
        var classroom: Classroom { Classroom(id: key.id, name: name, displayName: displayName, url: URL(string: url)!, timezone: zone) }
    }

    struct Running: Sendable {
        var node: ClassroomNode
        var task: Task<Void, any Error>
    }

    let members: [String: Member]
    let sandbox: WebexSandbox
    let sandboxPort: Int
    let sandboxTask: Task<Void, any Error>
    let folder: URL
    let acceptWait: Duration
    private let running = Mutex<[String: Running]>([:])

    var webexSettings: WebexSettings {
        WebexSettings(apiBase: URL(string: "http://127.0.0.1:\(sandboxPort)/v1")!,
                      authorizeURL: URL(string: "http://127.0.0.1:\(sandboxPort)/v1/authorize")!,
                      clientID: "sandbox-client", clientSecret: "sandbox-secret")
    }

    /// Runs `body` with members named `names` (none started yet) and a running sandbox; stops everything after.
    static func with<T: Sendable>(_ names: [String], acceptWait: Duration = .seconds(10), meetingsPerDay: Int = 100,
                                  _ body: (TestNetwork) async throws -> T) async throws -> T {
        let network = try await TestNetwork(names: names, acceptWait: acceptWait, meetingsPerDay: meetingsPerDay)
        do {
            let result = try await body(network)
            // Whatever the test did, every request the nodes sent to WebEx must be one WebEx's spec allows.
            let violations = try WebexSpec.violations(in: await network.sandbox.requestLog())
            guard violations.isEmpty else { throw TestFailure("requests outside WebEx's OpenAPI spec: \(violations)") }
            await network.shutdown()
            return result
        } catch {
            await network.shutdown()
            throw error
        }
    }

    private init(names: [String], acceptWait: Duration, meetingsPerDay: Int) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("penpals-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let zones = ["America/Chicago", "Asia/Tokyo", "Europe/Oslo", "Australia/Sydney"]
        var members: [String: Member] = [:]
        for (index, name) in names.enumerated() {
            members[name] = Member(name: name, displayName: "Class \(name.uppercased())", key: NodeKey.generate(),
                                   token: SecureRandom.token(), port: try freePort(),
                                   dataDir: folder.appendingPathComponent(name), zone: zones[index % zones.count])
        }
        self.members = members
        self.acceptWait = acceptWait
        var logger = Logger(label: "sandbox")
        logger.logLevel = .critical
        let sandbox = WebexSandbox(logger: logger, meetingsPerDay: meetingsPerDay)
        self.sandbox = sandbox
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        sandboxTask = Task { try await sandbox.run(host: "127.0.0.1", port: 0) { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestFailure("the sandbox did not start") }
        sandboxPort = port
    }

    func member(_ name: String) -> Member { members[name]! }

    func node(_ name: String) -> ClassroomNode {
        guard let running = running.withLock({ $0[name] }) else { fatalError("\(name) is not running") }
        return running.node
    }

    /// Starts a member on its port and database; returns once it listens.
    @discardableResult
    func start(_ name: String, now: @escaping @Sendable () -> Date = Date.init,
               uptime: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
               host: NodeHost? = nil,
               configure: @Sendable (inout NodeSettings) -> Void = { _ in }) async throws -> ClassroomNode {
        let me = member(name)
        try FileManager.default.createDirectory(at: me.dataDir, withIntermediateDirectories: true)
        var settings = NodeSettings(local: me.classroom, key: me.key, apiToken: me.token,
                                    timezone: TimeZone(identifier: me.zone)!,
                                    peers: members.values.filter { $0.name != name }.map(\.classroom),
                                    webex: webexSettings)
        settings.acceptWait = acceptWait
        configure(&settings)
        var logger = Logger(label: "node.\(name)")
        // PENPALS_TEST_LOG=debug (or error, …) shows the nodes' log; "1" means debug.
        let wanted = ProcessInfo.processInfo.environment["PENPALS_TEST_LOG"]
        logger.logLevel = wanted.map { Logger.Level(rawValue: $0) ?? .debug } ?? .critical
        let store = try NodeStore(path: me.dataDir.appendingPathComponent("penpals.sqlite").path)
        let node = try await ClassroomNode.open(settings: settings, store: store, logger: logger, now: now, uptime: uptime,
                                           transport: host?.transport, timers: host?.timers)
        host?.transport.register(node)
        let (started, continuation) = AsyncStream.makeStream(of: Int.self)
        let service = NodeService(node: node, host: "127.0.0.1", port: me.port) { continuation.yield($0) }
        let task = Task {
            // A server that cannot start ends the stream, so the test fails instead of waiting.
            defer { continuation.finish() }
            try await service.run()
        }
        var iterator = started.makeAsyncIterator()
        guard await iterator.next() != nil else {
            let outcome = await task.result
            throw TestFailure("\(name) did not start on port \(me.port): \(outcome)")
        }
        running.withLock { $0[name] = Running(node: node, task: task) }
        return node
    }

    /// Stops a member's server and background work, and waits until it has stopped.
    func stop(_ name: String) async {
        guard let running = running.withLock({ $0.removeValue(forKey: name) }) else { return }
        running.task.cancel()
        _ = await running.task.result
    }

    func shutdown() async {
        for name in running.withLock({ Array($0.keys) }) { await stop(name) }
        sandboxTask.cancel()
        _ = await sandboxTask.result
        try? FileManager.default.removeItem(at: folder)
    }

    // MARK: The local API, as the CLI and dashboard use it

    func api(_ name: String, _ method: String, _ path: String, json: [String: Any]? = nil,
             token: String? = nil) async throws -> HTTPAnswer {
        let me = member(name)
        var headers = ["Authorization": "Bearer \(token ?? me.token)"]
        var body: Data?
        if let json {
            body = try JSONSerialization.data(withJSONObject: json)
            headers["Content-Type"] = "application/json"
        }
        return try await HTTP.send(method, me.url + path, headers: headers, body: body)
    }

    /// Sets a sandbox fault (`POST /sandbox/faults`), e.g. `["endpoint": "POST /v1/meetings", "status": 503, "count": 2]`.
    func fault(_ body: [String: Any]) async throws {
        let answer = try await HTTP.send("POST", "http://127.0.0.1:\(sandboxPort)/sandbox/faults",
                                         headers: ["Content-Type": "application/json"], body: HTTP.json(body))
        guard answer.status == 204 else { throw TestFailure("the sandbox refused the fault: \(answer.status) \(answer.text)") }
    }

    /// Connects a member's WebEx account through the sandbox's consent page, as a teacher's browser would.
    func connectWebex(_ name: String, email: String) async throws {
        let me = member(name)
        let connect = try await api(name, "POST", "/api/webex/connect")
        guard connect.status == 200, let url = connect.object["authorize_url"] as? String,
              let state = URLComponents(string: url)?.queryItems?.first(where: { $0.name == "state" })?.value else {
            throw TestFailure("no authorize URL: \(connect.text)")
        }
        let consent = try await HTTP.send("GET", url)
        guard consent.status == 200 else { throw TestFailure("consent page answered \(consent.status)") }
        // The sandbox redirects to the node's callback; URLSession follows it as a browser would.
        let form = [("response_type", "code"), ("client_id", "sandbox-client"), ("redirect_uri", me.url + "/webex/callback"),
                    ("scope", "meeting:schedules_read meeting:schedules_write"), ("state", state),
                    ("email", email), ("decision", "allow")]
        let answer = try await HTTP.send("POST", "http://127.0.0.1:\(sandboxPort)/v1/authorize", form: form)
        guard answer.status == 200, answer.text.contains("WebEx is connected") else {
            throw TestFailure("WebEx did not connect: \(answer.status) \(answer.text)")
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The next port `freePort` tries. Ports are handed out in turn from a random start,
/// so two tests running at once never receive the same one (a random pick for each
/// did: two tests drew the same port and the second server could not bind).
private let nextPort = Mutex(Int.random(in: 20_000..<26_000))

/// A loopback port that nothing listens on now and that no other test of this run
/// has been given. Below the kernel's ephemeral range (32768 and up), so outgoing
/// connections do not take it either.
func freePort() throws -> Int {
    for _ in 0..<200 {
        let port = nextPort.withLock { next in
            defer { next = next + 1 < 32_000 ? next + 1 : 20_000 }
            return next
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        defer { close(fd) }
        if Loopback.bind(fd, port: port) { return port }
    }
    throw TestFailure("no free port found")
}

/// 127.0.0.1 for raw sockets: the tests' servers and clients below URLSession.
enum Loopback {
    static func address(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    static func bind(_ fd: Int32, port: Int) -> Bool {
        var address = address(port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    static func connect(_ fd: Int32, port: Int) -> Bool {
        var address = address(port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}

/// Waits for `condition` to hold, checking it after every change a node could have
/// made; fails after `timeout`.
func eventually(_ what: String, timeout: Duration = .seconds(10),
                _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    if try await condition() { return }
    throw TestFailure("timed out waiting until \(what)")
}
