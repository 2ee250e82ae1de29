import Foundation
import Logging
import PenPalsCore
@testable import PenPalsNode
import PenPalsStore
import Synchronization
import Testing

/// HTTP to other hosts, counted by path; it can play a host behind a NAT (nothing
/// reaches out of it... to it: `down`) or a host of protocol v1 alone (no digests).
final class CountingTransport: PeerTransport {
    let inner = PeerClient(timeout: 5)
    let counts = Mutex<[String: Int]>([:])
    let down = Atomic<Bool>(false)
    let withoutDigests: Bool

    init(withoutDigests: Bool = false) { self.withoutDigests = withoutDigests }

    func count(_ path: String) -> Int { counts.withLock { $0[path] ?? 0 } }

    private func note(_ path: String) throws {
        counts.withLock { $0[path, default: 0] += 1 }
        if down.load(ordering: .relaxed) { throw PeerFailure.unreachable("the test cut this host off") }
    }

    func post(_ body: Data, to peer: Classroom, path: String) async throws -> SignedEnvelope {
        try note(path)
        return try await inner.post(body, to: peer, path: path)
    }

    func postForBody(_ body: Data, to peer: Classroom, path: String) async throws -> Data {
        try note(path)
        if withoutDigests { throw PeerFailure.refused(status: 404, message: "No route POST \(path).") }
        return try await inner.postForBody(body, to: peer, path: path)
    }
}

/// Wall time that a test moves forward.
final class MovableClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)
    func advance(_ seconds: TimeInterval) { offset.withLock { $0 += seconds } }
    var now: Date { Date().addingTimeInterval(offset.withLock { $0 }) }
}

@Suite("One digest per remote host stands for the periodic sync of each pair (docs/protocol.md §12)")
struct DigestTests {
    struct Member: Sendable {
        var key = NodeKey.generate()
        var token = SecureRandom.token()
        var name: String
        var site: String
        func classroom(port: Int) -> Classroom {
            Classroom(id: key.id, name: name, displayName: "Class \(name)", url: URL(string: "http://127.0.0.1:\(port)/\(site)/\(name)")!)
        }
    }

    /// A host of two classrooms on one listen address, as `penpals serve` runs them.
    struct Site: Sendable {
        var host: NodeHost
        var remote: CountingTransport
        var clock: MovableClock
        var nodes: [ClassroomNode]
        var members: [Member]
        var port: Int
        var server: Task<Void, any Error>
        var timers: Task<Void, Never>

        /// Stops the background work, then the server, and waits for both.
        func stop() async {
            timers.cancel()
            _ = await timers.result
            server.cancel()
            _ = await server.result
        }

        func api(_ index: Int, _ method: String, _ path: String, json: [String: Any]? = nil) async throws -> HTTPAnswer {
            var headers = ["Authorization": "Bearer \(members[index].token)"]
            if json != nil { headers["Content-Type"] = "application/json" }
            return try await HTTP.send(method, "http://127.0.0.1:\(port)/\(members[index].site)/\(members[index].name)" + path,
                                       headers: headers, body: json.map(HTTP.json))
        }

        func invitations(_ index: Int) async throws -> [[String: Any]] {
            try await api(index, "GET", "/api/webex/invitations").object["invitations"] as? [[String: Any]] ?? []
        }
    }

    static let interval: Duration = .milliseconds(40)

    static func start(_ members: [Member], port: Int, roster: Roster, remote: CountingTransport) async throws -> Site {
        let host = NodeHost(nodes: members.map(\.key.id), remote: remote, digestInterval: interval)
        let clock = MovableClock()
        var logger = Logger(label: "digest")
        logger.logLevel = .critical
        var nodes: [ClassroomNode] = []
        for member in members {
            var settings = NodeSettings(local: member.classroom(port: port), key: member.key, apiToken: member.token,
                                        timezone: .gmt, roster: roster, webex: nil)
            // Were a pair to sync on its own, it would do so many times during the test.
            settings.syncInterval = interval
            // An accept whose meeting cannot come back (a host cut off) answers 202 soon.
            settings.acceptWait = .milliseconds(300)
            let node = try await ClassroomNode.open(settings: settings, store: try NodeStore(), logger: logger,
                                                    now: { clock.now }, transport: host.transport, timers: host.timers)
            host.transport.register(node)
            nodes.append(node)
        }
        let (started, continuation) = AsyncStream.makeStream(of: Int.self)
        let service = NodeService(nodes: nodes, host: "127.0.0.1", port: port) { continuation.yield($0) }
        let server = Task { defer { continuation.finish() }; try await service.run() }
        let timers = Task { await host.timers.run() }
        var iterator = started.makeAsyncIterator()
        guard await iterator.next() != nil else { throw TestFailure("the site on \(port) did not start") }
        return Site(host: host, remote: remote, clock: clock, nodes: nodes, members: members, port: port, server: server, timers: timers)
    }

