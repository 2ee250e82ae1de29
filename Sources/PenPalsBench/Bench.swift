import Foundation
import Logging
import PenPalsCore
import PenPalsNode
import PenPalsStore
import Synchronization

/// `penpals-bench`: the protocol's catch-up and ingest figures, measured on this
/// machine with durable (synchronous=FULL) stores in a temporary folder and real
/// HTTP on 127.0.0.1 for catch-up. Run it from a release build (`scripts/bench`).
@main
struct Bench {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.contains("--help") || arguments.contains("-h") {
            print("""
                usage: penpals-bench [--history N] [--catch-up N,N,...] [--ingest N]
                  --history   events already in sync before each catch-up (default 100000)
                  --catch-up  missed events to reconcile, one run per size; empty skips (default 1000,10000,100000)
                  --ingest    events for the ingest runs; 0 skips (default 20000)
                  --ingest-batches  events per request, one run per size (default 100,1)
                  --in-flight  requests each sender has under way at once, one run per value (default 1: each
                               waits for its answer before the next)
                  --no-limits  skip measuring what bounds the figures (Ed25519 verification, a WAL-sized fdatasync)
                """)
            return
        }
        let history = Int(value(of: "--history", in: arguments) ?? "") ?? 100_000
        let sizes = (value(of: "--catch-up", in: arguments) ?? "1000,10000,100000").split(separator: ",").compactMap { Int($0) }
        let ingestCount = Int(value(of: "--ingest", in: arguments) ?? "") ?? 20_000
        let batches = (value(of: "--ingest-batches", in: arguments) ?? "100,1").split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
        let inFlight = (value(of: "--in-flight", in: arguments) ?? "1").split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("penpals-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        print("penpals-bench: \(ProcessInfo.processInfo.activeProcessorCount) cores, stores in \(folder.path) (synchronous=FULL)")
        if !arguments.contains("--no-limits") { try limits(folder: folder) }
        if !sizes.isEmpty {
            try await catchUp(history: history, sizes: sizes, folder: folder)
            // The catch-up's hundreds of megabytes are written back before ingest measures its syncs.
            sync()
        }
        if ingestCount >= 4 {
            for batch in batches {
                for requests in inFlight { try await ingest(count: ingestCount, batch: batch, inFlight: requests, folder: folder) }
            }
        }
    }

    static func value(of flag: String, in arguments: ArraySlice<String>) -> String? {
        guard let index = arguments.firstIndex(of: flag), arguments.index(after: index) < arguments.endIndex else { return nil }
        return arguments[arguments.index(after: index)]
    }

    static var quiet: Logger {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        return logger
    }

