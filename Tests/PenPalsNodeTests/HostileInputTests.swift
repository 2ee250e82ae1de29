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
