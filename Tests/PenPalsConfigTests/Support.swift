import Foundation
import PenPalsCore
import Testing
@testable import PenPalsConfig
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fresh folder under the system's temporary folder, removed when released.
final class TempDir {
    let url: URL

    init() {
        url = URL(fileURLWithPath: NSTemporaryDirectory(), isDirectory: true)
            .appendingPathComponent("penpals-config-\(UUID().uuidString)", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    var path: String { url.path }

    /// Writes `text` at `name` (relative to the folder, parents created) and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let file = url.appendingPathComponent(name)
        try! FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }
}

let keyA = NodeID(publicKey: Data(repeating: 1, count: 32)).rawValue
let keyB = NodeID(publicKey: Data(repeating: 2, count: 32)).rawValue
let keyC = NodeID(publicKey: Data((0..<32).map { UInt8($0) })).rawValue

let webexBlock = """
[webex]
api_base = "http://127.0.0.1:7400/v1"
authorize_url = "http://127.0.0.1:7400/v1/authorize"
client_id = "sandbox-client"
client_secret = "sandbox-secret"

"""

/// A [[nodes]] entry in canonical key order; `set` replaces a value (raw TOML), `drop` leaves keys out,
/// `extra` appends raw lines.
func nodeBlock(_ name: String, port: Int, set: [String: String] = [:], drop: Set<String> = [], extra: [String] = []) -> String {
    let values: [(String, String)] = [
        ("name", "\"\(name)\""),
        ("display_name", "\"Classroom \(name)\""),
        ("listen", "\"127.0.0.1:\(port)\""),
        ("url", "\"http://127.0.0.1:\(port)\""),
        ("data_dir", "\"data/\(name)\""),
        ("timezone", "\"America/Chicago\""),
    ]
    var lines = ["[[nodes]]"]
    for (key, value) in values where !drop.contains(key) { lines.append("\(key) = \(set[key] ?? value)") }
    for (key, value) in set where !values.contains(where: { $0.0 == key }) { lines.append("\(key) = \(value)") }
    lines += extra
    return lines.joined(separator: "\n") + "\n\n"
}

func peerBlock(_ name: String, key: String, set: [String: String] = [:], drop: Set<String> = [], extra: [String] = []) -> String {
    let values: [(String, String)] = [
        ("name", "\"\(name)\""),
        ("display_name", "\"Peer \(name)\""),
        ("url", "\"https://\(name).example-school.no/penpals\""),
        ("public_key", "\"\(key)\""),
    ]
    var lines = ["[[peers]]"]
    for (k, value) in values where !drop.contains(k) { lines.append("\(k) = \(set[k] ?? value)") }
    for (k, value) in set where !values.contains(where: { $0.0 == k }) { lines.append("\(k) = \(value)") }
    lines += extra
    return lines.joined(separator: "\n") + "\n\n"
}

/// Writes `text` as nodes.toml in a fresh folder and loads it.
func load(_ text: String, in dir: TempDir = TempDir()) throws(ConfigError) -> PenPalsConfig {
    try PenPalsConfig.load(path: dir.write("nodes.toml", text))
}

/// Loads `text`, expects a ConfigError at `key`, and checks the one-line message.
@discardableResult
func expectError(_ text: String, key: String, problem: String? = nil, fix: String? = nil,
                 in dir: TempDir = TempDir(), sourceLocation: SourceLocation = #_sourceLocation) -> ConfigError? {
    let path = dir.write("nodes.toml", text)
    do {
        let config = try PenPalsConfig.load(path: path)
        Issue.record("expected an error at \(key), loaded \(config.nodes.map(\.name))", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.key == key, "\(error)", sourceLocation: sourceLocation)
        #expect(error.file == path, sourceLocation: sourceLocation)
        expectOneLine(error, file: path, sourceLocation: sourceLocation)
        if let problem { #expect(error.problem.contains(problem), "\(error)", sourceLocation: sourceLocation) }
        if let fix { #expect(error.fix.contains(fix), "\(error)", sourceLocation: sourceLocation) }
        return error
    }
}

func expectOneLine(_ error: ConfigError, file: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let line = error.description
    #expect(line.hasPrefix("error: \(file): "), "\(line)", sourceLocation: sourceLocation)
    if !error.key.isEmpty {
        #expect(line.hasPrefix("error: \(file): \(error.key): "), "\(line)", sourceLocation: sourceLocation)
    }
    #expect(!line.contains("\n") && !line.contains("\r"), "\(line)", sourceLocation: sourceLocation)
    #expect(!error.problem.isEmpty && !error.fix.isEmpty, "\(line)", sourceLocation: sourceLocation)
}

/// A TCP socket listening on 127.0.0.1 at a port the kernel chose.
func listeningSocket() -> (fd: Int32, port: Int) {
    #if canImport(Darwin)
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #else
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #endif
    precondition(fd >= 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    precondition(bound == 0 && listen(fd, 1) == 0)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// A port that was free a moment ago.
func freePort() -> Int {
    let (fd, port) = listeningSocket()
    close(fd)
    return port
}

/// The repository root (the folder with nodes.example.toml), following the symlinks of an isolated build.
func repositoryRoot() -> URL {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let real = realpath(#filePath, &buffer).map { String(cString: $0) } ?? #filePath
    return URL(fileURLWithPath: real).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
