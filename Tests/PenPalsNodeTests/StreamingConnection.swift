import Foundation
import Synchronization

/// One raw HTTP/1.1 connection to 127.0.0.1, to read a response that keeps
/// streaming (Server-Sent Events) as it arrives and to see when the server ends it.
/// Reads block on a dispatch queue, never on the test's cooperative threads.
final class StreamingConnection: Sendable {
    private let fd: Int32
    private let received = Mutex<(data: Data, closed: Bool)>((Data(), false))
    private let queue = DispatchQueue(label: "streaming-connection")

    /// Connects and sends `method path` with `headers` and `body`.
    ///
    /// The socket is closed by `deinit` alone, also when this throws (Swift runs
    /// `deinit` once every property is set): closing it here as well closed the
    /// descriptor twice, and the second close could take a descriptor another
    /// thread had just been given — a node's connection or database file.
    init(port: Int, method: String = "GET", path: String, headers: [String: String], body: Data? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket failed") }
        guard Loopback.connect(fd, port: port) else { throw TestFailure("cannot connect to 127.0.0.1:\(port)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var request = "\(method) \(path) HTTP/1.1\r\n"
        var fields = ["Host": "127.0.0.1:\(port)"].merging(headers) { $1 }
        if let body { fields["Content-Length"] = String(body.count) }
        for (name, value) in fields { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8) + Array(body ?? Data())
        guard send(fd, bytes, bytes.count, 0) == bytes.count else { throw TestFailure("cannot send the request") }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Everything received so far, as text.
    var text: String { String(decoding: received.withLock { $0.data }, as: UTF8.self) }
    var isClosed: Bool { received.withLock { $0.closed } }

    /// Reads until `condition` holds for the text received so far; fails after `timeout`.
    @discardableResult
    func read(until what: String, timeout: Duration = .seconds(10), _ condition: @escaping @Sendable (String) -> Bool) async throws -> String {
        try await read(until: what, timeout: timeout) { text, _ in condition(text) }
    }

    /// Reads until `condition` holds for the text received so far and whether the server closed.
    @discardableResult
    func read(until what: String, timeout: Duration, _ condition: @escaping @Sendable (String, Bool) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        let met: Bool = await withCheckedContinuation { continuation in
            queue.async {
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let (text, closed) = self.received.withLock { (String(decoding: $0.data, as: UTF8.self), $0.closed) }
                    if condition(text, closed) { return continuation.resume(returning: true) }
                    if closed || ContinuousClock.now >= deadline { return continuation.resume(returning: false) }
                    let count = recv(self.fd, &buffer, buffer.count, 0)
                    if count > 0 {
                        self.received.withLock { $0.data.append(contentsOf: buffer[0..<count]) }
                    } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                        self.received.withLock { $0.closed = true }
                    }
                }
            }
        }
        guard met else { throw TestFailure("timed out waiting until \(what); received: \(text)") }
        return text
    }

    /// Waits until the server closes the connection (or ends the chunked body).
    func waitUntilEnded(timeout: Duration) async throws {
        try await read(until: "the server ends the stream", timeout: timeout) { text, closed in
            closed || text.hasSuffix("\r\n0\r\n\r\n")
        }
    }

    func stop() { shutdown(fd, Int32(SHUT_RDWR)) }
}

/// One request over a raw connection, as a browser would send it: no cookie jar,
/// no redirects followed, exactly the headers given.
struct RawAnswer: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: String

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    func all(_ name: String) -> [String] { headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1) }
    var errorCode: String? {
        let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        return (object?["error"] as? [String: Any])?["code"] as? String
    }

    static func send(port: Int, _ method: String, _ path: String, headers: [String: String] = [:], json: String? = nil,
                     timeout: Duration = .seconds(20)) async throws -> RawAnswer {
        var headers = headers
        headers["Connection"] = "close"
        if json != nil { headers["Content-Type"] = "application/json" }
        let connection = try StreamingConnection(port: port, method: method, path: path, headers: headers, body: json.map { Data($0.utf8) })
        let text = try await connection.read(until: "the answer to \(method) \(path)", timeout: timeout) { text, closed in
            closed || isComplete(text)
        }
        guard let split = text.range(of: "\r\n\r\n") else { throw TestFailure("no HTTP answer: \(text)") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        let fields: [(String, String)] = lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var body = String(text[split.upperBound...])
        if fields.contains(where: { $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased().contains("chunked") }) {
            body = dechunk(body)
        }
        return RawAnswer(status: status, headers: fields, body: body)
    }

    /// Whether `text` holds a whole answer with a `Content-Length` (tolerating `Name:value` without a space).
    static func isComplete(_ text: String) -> Bool {
        guard let split = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<split.lowerBound].lowercased()
        guard let line = head.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
              let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) else { return false }
        return text[split.upperBound...].utf8.count >= length
    }

    static func dechunk(_ text: String) -> String {
        var rest = Substring(text)
        var out = ""
        while let line = rest.range(of: "\r\n"), let size = Int(rest[..<line.lowerBound], radix: 16), size > 0 {
            let start = line.upperBound
            let bytes = Array(rest[start...].utf8)
            let chunk = bytes.prefix(size)
            out += String(decoding: chunk, as: UTF8.self)
            rest = Substring(String(decoding: bytes.dropFirst(size + 2), as: UTF8.self))
        }
        return out
    }
}