    /// Host X (x1, x2) and host Y (y1, y2), every classroom a partner of every other.
    static func twoSites(x: CountingTransport = CountingTransport(), y: CountingTransport = CountingTransport(),
                         _ body: (Site, Site) async throws -> Void) async throws {
        let (portX, portY) = (try freePort(), try freePort())
        let xs = [Member(name: "x1", site: "x"), Member(name: "x2", site: "x")]
        let ys = [Member(name: "y1", site: "y"), Member(name: "y2", site: "y")]
        let roster = Roster(xs.map { $0.classroom(port: portX) } + ys.map { $0.classroom(port: portY) })
        let siteX = try await start(xs, port: portX, roster: roster, remote: x)
        let siteY: Site
        do { siteY = try await start(ys, port: portY, roster: roster, remote: y) } catch { await siteX.stop(); throw error }
        do {
            try await body(siteX, siteY)
        } catch {
            await siteX.stop(); await siteY.stop()
            throw error
        }
        await siteX.stop(); await siteY.stop()
    }

    func invite(from site: Site, _ index: Int, to classroom: String) async throws -> String {
        let (start, end) = tomorrow()
        let answer = try await site.api(index, "POST", "/api/webex/meeting",
                                        json: ["classroom_id": classroom, "title": "Digest test", "start_time": start, "end_time": end])
        #expect(answer.status == 201)
        return try #require((answer.object["invitation"] as? [String: Any])?["id"] as? String)
    }

