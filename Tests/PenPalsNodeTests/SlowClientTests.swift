import Foundation
import Testing

/// Slow and silent clients (slowloris) hold nothing a teacher needs: the node's
/// answers stay quick while hundreds of connections trickle or idle, and the server
/// closes each of them after its idle timeout or body deadline.
@Suite("Slow clients", .serialized)
struct SlowClientTests {
    /// One raw connection to 127.0.0.1 that sends what it is told and nothing more.
    final class RawConnection {
        let fd: Int32

        init(port: Int, sending text: String) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw TestFailure("socket failed") }
            guard Loopback.connect(fd, port: port) else { throw TestFailure("cannot connect to 127.0.0.1:\(port)") }
            let bytes = Array(text.utf8)
            guard bytes.isEmpty || send(fd, bytes, bytes.count, 0) == bytes.count else { throw TestFailure("cannot send") }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }

        deinit { close(fd) }

        /// Reads what has arrived; true once the server has closed the connection.
        func closedByServer(answer: inout String) -> Bool {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 {
                    answer += String(decoding: buffer[0..<n], as: UTF8.self)
                    continue
                }
                return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
            }
        }
    }

    @Test func slowAndSilentConnectionsNeitherDelayATeacherNorStayOpen() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("b", configure: {
                // The body's deadline comes first, so the half-bodied connections get their 408
                // before the idle timeout (which counts for them too) would close them.
                $0.connectionIdleTimeout = .seconds(2)
                $0.bodyTimeout = .seconds(1)
            })
            let port = network.member("b").port
            var slow: [(kind: String, connection: RawConnection)] = []
            for _ in 0..<150 {
                slow.append(("silent", try RawConnection(port: port, sending: "")))
                slow.append(("half a head", try RawConnection(port: port, sending: "GET /api/status HTTP/1.1\r\nHost: x\r\nX-Slow: ")))
            }
            for _ in 0..<50 {
                slow.append(("half a body", try RawConnection(port: port, sending:
                    "POST /p2p/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"events\":[")))
            }
            // The teacher's requests are answered at once, again and again, beside them.
            for round in 0..<5 {
                let started = ContinuousClock.now
                let answer = try await network.api("b", "GET", "/api/status")
                #expect(answer.status == 200)
                let took = ContinuousClock.now - started
                #expect(took < .seconds(1), "round \(round): \(took)")
            }
            // Every slow connection is closed by the server: the silent and half-headed ones
            // after the idle timeout, the half-bodied ones at the body's deadline with a 408.
            var answers = [String](repeating: "", count: slow.count)
            try await eventually("the server closes every slow connection", timeout: .seconds(8)) {
                var open = 0
                for index in slow.indices where !slow[index].connection.closedByServer(answer: &answers[index]) {
                    open += 1
                }
                return open == 0
            }
            for (index, entry) in slow.enumerated() where entry.kind == "half a body" {
                #expect(answers[index].hasPrefix("HTTP/1.1 408"), "\(answers[index].prefix(80))")
            }
            #expect(try await network.api("b", "GET", "/api/status").status == 200)
        }
    }

    @Test func peerRequestsAreReadAFewAtATimeSoUnsignedBodiesHoldBoundedMemory() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("b", configure: {
                $0.peerRequestsAtOnce = 4
                $0.bodyTimeout = .seconds(1)
                $0.connectionIdleTimeout = .seconds(2)
            })
            let port = network.member("b").port
            let url = network.member("b").url
            let head = "POST /p2p/v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"
            let slow = try (0..<4).map { _ in try RawConnection(port: port, sending: head) }
            // A fifth peer request is turned away at once while four bodies are being read.
            try await eventually("the fifth peer request is refused as busy", timeout: .seconds(1)) {
                let answer = try await BadInputTests.post(Data("{\"events\":[]}".utf8), to: url)
                return answer.status == 503 && answer.errorCode == "busy"
            }
            // The teacher's API is not counted.
            #expect(try await network.api("b", "GET", "/api/status").status == 200)
            // Once the slow bodies have timed out, peers are heard again.
            try await eventually("peer requests are read again", timeout: .seconds(4)) {
                try await BadInputTests.post(Data("{\"events\":[]}".utf8), to: url).status == 400
            }
            _ = slow
        }
    }
}
