import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Logging
import PenPalsCore
@testable import PenPalsNode
import Synchronization
import Testing
import OutboundHTTP
import Webex

/// A node reads at most a bounded answer from a peer or from WebEx: a peer that
/// answers 200 MiB, or streams without end, fails the request without growing
/// the node's memory (README, "Node-to-node protocol").
@Suite("Bounded answers")
struct BoundedAnswerTests {
    /// Runs `body` with the port of a server whose answers are too long in every
    /// way, and a count of the bytes it has written.
    static func withFlood<T: Sendable>(_ body: @Sendable (Int, @escaping @Sendable () -> Int) async throws -> T) async throws -> T {
        let written = Atomic<Int>(0)
        let chunk = ByteBuffer(repeating: UInt8(ascii: " "), count: 64 * 1024)
        // At most 256 KiB a millisecond (256 MB/s, far beyond any school's uplink). At
        // loopback speed libcurl reads ahead of URLSession's delegate queue by however
        // long that queue waits for one of the two cores, and the peak measured what the
        // machine's other load did (9 MiB on most runs, 68 to 202 MiB on some, the limit
        // being 64); at this rate it measures the reader.
        @Sendable func pace(_ sent: Int) async throws {
            if sent % (256 * 1024) == 0 { try await Task.sleep(for: .milliseconds(1)) }
        }
        let router = Router()
        // Without end: chunk after chunk until the client goes away.
        router.post("/endless") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody { writer in
                var sent = 0
                while true {
                    try await writer.write(chunk)
                    sent += chunk.readableBytes
                    written.add(chunk.readableBytes, ordering: .relaxed)
                    try await pace(sent)
                }
            })
        }
        // 200 MiB declared, and sent if the client reads it.
        router.post("/declared") { _, _ -> Response in
            let total = 200 << 20
            return Response(status: .ok, headers: [.contentType: "application/json", .contentLength: String(total)],
                            body: ResponseBody { writer in
                var sent = 0
                while sent < total {
                    try await writer.write(chunk)
                    sent += chunk.readableBytes
                    written.add(chunk.readableBytes, ordering: .relaxed)
                    try await pace(sent)
                }
                try await writer.finish(nil)
            })
        }
        // 4 MiB of spaces, gzip'ed to a few kilobytes: small on the wire, long once undone.
        let packed = JSONResponse.gzip(Data(repeating: UInt8(ascii: " "), count: 4 << 20))!
        router.post("/gzip") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json", .contentEncoding: "gzip"],
                     body: ResponseBody(byteBuffer: packed))
        }
        var logger = Logger(label: "flood")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestFailure("the flood server did not start") }
            defer { group.cancelAll() }
            return try await body(port) { written.load(ordering: .relaxed) }
        }
    }

    static func post(_ port: Int, _ path: String) -> URLRequest {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.httpBody = Data("{}".utf8)
        return request
    }

    /// The process's resident memory in bytes: now, and at its peak since `resetPeak`.
    static func memory() -> (now: Int, peak: Int) {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        func kilobytes(_ field: String) -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return (kilobytes("VmRSS"), kilobytes("VmHWM"))
    }

    /// Makes the peak start again from the present (Linux: `clear_refs` 5).
    static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    @Test func anEndlessOrOverlongAnswerFailsAtTheLimitAndIsNotReadOn() async throws {
        try await Self.withFlood { port, written in
            let session = URLSessionPool.shared.session(timeout: 15)
            let limit = 1 << 20
            Self.resetPeak()
            let baseline = Self.memory().now
            for path in ["/endless", "/declared", "/gzip"] {
                let started = ContinuousClock.now
                await #expect(throws: BodyTooLarge.self, "\(path)") {
                    _ = try await session.cancellableData(for: Self.post(port, path), limit: limit)
                }
                // The request ends at the limit, not at the timeout, and the transfer with
                // it: the endless stream stops. (libcurl reads on at loopback speed until
                // the cancellation reaches it, and what it reads is dropped: the memory
                // below is what counts.)
                #expect(ContinuousClock.now - started < .seconds(5), "\(path)")
                try await eventually("\(path): the server stops writing") {
                    let sent = written()
                    try await Task.sleep(for: .milliseconds(50))
                    return written() == sent
                }

            }
            // What reading them cost the process at its peak: the server wrote hundreds of
            // MiB; what the client holds is its limit, and what libcurl reads until the
            // cancellation reaches it, in chunks it drops.
            let grown = Self.memory().peak - baseline
            print("peak memory growth while flooded: \(grown >> 20) MiB")
            #expect(grown < 64 << 20, "the process grew \(grown >> 20) MiB at its peak")
            // Below the limit, the whole body.
            let (data, _) = try await session.cancellableData(for: Self.post(port, "/gzip"), limit: 5 << 20)
            #expect(data.count == 4 << 20)
        }
    }

    @Test func aPeerThatAnswersWithoutEndFailsThePushInsteadOfGrowingTheNode() async throws {
        try await Self.withFlood { port, _ in
            let peer = Classroom(id: NodeKey.generate().id, name: "flood", displayName: "Flood",
                                 url: URL(string: "http://127.0.0.1:\(port)")!)
            let started = ContinuousClock.now
            await #expect {
                _ = try await PeerClient(timeout: 15).exchange(Data("{}".utf8), to: peer, path: "/endless")
            } throws: { error in
                "\(error)".contains("longer than \(PeerClient.answerLimit) bytes")
            }
            // Failed at the limit, not at the 15 s timeout.
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }
}