    static func classroom(_ key: NodeKey, _ name: String, port: Int) -> Classroom {
        Classroom(id: key.id, name: name, displayName: name, url: URL(string: "http://127.0.0.1:\(port)")!)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    // MARK: Catch-up

    /// B has `history` events of A applied; A then makes N more; one sync of B with A moves them.
    static func catchUp(history: Int, sizes: [Int], folder parent: URL) async throws {
        // Removed when done: the next benchmark does not share the disk with their writeback.
        let folder = parent.appendingPathComponent("catch-up")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (keyA, keyB) = (NodeKey.generate(), NodeKey.generate())
        let port = try freePort()
        let a = classroom(keyA, "a", port: port), b = classroom(keyB, "b", port: 9)
        let storeA = try NodeStore(path: folder.appendingPathComponent("a.sqlite").path)
        let storeB = try NodeStore(path: folder.appendingPathComponent("b.sqlite").path)
        let nodeA = try await ClassroomNode.open(settings: NodeSettings(local: a, key: keyA, apiToken: "a", timezone: .gmt, peers: [b], webex: nil),
                                            store: storeA, logger: quiet)
        let counter = CountingTransport()
        let nodeB = try await ClassroomNode.open(settings: NodeSettings(local: b, key: keyB, apiToken: "b", timezone: .gmt, peers: [a], webex: nil),
                                            store: storeB, logger: quiet, transport: counter)
        let server = Task { try await NodeService(node: nodeA, host: "127.0.0.1", port: port, background: false).run() }
        defer { server.cancel() }
        try await Task.sleep(for: .milliseconds(300))

        let clock = ContinuousClock()
        let setupStart = clock.now
        let cipherAB = try ChannelCipher(local: keyA, peer: keyB.id)
        try await append(history, at: storeA, key: keyA, cipher: cipherAB)
        // B applies the history through its ordinary ingest path, in pages.
        var after = 0
        while true {
            let from = after
            let page = try await storeA.read { try $0.channelEvents(author: keyA.id, recipient: keyB.id, after: from, limit: 1_000, maxBytes: .max) }
            guard !page.events.isEmpty else { break }
            _ = try await nodeB.receive(page.events)
            after = page.lastSeq
        }
        _ = try await storeA.write { try $0.recordAcknowledgement(from: keyB.id, applied: history) }
        print(String(format: "catch-up: %d events of history in sync on both sides (setup %.1f s)", history, seconds(clock.now - setupStart)))

        for size in sizes {
            let before = try await storeA.read { try $0.peer(keyB.id)!.sent }
            try await append(size, at: storeA, key: keyA, cipher: cipherAB)
            let missing = try await storeA.read { try $0.channelEvents(author: keyA.id, recipient: keyB.id, after: before, limit: .max, maxBytes: .max) }
            let envelopeBytes = missing.events.reduce(0) { $0 + $1.jsonData.count }
            counter.reset()
            let start = clock.now
            let cpuStart = cpuSeconds()
            let reports = try await nodeB.syncNow(peer: "a")
            let elapsed = seconds(clock.now - start)
            let cpu = cpuSeconds() - cpuStart
            guard case .success(let report) = reports.first, report.received == size else {
                throw BenchFailure("catch-up of \(size) moved \(reports)")
            }
            let wire = counter.bytes()
            print(String(format: "catch-up: %7d missed events in %.3f s (%.0f events/s); %d requests, %.2f MB on the wire = %.2f × the envelopes' %.2f MB; both nodes' CPU %.2f cores busy",
                         size, elapsed, Double(size) / elapsed, wire.requests, Double(wire.total) / 1e6,
                         Double(wire.total) / Double(envelopeBytes), Double(envelopeBytes) / 1e6, cpu / elapsed))
        }
    }

    /// Appends `count` invitation events of A for B in transactions of 1,000.
    static func append(_ count: Int, at store: NodeStore, key: NodeKey, cipher: ChannelCipher) async throws {
        let start = Date().addingTimeInterval(86_400 * 7)
        var left = count
        while left > 0 {
            let n = min(1_000, left)
            try await store.write { tx in
                for _ in 0..<n {
                    let offer = InvitationOffer(invitationID: .timeOrdered(), title: "Benchmark call", startTime: Timestamp.format(start),
                                                endTime: Timestamp.format(start.addingTimeInterval(3600)))
                    _ = try tx.appendOutgoing(.invitation(offer), key: key, cipher: cipher, now: Date())
                }
            }
            left -= n
        }
    }

    // MARK: Limits

    /// What bounds the figures on this machine, measured apart from the node: libsodium's
    /// Ed25519 verification of an event-sized payload on one core and on both at once, and
    /// the disk's sync of a one-event commit's WAL frames (ten 4 KiB pages, written over
    /// an existing file as a WAL reused after a checkpoint is).
    static func limits(folder: URL) throws {
        let key = NodeKey.generate()
        let payload = Data((0..<460).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let signature = key.sign(payload)
        let n = 4_000, id = key.id
        @Sendable func verifyAll() -> Double {
            let start = ContinuousClock.now
            for _ in 0..<n where !id.verifies(signature, of: payload) { fatalError("signature not verified") }
            return seconds(ContinuousClock.now - start) / Double(n)
        }
        _ = verifyAll()  // warm-up: the first thousands run slower
        let alone = verifyAll()
        let pair = Mutex<[Double]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            let each = verifyAll()
            pair.withLock { $0.append(each) }
        }
        let both = pair.withLock { $0 }
        print(String(format: "limits: Ed25519 verification of a 460-byte payload: %.0f µs on one core; %.0f and %.0f µs with both cores verifying (%.0f/s in all)",
                     alone * 1e6, both[0] * 1e6, both[1] * 1e6, both.reduce(0) { $0 + 1 / $1 }))

        let path = folder.appendingPathComponent("sync-probe").path
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw BenchFailure("cannot create \(path)") }
        defer { close(fd); unlink(path) }
        let page = [UInt8](repeating: 0x5A, count: 4096 + 24), commits = 500, pages = 10
        func write(_ index: Int) throws {
            guard pwrite(fd, page, page.count, off_t(index * page.count)) == page.count else {
                throw BenchFailure("cannot write \(path): \(String(cString: strerror(errno)))")
            }
        }
        for index in 0..<(commits * pages) { try write(index) }
        _ = fsync(fd)
        let start = ContinuousClock.now
        for commit in 0..<commits {
            for index in 0..<pages { try write(commit * pages + index) }
            guard fdatasync(fd) == 0 else { throw BenchFailure("fdatasync failed: \(String(cString: strerror(errno)))") }
        }
        let perCommit = seconds(ContinuousClock.now - start) / Double(commits)
        print(String(format: "limits: writing 10 pages of 4 KiB and fdatasync, as a one-event commit does: %.0f µs (at most %.0f such commits/s)",
                     perCommit * 1e6, 1 / perCommit))
    }

