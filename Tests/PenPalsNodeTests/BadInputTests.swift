import Foundation
import PenPalsCore
@testable import PenPalsNode
import Testing

/// Every `/api` and `/p2p` endpoint refuses bad input with the contract's status
/// and error JSON, and stores nothing of what it refused.
@Suite("Bad input at every endpoint")
struct BadInputTests {
    static let apiRoutes: [(String, String)] = [
        ("GET", "/api/status"), ("GET", "/api/classrooms"), ("POST", "/api/webex/meeting"),
        ("GET", "/api/webex/invitations"), ("GET", "/api/webex/invitations/sent"),
        ("POST", "/api/webex/invitations/\(UUID())/accept"), ("POST", "/api/webex/invitations/\(UUID())/decline"),
        ("POST", "/api/webex/invitations/\(UUID())/cancel"), ("GET", "/api/meetings"),
        ("GET", "/api/meetings/\(UUID())/calendar.ics"), ("POST", "/api/sync"), ("POST", "/api/webex/connect"),
    ]

    @Test func everyAPIRouteNeedsTheToken() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a")
            let url = network.member("a").url
            for (method, path) in Self.apiRoutes {
                let none = try await HTTP.send(method, url + path)
                #expect(none.status == 401, "\(method) \(path) without token")
                #expect(none.errorCode == "unauthorized", "\(method) \(path) error JSON")
                let wrong = try await network.api("a", method, path, token: "not-the-token")
                #expect(wrong.status == 401, "\(method) \(path) with a wrong token")
            }
            let connect = try await HTTP.send("GET", url + "/webex/connect")
            #expect(connect.status == 401)
            // The bearer token may have blanks around it; anything else about it is refused.
            let token = network.member("a").token
            for (header, status) in [("Bearer \(token)", 200), ("Bearer  \t\(token) \t", 200), ("bearer \(token)", 200), ("BEARER \(token)", 200), ("Bearer\t\(token)", 401), ("Bearer \(token)x", 401),
                                     ("Bearer \(token.dropLast())", 401), ("Bearer \(token.dropLast()) ", 401),
                                     ("Basic \(token)", 401), ("Bearer", 401), ("Bearer ", 401), (token, 401)] {
                let answer = try await HTTP.send("GET", url + "/api/status", headers: ["Authorization": header])
                #expect(answer.status == status, "Authorization: \(header.replacingOccurrences(of: token, with: "<token>"))")
            }
        }
    }

    @Test func inviteRefusesBadRequestsAndStoresNothing() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a")
            let b = network.member("b").key.id.rawValue
            let a = network.member("a").key.id.rawValue
            let (start, end) = tomorrow()
            let good: [String: Any] = ["classroom_id": b, "title": "Hello", "start_time": start, "end_time": end]
            func with(_ changes: [String: Any?]) -> [String: Any] {
                var body = good
                for (key, value) in changes { body[key] = value }
                return body
            }
            let past = Timestamp.format(Date().addingTimeInterval(-3600))
            let pastEnd = Timestamp.format(Date().addingTimeInterval(-1800))
            let short = tomorrow(minutes: 9)
            let long = tomorrow(minutes: 24 * 60)
            let cases: [(String, [String: Any], String)] = [
                ("missing title", with(["title": nil]), "bad_json"),
                ("missing classroom", with(["classroom_id": nil]), "bad_json"),
                ("title of wrong type", with(["title": 5]), "bad_json"),
                ("start without zone", with(["start_time": "2026-12-01T15:00:00"]), "bad_time"),
                ("end not a time", with(["end_time": "tomorrow"]), "bad_time"),
                ("end before start", with(["start_time": end, "end_time": start]), "end_not_after_start"),
                ("9 minutes", with(["start_time": short.start, "end_time": short.end]), "too_short"),
                ("24 hours", with(["start_time": long.start, "end_time": long.end]), "too_long"),
                ("start in the past", with(["start_time": past, "end_time": pastEnd]), "start_in_past"),
                ("empty title", with(["title": "  "]), "title_empty"),
                ("129 characters", with(["title": String(repeating: "x", count: 129)]), "title_too_long"),
                ("unknown classroom", with(["classroom_id": "nobody"]), "unknown_classroom"),
                ("itself", with(["classroom_id": a]), "cannot_invite_self"),
            ]
            for (what, body, code) in cases {
                let answer = try await network.api("a", "POST", "/api/webex/meeting", json: body)
                #expect(answer.status == 400, "\(what)")
                #expect(answer.errorCode == code, "\(what): \(answer.text)")
                #expect(answer.errorMessage?.isEmpty == false, "\(what) has a message")
            }
            let malformed = try await HTTP.send("POST", network.member("a").url + "/api/webex/meeting",
                                                headers: ["Authorization": "Bearer \(network.member("a").token)"],
                                                body: Data("{\"title\": ".utf8))
            #expect(malformed.status == 400)
            #expect(malformed.errorCode == "bad_json")
            let huge = try await HTTP.send("POST", network.member("a").url + "/api/webex/meeting",
                                           headers: ["Authorization": "Bearer \(network.member("a").token)"],
                                           body: HTTP.json(with(["title": String(repeating: "x", count: 1_100_000)])))
            #expect(huge.status == 413)
            #expect(huge.errorCode == "body_too_large")

            #expect(try await invitations(network, "a", query: "?box=all&status=all").isEmpty)
            let peer = (try await network.api("a", "GET", "/api/status").object["peers"] as? [[String: Any]])?.first
            #expect(peer?["sent"] as? Int == 0)
            #expect(peer?["outbox"] as? Int == 0)
            // The same body with the defects removed is accepted.
            #expect(try await network.api("a", "POST", "/api/webex/meeting", json: good).status == 201)
        }
    }

    @Test func answersRefuseUnknownIdsWrongRolesAndWrongStates() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a")
            try await network.start("b")
            for action in ["accept", "decline", "cancel"] {
                let unknown = try await network.api("b", "POST", "/api/webex/invitations/\(UUID())/\(action)")
                #expect(unknown.status == 404, "\(action) unknown id")
                #expect(unknown.errorCode == "not_found")
                let notUUID = try await network.api("b", "POST", "/api/webex/invitations/12345/\(action)")
                #expect(notUUID.status == 404, "\(action) id that is no UUID")
            }
            let id = try await invite(network, from: "a", to: "b")
            try await eventually("b has the invitation") { try await status(of: id, at: "b", in: network) == "pending" }
            let ownAccept = try await network.api("a", "POST", "/api/webex/invitations/\(id)/accept")
            #expect(ownAccept.status == 403)
            let ownDecline = try await network.api("a", "POST", "/api/webex/invitations/\(id)/decline")
            #expect(ownDecline.status == 403)
            let badReason = try await network.api("b", "POST", "/api/webex/invitations/\(id)/decline", json: ["reason": 7])
            #expect(badReason.status == 400)
            #expect(try await status(of: id, at: "b", in: network) == "pending", "a refused decline changes nothing")
            #expect(try await network.api("b", "POST", "/api/webex/invitations/\(id)/decline").status == 200)
            let afterDecline = try await network.api("b", "POST", "/api/webex/invitations/\(id)/accept")
            #expect(afterDecline.status == 409)
            #expect(afterDecline.errorCode == "wrong_state")
            let declineTwice = try await network.api("b", "POST", "/api/webex/invitations/\(id)/decline")
            #expect(declineTwice.status == 409)

            #expect(try await network.api("a", "GET", "/api/webex/invitations?box=nope").status == 400)
            #expect(try await network.api("a", "GET", "/api/webex/invitations?status=nope").status == 400)
            #expect(try await network.api("a", "GET", "/api/meetings/\(UUID())/calendar.ics").status == 404)
            #expect(try await network.api("a", "GET", "/api/meetings/nope/calendar.ics").status == 404)
            let sync = try await network.api("a", "POST", "/api/sync", json: ["peer": "nobody"])
            #expect(sync.status == 400)
            #expect(sync.errorCode == "unknown_classroom")
            let unknownRoute = try await network.api("a", "GET", "/api/nothing-here")
            #expect(unknownRoute.status == 404)
            #expect(unknownRoute.errorCode == "not_found")
        }
    }

    // MARK: - /p2p/v1/events

    /// An event from `author` to `recipient`, sealed and signed as a node would.
    static func event(_ body: EventBody, seq: Int, applied: Int = 0, author: NodeKey, recipient: NodeID,
                      sealFor: NodeID? = nil) throws -> SignedEnvelope {
        let cipher = try ChannelCipher(local: author, peer: sealFor ?? recipient)
        var sealed = EventSealing.seal(body, seq: seq, applied: applied, createdAt: Date(), key: author, cipher: cipher)
        if sealFor != nil {
            sealed.payload.to = recipient
            sealed.payload.clock = PairClock(author: author.id, peer: recipient, sent: seq, applied: applied).wire
            return .sign(WireJSON.encode(sealed.payload), with: author)
        }
        return sealed.envelope
    }

    static func offer(_ title: String = "Hello") -> EventBody {
        let (start, end) = tomorrow()
        return .invitation(InvitationOffer(invitationID: UUID(), title: title, startTime: start, endTime: end))
    }

    static func batch(_ envelopes: [SignedEnvelope]) -> Data {
        Data("{\"events\":[\(envelopes.map { String(decoding: $0.jsonData, as: UTF8.self) }.joined(separator: ","))]}".utf8)
    }

    static func post(_ body: Data, to url: String, path: String = "/p2p/v1/events") async throws -> HTTPAnswer {
        try await HTTP.send("POST", url + path, headers: ["Content-Type": "application/json"], body: body)
    }

    /// Re-signs a modified copy of an event payload with `key`.
    static func forged(_ envelope: SignedEnvelope, key: NodeKey, change: (inout EventPayload) -> Void) throws -> SignedEnvelope {
        var payload = try WireJSON.decode(EventPayload.self, from: envelope.payload)
        change(&payload)
        return .sign(WireJSON.encode(payload), with: key)
    }

    @Test func eventsEndpointRefusesBadEnvelopesWithTheContractsStatusAndStoresNothing() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("b")
            let url = network.member("b").url
            let a = network.member("a").key
            let b = network.member("b").key.id
            let stranger = NodeKey.generate()
            let good = try Self.event(Self.offer(), seq: 1, author: a, recipient: b)

            // Still a well-formed event, so only the signature can tell.
            let tamperedBytes = Data(String(decoding: good.payload, as: UTF8.self)
                .replacingOccurrences(of: "\"created_at\":\"20", with: "\"created_at\":\"19").utf8)
            #expect(tamperedBytes != good.payload)
            let tampered = SignedEnvelope(payload: tamperedBytes, signature: good.signature)
            let cases: [(String, Data, Int, String)] = [
                ("not JSON", Data("not json".utf8), 400, "bad_json"),
                ("no events field", Data("{\"evts\":[]}".utf8), 400, "bad_json"),
                ("empty batch", Data("{\"events\":[]}".utf8), 400, "no_events"),
                ("payload not base64url", Data("{\"events\":[{\"payload\":\"a+b/\",\"sig\":\"AA\"}]}".utf8), 400, "bad_json"),
                ("payload not an event", Self.batch([.sign(Data("{}".utf8), with: a)]), 400, "bad_payload"),
                ("tampered payload", Self.batch([tampered]), 401, "bad_signature"),
                ("signed by another key", Self.batch([try Self.forged(good, key: stranger) { _ in }]), 401, "bad_signature"),
                ("untrusted author", Self.batch([try Self.event(Self.offer(), seq: 1, author: stranger, recipient: b)]), 403, "untrusted_peer"),
                ("addressed to another node", Self.batch([try Self.forged(good, key: a) { $0.to = stranger.id }]), 403, "wrong_recipient"),
                ("clock with three entries", Self.batch([try Self.forged(good, key: a) { $0.clock[stranger.id.rawValue] = 0 }]), 400, "bad_clock"),
                ("clock missing the recipient", Self.batch([try Self.forged(good, key: a) { $0.clock.removeValue(forKey: b.rawValue) }]), 400, "bad_clock"),
                ("clock[from] is not seq", Self.batch([try Self.forged(good, key: a) { $0.clock[a.id.rawValue] = 2 }]), 400, "bad_clock"),
                ("sealed for another node", Self.batch([try Self.event(Self.offer(), seq: 1, author: a, recipient: b, sealFor: stranger.id)]), 400, "bad_payload"),
                ("a good event with a bad one", Self.batch([good, tampered]), 401, "bad_signature"),
            ]
            for (what, body, status, code) in cases {
                let answer = try await Self.post(body, to: url)
                #expect(answer.status == status, "\(what): \(answer.text)")
                #expect(answer.errorCode == code, "\(what): \(answer.text)")
            }
            let huge = try await Self.post(Data(repeating: UInt8(ascii: " "), count: (1 << 20) + 10), to: url)
            #expect(huge.status == 413)

            #expect(try await invitations(network, "b", query: "?box=all&status=all").isEmpty, "nothing stored")
            let peer = (try await network.api("b", "GET", "/api/status").object["peers"] as? [[String: Any]])?.first
            #expect(peer?["applied"] as? Int == 0)

            // The good event alone is stored and acknowledged with a signed clock; its repeat is a success.
            for _ in 0..<2 {
                let accepted = try await Self.post(Self.batch([good]), to: url)
                #expect(accepted.status == 200)
                let envelope = try WireJSON.decode(SignedEnvelope.self, from: accepted.data)
                let (_, clock) = try ClockMessage.open(envelope, expectedAuthor: b, localID: a.id) { $0 == b }
                #expect(clock.applied == 1)
                #expect(clock.sent == 0)
            }
            #expect(try await invitations(network, "b").count == 1)

            // Another event under a used seq is a conflict and changes nothing.
            let other = try Self.event(Self.offer("Other"), seq: 1, author: a, recipient: b)
            let conflict = try await Self.post(Self.batch([other]), to: url)
            #expect(conflict.status == 409)
            #expect(conflict.errorCode == "seq_conflict")
            let list = try await invitations(network, "b")
            #expect(list.count == 1)
            #expect(list.first?["title"] as? String == "Hello")
        }
    }

    @Test func eventBeyondAGapWaitsUntilTheGapIsFilled() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("b")
            let url = network.member("b").url
            let a = network.member("a").key
            let b = network.member("b").key.id
            let first = try Self.event(Self.offer("First"), seq: 1, author: a, recipient: b)
            let second = try Self.event(Self.offer("Second"), seq: 2, author: a, recipient: b)
            #expect(try await Self.post(Self.batch([second]), to: url).status == 200)
            #expect(try await invitations(network, "b").isEmpty, "seq 2 waits for seq 1")
            #expect(try await Self.post(Self.batch([first]), to: url).status == 200)
            let titles = try await invitations(network, "b").compactMap { $0["title"] as? String }
            #expect(Set(titles) == ["First", "Second"])
        }
    }

    @Test func syncEndpointRefusesForgedAndUntrustedRequests() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("b")
            let url = network.member("b").url
            let a = network.member("a").key
            let b = network.member("b").key.id
            let stranger = NodeKey.generate()
            func request(_ key: NodeKey, to: NodeID, wire: [String: Int]? = nil) -> SignedEnvelope {
                var message = ClockMessage(clock: PairClock(author: key.id, peer: to, sent: 0, applied: 0), createdAt: Date(), version: 1)
                if let wire { message.clock = wire }
                return message.signed(with: key)
            }
            let good = request(a, to: b)
            // Still well-formed JSON, so only the signature can tell.
            let tampered = Data(String(decoding: good.payload, as: UTF8.self)
                .replacingOccurrences(of: "\"created_at\":\"20", with: "\"created_at\":\"19").utf8)
            #expect(tampered != good.payload)
            let cases: [(String, Data, Int)] = [
                ("not JSON", Data("{".utf8), 400),
                ("not an envelope", Data("{\"payload\":1}".utf8), 400),
                ("tampered", SignedEnvelope(payload: tampered, signature: good.signature).jsonData, 401),
                ("untrusted", request(stranger, to: b).jsonData, 403),
                ("to another node", request(a, to: stranger.id).jsonData, 403),
                ("bad clock", request(a, to: b, wire: [a.id.rawValue: 0]).jsonData, 400),
            ]
            for (what, body, status) in cases {
                let answer = try await Self.post(body, to: url, path: "/p2p/v1/sync")
                #expect(answer.status == status, "\(what): \(answer.text)")
                #expect(answer.errorCode != nil, "\(what) has error JSON")
            }
            let answer = try await Self.post(good.jsonData, to: url, path: "/p2p/v1/sync")
            #expect(answer.status == 200)
            let envelope = try WireJSON.decode(SignedEnvelope.self, from: answer.data)
            let (message, _) = try ClockMessage.open(envelope, expectedAuthor: b, localID: a.id) { $0 == b }
            #expect(message.events == [])
            #expect(message.more == false)
        }
    }

    @Test func syncAnswersAreGzippedForClientsThatAcceptIt() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a")
            for index in 0..<20 { _ = try await invite(network, from: "a", to: "b", title: "Call \(index)") }
            let url = network.member("a").url
            let a = network.member("a").key.id
            let b = network.member("b").key
            let request = ClockMessage(clock: PairClock(author: b.id, peer: a, sent: 0, applied: 0), createdAt: Date(), version: 1)
                .signed(with: b).jsonData
            func sync(acceptEncoding: String) async throws -> (HTTPAnswer, ClockMessage) {
                let answer = try await HTTP.send("POST", url + "/p2p/v1/sync",
                                                 headers: ["Content-Type": "application/json", "Accept-Encoding": acceptEncoding], body: request)
                #expect(answer.status == 200, "\(answer.text)")
                let envelope = try WireJSON.decode(SignedEnvelope.self, from: answer.data)
                return (answer, try ClockMessage.open(envelope, expectedAuthor: a, localID: b.id) { $0 == a }.0)
            }
            // URLSession undoes the gzip itself; the headers tell what crossed the wire.
            let (packed, packedMessage) = try await sync(acceptEncoding: "gzip")
            let (plain, plainMessage) = try await sync(acceptEncoding: "identity")
            #expect(packed.headers["Content-Encoding"] == "gzip")
            #expect(plain.headers["Content-Encoding"] == nil)
            let events = try #require(packedMessage.events)
            #expect(events.count == 20)
            #expect(events == plainMessage.events, "the same events either way")
            let packedBytes = try #require(packed.headers["Content-Length"].flatMap { Int($0) })
            let envelopeBytes = events.reduce(0) { $0 + $1.jsonData.count }
            #expect(packedBytes < envelopeBytes * 6 / 5, "compressed \(packedBytes) bytes for \(envelopeBytes) bytes of envelopes")
            #expect(plain.data.count > envelopeBytes * 5 / 4, "uncompressed, the envelope in an envelope costs a third more")
        }
    }

    @Test("Accept-Encoding: gzip, x-gzip or *, unless q=0", arguments: [
        (["gzip"], true), (["deflate, gzip"], true), (["gzip;q=0.5"], true), (["x-gzip"], true), (["*"], true),
        (["identity"], false), ([], false), (["gzip;q=0"], false), (["gzip; q=0.0"], false), (["*;q=0"], false),
        (["deflate", "GZIP"], true), (["br"], false),
    ])
    func acceptsGzip(values: [String], accepted: Bool) {
        #expect(JSONResponse.acceptsGzip(values) == accepted)
    }
}