    @Test func fourPairsOfTwoHostsCostOneRequestEachWayAndNoSync() async throws {
        try await Self.twoSites { x, y in
            _ = try await invite(from: x, 0, to: "y1")
            try await eventually("y1 lists the invitation") { try await !y.invitations(0).isEmpty }
            try await eventually("x1's outbox is acknowledged") {
                try await x.nodes[0].store.read { try $0.peer(y.members[0].key.id)?.outboxDepth } == 0
            }
            let syncs = (x.remote.count("/p2p/v1/sync"), y.remote.count("/p2p/v1/sync"))
            let digests = (x.remote.count("/p2p/v1/digest"), y.remote.count("/p2p/v1/digest"))
            var first: [DigestState.Pair: SignedEnvelope] = [:]
            for round in 0..<3 {
                // One origin on each side: one request for its four pairs.
                #expect(await x.host.transport.digestRound() == 1)
                #expect(await y.host.transport.digestRound() == 1)
                // An idle pair's request and answer are the bytes of the first round, a
                // minute later: neither signed nor verified again.
                let answers = x.host.transport.digests.answers.withLock { $0.mapValues(\.envelope) }
                #expect(answers.count == 4)
                if round == 0 { first = answers } else { #expect(answers == first) }
                let requests = x.host.transport.digests.requests.withLock { $0.count }
                #expect(requests == 4)
                x.clock.advance(60)
                y.clock.advance(60)
            }
            #expect(x.remote.count("/p2p/v1/digest") == digests.0 + 3)
            #expect(y.remote.count("/p2p/v1/digest") == digests.1 + 3)
            // Ten sync intervals: no pair syncs on its own, and the digests found nothing missing.
            try await Task.sleep(for: Self.interval * 10)
            #expect(x.remote.count("/p2p/v1/sync") == syncs.0)
            #expect(y.remote.count("/p2p/v1/sync") == syncs.1)
            // Every pair is seen reachable, the two that never talked as well.
            let status = try await y.api(1, "GET", "/api/status").object["peers"] as? [[String: Any]] ?? []
            #expect(status.filter { ($0["name"] as? String)?.hasPrefix("x") == true }.allSatisfy { $0["reachable"] as? Bool == true })
        }
    }

    @Test func aHostNobodyReachesReceivesEverythingByItsDigests() async throws {
        // Y's pushes never arrive (X is behind a NAT): X learns of them from its digest and pulls.
        let y = CountingTransport()
        y.down.store(true, ordering: .relaxed)
        try await Self.twoSites(y: y) { x, y in
            let id = try await invite(from: y, 1, to: "x2")
            try await eventually("y2 tried to push") { y.remote.count("/p2p/v1/events") >= 1 }
            #expect(try await x.invitations(1).isEmpty)
            let syncs = x.remote.count("/p2p/v1/sync")
            #expect(await x.host.transport.digestRound() == 1)
            try await eventually("x2 pulled the invitation") { try await x.invitations(1).contains { $0["id"] as? String == id } }
            #expect(x.remote.count("/p2p/v1/sync") > syncs, "the pair that lacked something synced")
            // x2's accept goes out to Y, which X reaches.
            let accepted = try await x.api(1, "POST", "/api/webex/invitations/\(id)/accept")
            #expect(accepted.status == 200 || accepted.status == 202)
            try await eventually("y2 sees the accept") {
                let sent = try await y.api(1, "GET", "/api/webex/invitations?box=sent&status=all").object["invitations"] as? [[String: Any]]
                return sent?.first?["status"] as? String != "pending"
            }
        }
    }

    @Test func aHostWithoutDigestsIsSyncedPairByPairAsBefore() async throws {
        try await Self.twoSites(x: CountingTransport(withoutDigests: true)) { x, _ in
            #expect(await x.host.transport.digestRound() == 1)
            // Told 404, X's pairs with Y sync on their own every sync_interval, and no digest follows.
            let syncs = x.remote.count("/p2p/v1/sync")
            try await eventually("X's pairs sync on their own") { x.remote.count("/p2p/v1/sync") >= syncs + 8 }
            #expect(await x.host.transport.digestRound() == 0)
            #expect(x.remote.count("/p2p/v1/digest") == 1)
        }
    }

    @Test func aDigestIsAnsweredForTheNodesOfThisHostAndRefusedForOthers() async throws {
        try await Self.twoSites { x, y in
            let stranger = NodeKey.generate()
            func request(from key: NodeKey, to id: NodeID, sent: Int = 0) -> SignedEnvelope {
                ClockMessage(clock: PairClock(author: key.id, peer: id, sent: sent, applied: 0), createdAt: Date(), version: 1).signed(with: key)
            }
            let forged = SignedEnvelope(payload: request(from: x.members[0].key, to: y.members[1].key.id).payload,
                                        signature: stranger.sign(Data("x".utf8)))
            let digest = DigestRequest(requests: [
                request(from: x.members[0].key, to: y.members[0].key.id),
                request(from: x.members[0].key, to: y.members[1].key.id, sent: 3),  // y2, the other node of Y's host
                request(from: x.members[0].key, to: x.members[1].key.id),           // not on Y's host
                request(from: stranger, to: y.members[0].key.id),
                forged,
            ])
            // Posted at y1's path: every node of Y's host answers its own.
            let url = "http://127.0.0.1:\(y.port)/y/y1/p2p/v1/digest"
            let answered = try await HTTP.send("POST", url, headers: ["Content-Type": "application/json"], body: WireJSON.encode(digest))
            #expect(answered.status == 200)
            let answer = try JSONDecoder().decode(DigestAnswer.self, from: answered.data)
            #expect(answer.answers.count == 5)
            for (index, author) in [(0, y.members[0]), (1, y.members[1])] {
                guard case .clock(let envelope) = answer.answers[index] else { Issue.record("no clock for \(index)"); continue }
                let (_, clock) = try ClockMessage.open(envelope, expectedAuthor: author.key.id, localID: x.members[0].key.id) { _ in true }
                #expect(clock.sent == 0 && clock.applied == 0)
            }
            #expect(answer.answers[2] == .refused(code: "wrong_recipient", message: APIError.from(ProtocolError.notAddressedHere).message))
            guard case .refused(let strangerCode, _) = answer.answers[3], case .refused(let forgedCode, _) = answer.answers[4] else {
                Issue.record("a stranger's or a forged request was answered"); return
            }
            #expect(strangerCode == "untrusted_peer")
            #expect(forgedCode == "bad_signature")
            // x1 said it had sent y2 three events y2 does not hold: y2 pulls them, as after a sync request.
            try await eventually("y2 asks x1 for what it lacks") { y.remote.count("/p2p/v1/sync") >= 1 }

            // Too many requests in one body, and a body that is no digest.
            let many = DigestRequest(requests: Array(repeating: digest.requests[0], count: DigestRequest.limit + 1))
            let tooMany = try await HTTP.send("POST", url, headers: ["Content-Type": "application/json"], body: WireJSON.encode(many))
            #expect(tooMany.status == 400)
            #expect(tooMany.errorCode == "too_many")
            let bad = try await HTTP.send("POST", url, headers: ["Content-Type": "application/json"], body: Data(#"{"requests":5}"#.utf8))
            #expect(bad.status == 400)
            #expect(bad.errorCode == "bad_json")
        }
    }
}
