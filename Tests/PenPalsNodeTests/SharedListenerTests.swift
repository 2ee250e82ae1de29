import Foundation
import Logging
import PenPalsCore
@testable import PenPalsNode
import PenPalsStore
import Testing

@Suite("Classrooms that share one listen address, told apart by their url paths (contract §7.1)")
struct SharedListenerTests {
    struct Member {
        var key = NodeKey.generate()
        var token = SecureRandom.token()
        var path: String
        func classroom(port: Int) -> Classroom {
            Classroom(id: key.id, name: String(path.split(separator: "/").last!), displayName: "Class \(path)",
                      url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        }
    }

    /// Serves `members` as co-hosted classrooms on one free loopback port, each under
    /// its path, while `body` runs with that port.
    static func withSharedListener(_ members: [Member], configure: (inout NodeSettings) -> Void = { _ in },
                                   _ body: (Int) async throws -> Void) async throws {
        let port = try freePort()
        let roster = Roster(members.map { $0.classroom(port: port) })
        let host = NodeHost(nodes: members.map(\.key.id))
        var logger = Logger(label: "shared")
        logger.logLevel = .critical
        var nodes: [ClassroomNode] = []
        for member in members {
            var settings = NodeSettings(local: member.classroom(port: port), key: member.key, apiToken: member.token, timezone: .gmt,
                                        roster: roster, webex: nil)
            configure(&settings)
            let node = try await ClassroomNode.open(settings: settings, store: try NodeStore(), logger: logger,
                                                    transport: host.transport, timers: host.timers)
            host.transport.register(node)
            nodes.append(node)
        }
        let (started, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = Task { try await NodeService(nodes: nodes, host: "127.0.0.1", port: port) { continuation.yield($0) }.run() }
        let timers = Task { await host.timers.run() }
        defer { server.cancel(); timers.cancel() }
        var iterator = started.makeAsyncIterator()
        _ = await iterator.next()
        try await body(port)
    }

    @Test func eachNodeAnswersEveryRouteUnderItsPathAndNothingOfAnother() async throws {
        let members = [Member(path: "/lincoln/room-12"), Member(path: "/lincoln/room-14")]
        try await Self.withSharedListener(members) { port in try await everyRouteUnderItsPath(members, port: port) }
    }

    /// The checks of `eachNodeAnswersEveryRouteUnderItsPathAndNothingOfAnother`, with the listener running.
    private func everyRouteUnderItsPath(_ members: [Member], port: Int) async throws {
        let base = "http://127.0.0.1:\(port)"
        func api(_ member: Member, _ method: String, _ path: String, as other: Member? = nil, json: [String: Any]? = nil) async throws -> HTTPAnswer {
            var headers = ["Authorization": "Bearer \((other ?? member).token)"]
            if json != nil { headers["Content-Type"] = "application/json" }
            return try await HTTP.send(method, base + member.path + path, headers: headers, body: json.map(HTTP.json))
        }

        // Each node's status under its own path; the other's token opens nothing of it.
        for (index, member) in members.enumerated() {
            let status = try await api(member, "GET", "/api/status")
            #expect(status.status == 200)
            #expect(status.object["node_id"] as? String == member.key.id.rawValue)
            #expect(try await api(member, "GET", "/api/status", as: members[1 - index]).status == 401)
        }
        // Every answer carries the server's name and the date, which no timer keeps:
        // it is formatted for the second the answer is made in.
        // (HTTPDate's form itself is pinned by theDateHeaderIsRFC9110sFormOfTheSecond.)
        let before = Date()
        let answer = try await api(members[0], "GET", "/api/status")
        let after = Date()
        #expect(answer.header("Server") == "PenPals")
        let date = try #require(answer.header("Date"))
        #expect([HTTPDate.text(for: before), HTTPDate.text(for: after)].contains(date), "Date: \(date)")
        // Nothing answers outside the nodes' paths.
        #expect(try await HTTP.send("GET", base + "/api/status").status == 404)
        #expect(try await HTTP.send("GET", base + "/lincoln/api/status").status == 404)
        #expect(try await HTTP.send("GET", base + "/lincoln/room-1/api/status", headers: ["Authorization": "Bearer \(members[0].token)"]).status == 404)

        // The dashboard: its path alone goes on to the path with a slash; the sign-in link
        // sets a cookie scoped to the node's path and sends the browser to its dashboard.
        let bare = try await RawAnswer.send(port: port, "GET", "/lincoln/room-12?token=x")
        #expect(bare.status == 308)
        #expect(bare.header("Location") == "/lincoln/room-12/?token=x")
        let signIn = try await RawAnswer.send(port: port, "GET", "/lincoln/room-12/?token=\(members[0].token)")
        #expect(signIn.status == 302)
        #expect(signIn.header("Location") == "/lincoln/room-12/")
        let cookie = try #require(signIn.header("Set-Cookie"))
        #expect(cookie.contains("Path=/lincoln/room-12;") || cookie.hasSuffix("Path=/lincoln/room-12"), "\(cookie)")
        let cookieValue = DashboardSession.cookieValue(for: members[0].token)
        let withCookie = ["Cookie": "penpals_session=\(cookieValue)"]
        #expect(try await RawAnswer.send(port: port, "GET", "/lincoln/room-12/api/status", headers: withCookie).status == 200)
        #expect(try await RawAnswer.send(port: port, "GET", "/lincoln/room-14/api/status", headers: withCookie).status == 401,
                "one node's cookie opens nothing of another")

        // An invitation from one to the other travels in process and is listed under the receiver's path.
        let (start, end) = tomorrow()
        let invited = try await api(members[0], "POST", "/api/webex/meeting",
                                    json: ["classroom_id": "room-14", "title": "Two rooms, one address", "start_time": start, "end_time": end])
        #expect(invited.status == 201)
        try await eventually("room-14 lists it") {
            let list = try await api(members[1], "GET", "/api/webex/invitations")
            return (list.object["invitations"] as? [[String: Any]])?.count == 1
        }
        // The node-to-node routes are under the path too.
        let peerRoute = try await HTTP.send("POST", base + "/lincoln/room-14/p2p/v1/events", headers: ["Content-Type": "application/json"],
                                            body: Data(#"{"events":[]}"#.utf8))
        #expect(peerRoute.status == 400)
        #expect(peerRoute.errorCode == "no_events")
    }

    @Test func peerRequestsAreCountedForEachClassroomOfTheListener() async throws {
        let members = [Member(path: "/d/room-1"), Member(path: "/d/room-2")]
        try await Self.withSharedListener(members, configure: {
            $0.peerRequestsAtOnce = 2
            $0.bodyTimeout = .seconds(2)
        }) { port in
            let base = "http://127.0.0.1:\(port)"
            // Two peer requests to room-1 whose bodies never come hold all its places...
            let head = "POST /d/room-1/p2p/v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"
            let slow = try (0..<2).map { _ in try SlowClientTests.RawConnection(port: port, sending: head) }
            // Tens of milliseconds alone; the bound is for a loaded 2-core machine running the suite.
            try await eventually("room-1 turns a third peer request away as busy", timeout: .seconds(3)) {
                let answer = try await BadInputTests.post(Data(#"{"events":[]}"#.utf8), to: base + "/d/room-1")
                return answer.status == 503 && answer.errorCode == "busy"
            }
            // ...and none of room-2's, which shares the listener (and the routes) but not the count.
            let other = try await BadInputTests.post(Data(#"{"events":[]}"#.utf8), to: base + "/d/room-2")
            #expect(other.status == 400)
            #expect(other.errorCode == "no_events")
            _ = slow
        }
    }

    @Test func theDateHeaderIsRFC9110sFormOfTheSecond() {
        #expect(HTTPDate.text(for: Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.text(for: Date(timeIntervalSince1970: 1_796_676_798.75)) == "Mon, 07 Dec 2026 20:53:18 GMT")
        #expect(HTTPDate.text(for: Date(timeIntervalSince1970: 1_796_676_799)) == "Mon, 07 Dec 2026 20:53:19 GMT")
    }

    @Test func aNodeAloneOnItsAddressAnswersAtTheRootAndUnderItsPath() async throws {
        let port = try freePort()
        let member = Member(path: "/school/7a")
        let peer = NodeKey.generate()
        var logger = Logger(label: "lone")
        logger.logLevel = .critical
        let node = try await ClassroomNode.open(
            settings: NodeSettings(local: member.classroom(port: port), key: member.key, apiToken: member.token, timezone: .gmt,
                                   peers: [Classroom(id: peer.id, name: "b", displayName: "B", url: URL(string: "http://127.0.0.1:9")!)],
                                   webex: nil),
            store: try NodeStore(), logger: logger)
        let (started, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = Task { try await NodeService(node: node, host: "127.0.0.1", port: port, background: false) { continuation.yield($0) }.run() }
        defer { server.cancel() }
        var iterator = started.makeAsyncIterator()
        _ = await iterator.next()
        let auth = ["Authorization": "Bearer \(member.token)"]
        for path in ["/api/status", "/school/7a/api/status"] {
            let answer = try await HTTP.send("GET", "http://127.0.0.1:\(port)\(path)", headers: auth)
            #expect(answer.status == 200, "\(path)")
            #expect(answer.object["node_id"] as? String == member.key.id.rawValue, "\(path)")
        }
        // At the root, as before: the sign-in link sends the browser to / with a cookie for /.
        let signIn = try await RawAnswer.send(port: port, "GET", "/?token=\(member.token)")
        #expect(signIn.header("Location") == "/")
        #expect(signIn.header("Set-Cookie")?.contains("Path=/;") == true || signIn.header("Set-Cookie")?.hasSuffix("Path=/") == true)
    }
}

@Suite("A listener answers while its classrooms open (a district is served as it opens, contract §7.1)")
struct OpeningSlotTests {
    @Test func aRequestForAClassroomStillOpeningWaitsForItAndOneThatCannotOpenGets503() async throws {
        let port = try freePort()
        let members = [SharedListenerTests.Member(path: "/d/room-1"), SharedListenerTests.Member(path: "/d/room-2")]
        let roster = Roster(members.map { $0.classroom(port: port) })
        let host = NodeHost(nodes: members.map(\.key.id))
        var logger = Logger(label: "opening")
        logger.logLevel = .critical
        let slots = members.map { NodeSlot(url: $0.classroom(port: port).url) }
        let (started, continuation) = AsyncStream.makeStream(of: Int.self)
        let service = NodeService(slots: slots, host: "127.0.0.1", port: port, background: false, logger: logger) { continuation.yield($0) }
        let server = Task { try await service.run() }
        defer { server.cancel() }
        var iterator = started.makeAsyncIterator()
        _ = await iterator.next()
        #expect(slots[0].openNode == nil)

        // Asked before it is open, the first classroom answers once it is.
        let early = Task {
            try await HTTP.send("GET", "http://127.0.0.1:\(port)/d/room-1/api/status",
                                headers: ["Authorization": "Bearer \(members[0].token)"])
        }
        try await eventually("the request waits for the classroom", timeout: .seconds(5)) { slots[0].waiting == 1 }
        let node = try await ClassroomNode.open(
            settings: NodeSettings(local: members[0].classroom(port: port), key: members[0].key, apiToken: members[0].token,
                                   timezone: .gmt, roster: roster, webex: nil),
            store: try NodeStore(), logger: logger, transport: host.transport, timers: host.timers)
        slots[0].opened(node)
        let answer = try await early.value
        #expect(answer.status == 200)
        #expect(answer.object["node_id"] as? String == members[0].key.id.rawValue)
        #expect(slots[0].openNode === node)

        // The second never opens (the start failed): a waiting request and any after it get 503, not a hang.
        let waiting = Task {
            try await HTTP.send("GET", "http://127.0.0.1:\(port)/d/room-2/api/status",
                                headers: ["Authorization": "Bearer \(members[1].token)"])
        }
        try await eventually("the request waits for the classroom", timeout: .seconds(5)) { slots[1].waiting == 1 }
        slots[1].failed()
        #expect(try await waiting.value.status == 503)
        let after = try await HTTP.send("GET", "http://127.0.0.1:\(port)/d/room-2/api/status",
                                        headers: ["Authorization": "Bearer \(members[1].token)"])
        #expect(after.status == 503)
        #expect((after.object["error"] as? [String: Any])?["code"] as? String == "unavailable")
        // The open one goes on answering.
        #expect(try await HTTP.send("GET", "http://127.0.0.1:\(port)/d/room-1/api/status",
                                    headers: ["Authorization": "Bearer \(members[0].token)"]).status == 200)
    }
}