    // MARK: Ingest

    /// One node applies signed, sealed events of two senders, as fast as they come, durably.
    /// Each sender has `inFlight` requests under way, taking its events' batches in order
    /// (with more than one, a batch may arrive before the one ahead of it and wait).
    static func ingest(count: Int, batch: Int, inFlight: Int, folder: URL) async throws {
        let receiverKey = NodeKey.generate()
        let senders = [NodeKey.generate(), NodeKey.generate()]
        let receiver = classroom(receiverKey, "r", port: 9)
        let store = try NodeStore(path: folder.appendingPathComponent("ingest-\(batch)-\(inFlight).sqlite").path)
        let node = try await ClassroomNode.open(
            settings: NodeSettings(local: receiver, key: receiverKey, apiToken: "r", timezone: .gmt,
                                   peers: senders.enumerated().map { classroom($1, "s\($0)", port: 9) }, webex: nil),
            store: store, logger: quiet)
        let perSender = batch == 1 ? count / 4 : count / 2
        // Signed and sealed beforehand: the figure is the receiver's work.
        let streams: [[SignedEnvelope]] = try senders.map { sender in
            let cipher = try ChannelCipher(local: sender, peer: receiverKey.id)
            let start = Date().addingTimeInterval(86_400 * 7)
            return (1...perSender).map { seq in
                let offer = InvitationOffer(invitationID: .timeOrdered(), title: "Benchmark call", startTime: Timestamp.format(start),
                                            endTime: Timestamp.format(start.addingTimeInterval(3600)))
                return EventSealing.seal(.invitation(offer), seq: seq, applied: 0, createdAt: Date(), key: sender, cipher: cipher).envelope
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let cpuStart = cpuSeconds()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for stream in streams {
                let next = Cursor()
                for _ in 0..<inFlight {
                    group.addTask {
                        while true {
                            let index = next.take(batch)
                            guard index < stream.count else { return }
                            _ = try await node.receive(Array(stream[index..<min(stream.count, index + batch)]))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = seconds(clock.now - start)
        let cpu = cpuSeconds() - cpuStart
        let applied = try await store.read { tx in try senders.map { try tx.peer($0.id)!.applied }.reduce(0, +) }
        guard applied == perSender * 2 else { throw BenchFailure("ingest applied \(applied) of \(perSender * 2)") }
        let requests = batch == 1 ? "single-event requests" : "batches of \(batch)"
        print(String(format: "ingest: %d events from 2 senders, %@: %.3f s = %.0f events/s (verified, opened, stored durably, applied; HTTP excluded); CPU %.0f µs an event, %.2f cores busy",
                     applied, inFlight == 1 ? requests : "\(requests), \(inFlight) in flight each", elapsed, Double(applied) / elapsed,
                     cpu / Double(applied) * 1e6, cpu / elapsed))
    }
}

/// Hands out consecutive ranges of a stream to the tasks that send it.
final class Cursor: Sendable {
    private let next = Atomic(0)
    /// The start of the next `count` items.
    func take(_ count: Int) -> Int { next.add(count, ordering: .relaxed).oldValue }
}

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The HTTP transport, counting the bytes of request and answer bodies as they went over the wire.
final class CountingTransport: PeerTransport {
    private let inner = PeerClient()
    private let counts = Mutex<(requests: Int, total: Int)>((0, 0))

    func post(_ body: Data, to peer: Classroom, path: String) async throws -> SignedEnvelope {
        let (answer, wireBytes) = try await inner.exchange(body, to: peer, path: path)
        counts.withLock { $0.requests += 1; $0.total += body.count + wireBytes }
        return answer
    }

    func reset() { counts.withLock { $0 = (0, 0) } }
    func bytes() -> (requests: Int, total: Int) { counts.withLock { $0 } }
}

/// CPU time (user and system) this process has used so far.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// A port that was free a moment ago on 127.0.0.1.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
