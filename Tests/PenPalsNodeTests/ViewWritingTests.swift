import Foundation
import PenPalsCore
@testable import PenPalsNode
import Testing

@Suite("API answers written directly")
struct ViewWritingTests {
    func encoderBytes<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    @Test("an invitation is byte for byte what JSONEncoder writes, with and without meeting and problem")
    func invitationView() throws {
        let (a, b) = (NodeKey.generate().id, NodeKey.generate().id)
        let start = Date(timeIntervalSince1970: 1_796_137_200)
        var invitation = Invitation(id: UUID(), title: "Seasons \"around\" the world / ünïcode 😀\n", startTime: start,
                                    endTime: start.addingTimeInterval(3600), senderID: a, receiverID: b, status: .pending,
                                    createdAt: start.addingTimeInterval(-86_400))
        let meeting = Meeting(id: invitation.id, invitationID: invitation.id, title: invitation.title, startTime: start,
                              endTime: start.addingTimeInterval(3600), webLink: "https://example.webex.com/meet/x?y=1&z=2",
                              webexMeetingID: "m/1", creatorID: a, participants: [a, b])
        var views = [InvitationView(invitation: invitation, meeting: nil, senderName: "Room 12", receiverName: "4B · Kobe")]
        invitation.problem = Problem(code: "webex_not_connected", message: "Waiting for \"Room 12\"", retrying: true)
        invitation.status = .accepted
        views.append(InvitationView(invitation: invitation, meeting: nil, senderName: "Room 12", receiverName: "4B"))
        invitation.problem = nil
        invitation.status = .scheduled
        views.append(InvitationView(invitation: invitation, meeting: meeting, senderName: "Room 12", receiverName: "4B"))
        for view in views {
            let body = APIRoutes.InvitationBody(invitation: view)
            #expect(WireJSON.encode(body) == (try encoderBytes(body)), "\(String(decoding: WireJSON.encode(body), as: UTF8.self))")
        }
    }

    @Test("a list, a page of it and an empty one are byte for byte what JSONEncoder writes")
    func pageBody() throws {
        let (a, b) = (NodeKey.generate().id, NodeKey.generate().id)
        let start = Date(timeIntervalSince1970: 1_796_137_200)
        let views = (0..<3).map { index in
            InvitationView(invitation: Invitation(id: UUID(), title: "Call \(index) \"ü\"", startTime: start, endTime: start.addingTimeInterval(3600),
                                                  senderID: a, receiverID: b, status: .pending, createdAt: start.addingTimeInterval(-Double(index))),
                           meeting: nil, senderName: "Room 12", receiverName: "4B")
        }
        let bodies = [PageBody(key: "invitations", items: views, next: nil, paged: false),
                      PageBody(key: "invitations", items: views, next: views[2].invitation.id, paged: true),
                      PageBody(key: "invitations", items: [], next: nil, paged: true),
                      PageBody(key: "older", items: views, next: views[0].invitation.id, paged: true)]
        for body in bodies {
            #expect(WireJSON.encode(body) == (try encoderBytes(body)), "\(String(decoding: WireJSON.encode(body), as: UTF8.self))")
        }
    }

    @Test("a status is byte for byte what JSONEncoder writes, with no peer, with peers and nulls, and with escapes")
    func statusView() throws {
        let peer = StatusView.Peer(name: "kobe-4b", nodeID: NodeKey.generate().id.rawValue, url: "https://kobe.example/4b?x=\"1\"",
                                   reachable: true, lastContact: "2026-12-01T15:00:00Z", sent: 7, applied: 3, outbox: 2,
                                   nextRetry: nil)
        var other = peer
        (other.name, other.reachable, other.lastContact, other.nextRetry, other.outbox) = ("oslo-7a ünï 😀\n", false, nil, "2026-12-01T15:01:00Z", 0)
        var view = StatusView(name: "room-12", displayName: "Room \"12\" / Lincoln", nodeID: NodeKey.generate().id.rawValue,
                              url: "http://127.0.0.1:7411/lincoln/room-12", timezone: "America/Chicago", peers: [],
                              webex: .init(configured: false, connected: false, expiresAt: nil, problem: nil))
        #expect(WireJSON.encode(view) == (try encoderBytes(view)), "\(String(decoding: WireJSON.encode(view), as: UTF8.self))")
        view.peers = [peer, other, peer]
        view.webex = .init(configured: true, connected: true, expiresAt: "2026-12-01T16:00:00Z", problem: "reconnect")
        #expect(WireJSON.encode(view) == (try encoderBytes(view)), "\(String(decoding: WireJSON.encode(view), as: UTF8.self))")
        // The entry of a pair never talked to, written once and shared by the nodes of a file.
        let untouched = StatusView.Peer.untouched(Classroom(id: NodeKey.generate().id, name: "oslo \"7a\"", displayName: "7A",
                                                            url: URL(string: "https://oslo.example/7a?q=%22")!))
        #expect(untouched.written != nil)
        view.peers = [untouched, peer, untouched]
        #expect(WireJSON.encode(view) == (try encoderBytes(view)), "\(String(decoding: WireJSON.encode(view), as: UTF8.self))")
    }

    @Test("an invite request reads as JSONDecoder reads it, or is left to it")
    func inviteRequest() throws {
        let good = Data(#"{"classroom_id":"kobe-4b","title":"T \"q\"","start_time":"2026-12-01T15:00:00Z","end_time":"2026-12-01T16:00:00Z"}"#.utf8)
        let fast = try #require(JSONValue.parse(good).flatMap(InviteRequest.init(json:)))
        let slow = try JSONDecoder().decode(InviteRequest.self, from: good)
        #expect([fast.classroomID, fast.title, fast.startTime, fast.endTime] == [slow.classroomID, slow.title, slow.startTime, slow.endTime])
        #expect(JSONValue.parse(Data(#"{"classroom_id":"x","title":5,"start_time":"a","end_time":"b"}"#.utf8)).flatMap(InviteRequest.init(json:)) == nil)
    }
}
