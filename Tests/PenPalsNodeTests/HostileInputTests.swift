import Foundation
import PenPalsCore
@testable import PenPalsNode
import Testing

/// What a node refuses from peers and clients beyond the contract's own checks
/// (README, "Node-to-node protocol"): each refusal with its status, nothing stored.
@Suite("Hostile input at the routes")
struct HostileInputTests {
    typealias Bad = BadInputTests

    @Test func aMeetingEventWithAnUnusableJoinLinkIsRefused() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("b")
            let url = network.member("b").url
            let a = network.member("a").key
            let b = network.member("b").key.id
            let (start, end) = tomorrow()
            func meeting(_ link: String) throws -> Data {
                let notice = MeetingNotice(invitationID: UUID(), webexMeetingID: "m1", webLink: link, title: "T",
                                           startTime: start, endTime: end)
                return Bad.batch([try Bad.event(.meeting(notice), seq: 1, author: a, recipient: b)])
            }
            for link in ["javascript:alert(1)", "http://meet.example.com/j/1", "https://meet.example.com/j/1\r\nATTACH:x",
                         "https://meet.example.com/j/1 x", "https://meet.example.com/" + String(repeating: "a", count: 2_100),
                         "https://", "ftp://meet.example.com/"] {
                let answer = try await Bad.post(try meeting(link), to: url)
                #expect(answer.status == 400, "\(link.prefix(40)): \(answer.text)")
                #expect(answer.errorCode == "bad_payload", "\(link.prefix(40))")
            }
            let peer = (try await network.api("b", "GET", "/api/status").object["peers"] as? [[String: Any]])?.first
            #expect(peer?["applied"] as? Int == 0, "nothing of the refused events applied")
            // https anywhere, and http to a loopback host, are taken.
            #expect(try await Bad.post(try meeting("https://meet.example.com/j/1?pwd=a%20b"), to: url).status == 200)
        }
    }

    @Test func eventsBeyondAGapAreCappedByCountAndBytesAndARefusedBatchStoresNothing() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            let a = network.member("a").key
            let b = network.member("b").key.id
            // Offers of one size, so a byte cap of n envelopes holds exactly n.
            let envelopes = try (1...8).map { try Bad.event(Bad.offer("Offer \($0)"), seq: $0, author: a, recipient: b) }
            let size = envelopes[1].jsonData.count
            try await network.start("b", configure: { $0.heldBeyondGapEvents = 4; $0.heldBeyondGapBytes = 1 << 20 })
            let url = network.member("b").url
            func held() async throws -> Int {
                try await network.node("b").store.read { try $0.heldBeyondGap(from: a.id).count }
            }
            // Event 1 is missing: 2…5 wait beyond the gap (the cap: 4), 6 would be a fifth.
            #expect(try await Bad.post(Bad.batch(Array(envelopes[1...4])), to: url).status == 200)
            let full = try await Bad.post(Bad.batch([envelopes[5]]), to: url)
            #expect(full.status == 429, "\(full.text)")
            #expect(full.errorCode == "gap_full")
            #expect(try await held() == 4, "nothing of the refused batch stored")
            // A batch that fills the gap and goes on is taken whole, and everything applies.
            #expect(try await Bad.post(Bad.batch(Array(envelopes[0...5])), to: url).status == 200)
            #expect(try await held() == 0)
            #expect(try await invitations(network, "b", query: "?box=all&status=all").count == 6)

            // By bytes: a cap of two envelopes' worth refuses a third beyond the next gap.
            await network.stop("b")
            try await network.start("b", configure: { $0.heldBeyondGapEvents = 100; $0.heldBeyondGapBytes = 2 * size + size / 2 })
            let again = network.member("b").url
            // 7 is missing now: 8 waits; 9 and 10 would be the second and third.
            let more = try (9...10).map { try Bad.event(Bad.offer("Offer \($0)"), seq: $0, author: a, recipient: b) }
            #expect(try await Bad.post(Bad.batch([envelopes[7], more[0]]), to: again).status == 200)
            let bytes = try await Bad.post(Bad.batch([more[1]]), to: again)
            #expect(bytes.status == 429, "\(bytes.text)")
            #expect(bytes.errorCode == "gap_full")
            #expect(try await held() == 2)
        }
    }

    @Test func everyAPIPathAsksForSignInAndABodyOverOneMebibyteIs413Everywhere() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("b")
            let url = network.member("b").url
            // Unknown paths and methods: 401 without a credential, 404 with one.
            for (method, path) in [("GET", "/api/nothing/here"), ("DELETE", "/api/status"), ("PUT", "/api/webex/meeting"),
                                   ("POST", "/api/webex/invitations/x/y/z")] {
                let anonymous = try await HTTP.send(method, url + path)
                #expect(anonymous.status == 401, "\(method) \(path): \(anonymous.text)")
                #expect(anonymous.errorCode == "unauthorized")
                let signedIn = try await network.api("b", method, path)
                #expect(signedIn.status == 404, "\(method) \(path): \(signedIn.text)")
                #expect(signedIn.errorCode == "not_found")
            }
            // The routes themselves still answer.
            #expect(try await network.api("b", "GET", "/api/status").status == 200)
            // A route that reads no body refuses one over 1 MiB all the same.
            let big = Data(repeating: UInt8(ascii: " "), count: (1 << 20) + 1)
            let accept = try await HTTP.send("POST", url + "/api/webex/invitations/\(UUID().lowercasedString)/accept",
                                             headers: ["Authorization": "Bearer \(network.member("b").token)"], body: big)
            #expect(accept.status == 413, "\(accept.text)")
            #expect(accept.errorCode == "body_too_large")
        }
    }

    @Test func aReplayedBatchIsNotVerifiedAgainButAnAlteredRepeatIs() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("b")
            let url = network.member("b").url
            let a = network.member("a").key
            let b = network.member("b").key.id
            let envelopes = try (1...300).map { try Bad.event(Bad.offer("Offer \($0)"), seq: $0, author: a, recipient: b) }
            let node = network.node("b")
            #expect(try await Bad.post(Bad.batch(Array(envelopes[0..<200])), to: url).status == 200)
            #expect(node.repeatsSkipped.load(ordering: .relaxed) == 0)
            // The same 200 again: acknowledged, none verified or stored again.
            let again = try await Bad.post(Bad.batch(Array(envelopes[0..<200])), to: url)
            #expect(again.status == 200, "\(again.text)")
            #expect(node.repeatsSkipped.load(ordering: .relaxed) == 200)
            // 100 repeats and 100 new ones: only the new ones are opened.
            #expect(try await Bad.post(Bad.batch(Array(envelopes[100..<300])), to: url).status == 200)
            #expect(node.repeatsSkipped.load(ordering: .relaxed) == 300)
            #expect(try await invitations(network, "b", query: "?box=all&status=all").count == 300)
            // A "repeat" whose bytes differ (its signature altered) is checked, and refused.
            var signature = envelopes[5].signature
            signature[0] ^= 1
            let altered = SignedEnvelope(payload: envelopes[5].payload, signature: signature)
            let answer = try await Bad.post(Bad.batch([altered]), to: url)
            #expect(answer.status == 401, "\(answer.text)")
            #expect(node.repeatsSkipped.load(ordering: .relaxed) == 300)
        }
    }

    @Test func aDocumentWithAKeyTwiceIsRefusedOnTheWireAndInTheAPI() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("b")
            let url = network.member("b").url
            let a = network.member("a").key
            let b = network.member("b").key.id
            let good = try Bad.event(Bad.offer(), seq: 1, author: a, recipient: b)
            // The same signed payload with "seq" twice: signed by its author, so only the
            // duplicate can tell.
            let text = String(decoding: good.payload, as: UTF8.self)
            let twice = Data(text.replacingOccurrences(of: "\"seq\":1", with: "\"seq\":1,\"seq\":2").utf8)
            #expect(twice != good.payload)
            let answer = try await Bad.post(Bad.batch([.sign(twice, with: a)]), to: url)
            #expect(answer.status == 400, "\(answer.text)")
            // An envelope with "payload" twice.
            let envelope = String(decoding: good.jsonData, as: UTF8.self)
            let doubled = "{\"events\":[" + envelope.replacingOccurrences(of: "{\"payload\":", with: "{\"payload\":\"AA\",\"payload\":") + "]}"
            #expect(try await Bad.post(Data(doubled.utf8), to: url).status == 400)
            #expect(try await invitations(network, "b", query: "?box=all&status=all").isEmpty, "nothing stored")

            // A local API body with "title" twice.
            let (start, end) = tomorrow()
            let body = "{\"classroom_id\":\"\(a.id.rawValue)\",\"title\":\"Hello\",\"title\":\"\",\"start_time\":\"\(start)\",\"end_time\":\"\(end)\"}"
            let invite = try await HTTP.send("POST", url + "/api/webex/meeting", headers: [
                "Authorization": "Bearer \(network.member("b").token)", "Content-Type": "application/json",
            ], body: Data(body.utf8))
            #expect(invite.status == 400, "\(invite.text)")
            #expect(invite.errorCode == "bad_json")
            #expect(invite.text.contains("the key \\\"title\\\" stands twice"), "the message names the key: \(invite.text)")
            #expect(try await invitations(network, "b", query: "?box=sent&status=all").isEmpty)
        }
    }

    @Test func aSyncRequestWithoutVersionOneIsRefused() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("b")
            let url = network.member("b").url
            let a = network.member("a").key
            let b = network.member("b").key.id
            for version in [nil, 2] as [Int?] {
                let request = ClockMessage(clock: PairClock(author: a.id, peer: b, sent: 0, applied: 0), createdAt: Date(), version: version)
                let answer = try await Bad.post(request.signed(with: a).jsonData, to: url, path: "/p2p/v1/sync")
                #expect(answer.status == 400, "v \(String(describing: version)): \(answer.text)")
                #expect(answer.errorCode == "bad_version")
            }
        }
    }

    /// A full page for a client that asks for no compression stays within 1 MiB.
    @Test func aSyncPageWithoutGzipIsAtMostOneMebibyte() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a")
            // Long titles of two-byte characters, so that 1,000 events would be far over 1 MiB.
            let title = String(repeating: "é", count: 128)
            for _ in 0..<1_000 { _ = try await invite(network, from: "a", to: "b", title: title) }
            let url = network.member("a").url
            let a = network.member("a").key.id
            let b = network.member("b").key
            var applied = 0
            var pages = 0
            while true {
                let request = ClockMessage(clock: PairClock(author: b.id, peer: a, sent: 0, applied: applied), createdAt: Date(), version: 1)
                let answer = try await HTTP.send("POST", url + "/p2p/v1/sync", headers: [
                    "Content-Type": "application/json", "Accept-Encoding": "identity",
                ], body: request.signed(with: b).jsonData)
                #expect(answer.status == 200)
                #expect(answer.headers["Content-Encoding"] == nil)
                #expect(answer.data.count <= 1 << 20, "page \(pages + 1) is \(answer.data.count) bytes")
                let envelope = try WireJSON.decode(SignedEnvelope.self, from: answer.data)
                let (message, _) = try ClockMessage.open(envelope, expectedAuthor: a, localID: b.id) { $0 == a }
                let events = message.events ?? []
                pages += 1
                applied += events.count
                if message.more != true || events.isEmpty || pages > 5 { break }
                #expect(answer.data.count > 1 << 19, "a page that says more follows is nearly full")
            }
            #expect(applied == 1_000, "every event, in \(pages) pages")
            #expect(pages >= 2, "1,000 such events do not fit one page")
        }
    }
}
