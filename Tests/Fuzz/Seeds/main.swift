import Foundation
import PenPalsCore

// Writes the generated seeds of Tests/Fuzz/corpus (`scripts/fuzz --seeds`): real
// messages, made with the project's own encoders and signed and sealed with the keys
// of FuzzNodes, so that the fuzzers open them as a node would. The seeds captured from
// elsewhere (the WebEx sandbox's answers, WebEx's spec examples, the CLI's request
// bodies) are kept beside them, named after their origin, and left alone here.
//
// Usage: seeds REPOSITORY-ROOT

let root = URL(fileURLWithPath: CommandLine.arguments[1])
let corpus = root.appendingPathComponent("Tests/Fuzz/corpus")

/// Writes one seed; a seed stays small, so that a run spends its time on mutations.
func seed(_ target: String, _ name: String, _ data: Data) {
    precondition(data.count < 64 * 1024, "\(target)/\(name) has \(data.count) bytes")
    let folder = corpus.appendingPathComponent(target)
    try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try! data.write(to: folder.appendingPathComponent(name))
}

/// The same JSON with other spacing and member order, as another implementation might
/// write it: the exact-form readers refuse it and the general ones read it.
func reformatted(_ data: Data) -> Data {
    let object = try! JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    return try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .fragmentsAllowed])
}

let author = FuzzNodes.author, reader = FuzzNodes.reader, now = FuzzNodes.now
let invitationID = UUID(uuidString: "0193a5b4-7c1e-7d2a-9f00-1a2b3c4d5e6f")!

// MARK: - Event bodies and events

let bodies: [(name: String, target: String, body: EventBody)] = [
    ("invitation", "InvitationBody", .invitation(InvitationOffer(
        invitationID: invitationID, title: "Pen pals: autumn in Chicago and Kobe",
        startTime: "2026-12-10T15:00:00Z", endTime: "2026-12-10T16:00:00Z"))),
    ("invitation-unicode", "InvitationBody", .invitation(InvitationOffer(
        invitationID: invitationID, title: "Quiz \"¿Qué tal?\" / 日本語 \\ tab\tend",
        startTime: "2026-12-10T09:00:00-06:00", endTime: "2026-12-10T10:30:00.5-06:00"))),
    ("accept", "AcceptBody", .accept(invitationID: invitationID)),
    ("decline", "DeclineBody", .decline(invitationID: invitationID, reason: "We have a school trip that day.")),
    ("decline-no-reason", "DeclineBody", .decline(invitationID: invitationID, reason: nil)),
    ("cancel", "CancelBody", .cancel(invitationID: invitationID, reason: nil)),
    ("cancel-expired", "CancelBody", .cancel(invitationID: invitationID, reason: EventBody.expiredReason)),
    ("reschedule", "RescheduleBody", .reschedule(Reschedule(
        invitationID: invitationID, revision: 2, title: "Pen pals: winter in Chicago and Kobe",
        startTime: "2026-12-17T15:00:00Z", endTime: "2026-12-17T16:00:00Z"))),
    ("propose", "ProposeBody", .propose(Proposal(
        invitationID: invitationID, revision: 0, startTime: "2026-12-11T09:00:00-06:00", endTime: "2026-12-11T10:00:00-06:00"))),
    ("meeting", "MeetingBody", .meeting(MeetingNotice(
        invitationID: invitationID, webexMeetingID: "44217f7c999b02445f1d3f5dece22ed4",
        webLink: "https://lincoln.webex.com/lincoln/j.php?MTID=m066878aef4343e74c98b48439b71acfd",
        title: "Pen pals: autumn in Chicago and Kobe", startTime: "2026-12-10T15:00:00Z", endTime: "2026-12-10T16:00:00Z"))),
    ("meeting-sandbox", "MeetingBody", .meeting(MeetingNotice(
        invitationID: invitationID, webexMeetingID: "44217f7c999b02445f1d3f5dece22ed4",
        webLink: "http://127.0.0.1:7400/meet/44217f7c999b02445f1d3f5dece22ed4",
        title: "Pen pals: autumn in Chicago and Kobe", startTime: "2026-12-10T15:00:00Z", endTime: "2026-12-10T16:00:00Z"))),
    ("meeting_failed", "MeetingFailedBody", .meetingFailed(MeetingFailure(
        invitationID: invitationID, code: "webex_not_connected",
        message: "Waiting for Room 12 · Lincoln Elementary to connect WebEx; the meeting will be created as soon as they do.",
        retrying: true))),
    ("meeting_failed-final", "MeetingFailedBody", .meetingFailed(MeetingFailure(
        invitationID: invitationID, code: "webex_rejected", message: "WebEx rejected the request (400): start cannot be before current date and time.",
        retrying: false))),
]

var events: [(name: String, event: SealedEvent)] = []
for (index, entry) in bodies.enumerated() {
    let json = entry.body.encoded()
    seed(entry.target, "\(entry.name).json", json)
    seed("JSONValue", "body-\(entry.name).json", json)
    if index % 3 == 0 { seed(entry.target, "\(entry.name)-reformatted.json", reformatted(json)) }
    // One channel, author → reader, in order; the reader has applied 2 of the other one.
    let event = EventSealing.seal(entry.body, seq: index + 1, applied: 2, createdAt: now.addingTimeInterval(Double(index)),
                                  key: author, cipher: FuzzNodes.authorCipher)
    events.append((entry.name, event))
    seed("Event", "\(entry.name).json", event.envelope.payload)
    seed("Envelope", "\(entry.name).json", event.envelope.jsonData)
}
seed("Event", "invitation-reformatted.json", reformatted(events[0].event.envelope.payload))
seed("Envelope", "invitation-reformatted.json", reformatted(events[0].event.envelope.jsonData))
seed("JSONValue", "event-invitation.json", events[0].event.envelope.payload)
seed("JSONValue", "envelope-invitation.json", events[0].event.envelope.jsonData)

// MARK: - POST /p2p/v1/events

/// A batch as ClassroomNode.pushOutbox writes one: the stored envelopes, as they are.
func batch(_ envelopes: [SignedEnvelope]) -> Data {
    var body = Data("{\"events\":[".utf8)
    for (index, envelope) in envelopes.enumerated() {
        if index > 0 { body.append(UInt8(ascii: ",")) }
        body.append(envelope.jsonData)
    }
    body.append(contentsOf: Array("]}".utf8))
    return body
}
seed("EventsBatch", "one.json", batch([events[0].event.envelope]))
seed("EventsBatch", "three.json", batch(events[0..<3].map(\.event.envelope)))
seed("EventsBatch", "meeting.json", batch([events[7].event.envelope]))
seed("EventsBatch", "one-reformatted.json", reformatted(batch([events[0].event.envelope])))
seed("JSONValue", "batch-three.json", batch(events[0..<3].map(\.event.envelope)))

// MARK: - Sync requests, answers, acknowledgements

let requests: [(String, PairClock)] = [
    ("request", PairClock(author: author.id, peer: reader.id, sent: 11, applied: 2)),
    ("request-empty", PairClock(author: author.id, peer: reader.id, sent: 0, applied: 0)),
    ("request-long", PairClock(author: author.id, peer: reader.id, sent: 1_204_331, applied: 998_120)),
]
for (name, clock) in requests {
    let request = ClockMessage(clock: clock, createdAt: now, version: EventPayload.version).signed(with: author)
    seed("SyncRequest", "\(name).json", request.payload)
    seed("Envelope", "sync-\(name).json", request.jsonData)
    let acknowledgement = ClockMessage(clock: clock, createdAt: now).signed(with: author)
    seed("Acknowledgement", "\(name.replacingOccurrences(of: "request", with: "acknowledgement")).json", acknowledgement.payload)
}
seed("SyncRequest", "request-reformatted.json", reformatted(
    ClockMessage(clock: requests[0].1, createdAt: now, version: EventPayload.version).signed(with: author).payload))
// Digests: the signed sync requests of several pairs in one body, and their answer.
let digestRequests = requests.map { ClockMessage(clock: $0.1, createdAt: now, version: EventPayload.version).signed(with: author) }
seed("DigestRequest", "three.json", WireJSON.encode(DigestRequest(requests: digestRequests)))
seed("DigestRequest", "empty.json", WireJSON.encode(DigestRequest(requests: [])))
seed("DigestAnswer", "mixed.json", WireJSON.encode(DigestAnswer(answers: [
    .clock(ClockMessage(clock: requests[0].1, createdAt: now).signed(with: author)),
    .refused(code: "wrong_recipient", message: "The payload is addressed to another node."),
    .clock(ClockMessage(clock: requests[2].1, createdAt: now).signed(with: author)),
])))
seed("JSONValue", "sync-request.json", ClockMessage(clock: requests[0].1, createdAt: now, version: 1).signed(with: author).payload)

/// A page as ClassroomNode.signedPage signs one: the stored envelopes' JSON, as they are.
func page(_ envelopes: [SignedEnvelope], more: Bool, sent: Int = bodies.count, applied: Int = 2) -> Data {
    let clock = PairClock(author: author.id, peer: reader.id, sent: sent, applied: applied)
    return ClockMessage(clock: clock, createdAt: now, events: [], more: more)
        .signedAnswer(eventJSON: envelopes.map(\.jsonData), with: author).payload
}
seed("SyncAnswer", "empty.json", page([], more: false))
seed("SyncAnswer", "first-three.json", page(events[0..<3].map(\.event.envelope), more: true))
seed("SyncAnswer", "all.json", page(events.map(\.event.envelope), more: false))
seed("SyncAnswer", "all-reformatted.json", reformatted(page(events[0..<2].map(\.event.envelope), more: false)))
seed("JSONValue", "sync-answer.json", page(events[0..<2].map(\.event.envelope), more: true))

// MARK: - base64url and times

seed("Base64URL", "node-id", Data(author.id.rawValue.utf8))
seed("Base64URL", "signature", Data(Base64URL.encode(events[0].event.envelope.signature).utf8))
seed("Base64URL", "sealed", Data(events[2].event.payload.sealed.utf8))
for (name, text) in [("empty", ""), ("one-byte", "AQ"), ("two-bytes", "AQI"), ("three-bytes", "AQID")] {
    seed("Base64URL", name, Data(text.utf8))
}
let times = [
    ("utc", Timestamp.format(now)),
    ("chicago", Timestamp.format(now, in: TimeZone(identifier: "America/Chicago")!)),
    ("tokyo", Timestamp.format(now, in: TimeZone(identifier: "Asia/Tokyo")!)),
    ("kathmandu", Timestamp.format(now, in: TimeZone(identifier: "Asia/Kathmandu")!)),
    ("fraction", "2026-12-10T10:30:00.5-06:00"),
    ("lowercase", "2026-12-10t15:00:00z"),
    ("leap-second", "2016-12-31T23:59:60Z"),
    ("first-year", "0001-01-01T00:00:00Z"),
    ("last-year", "9999-12-31T23:59:59Z"),
]
for (name, text) in times { seed("Timestamp", name, Data(text.utf8)) }

// MARK: - Local API bodies

// The dashboard's body for POST /api/webex/meeting: JSON.stringify of its object, the
// classroom as its node id, in the order the script writes the members.
seed("InviteRequest", "dashboard.json", Data("""
    {"classroom_id":"\(author.id.rawValue)","title":"Pen pals: autumn in Chicago and Kobe","start_time":"2026-12-10T15:00:00Z","end_time":"2026-12-10T16:00:00Z"}
    """.utf8))
// The CLI's bodies for POST /api/sync (`penpals sync [--peer NAME]`): JSONSerialization, as the CLI writes them.
seed("SyncNowRequest", "cli-peer.json", try! JSONSerialization.data(withJSONObject: ["peer": "kobe-4b"]))
seed("SyncNowRequest", "cli-all.json", try! JSONSerialization.data(withJSONObject: [String: Any]()))
seed("JSONValue", "api-invite.json", try! JSONSerialization.data(withJSONObject: [
    "classroom_id": "kobe-4b", "title": "Pen pals", "start_time": "2026-12-10T15:00:00Z", "end_time": "2026-12-10T16:00:00Z",
]))

// MARK: - The config file

let example = try! Data(contentsOf: root.appendingPathComponent("nodes.example.toml"))
seed("Config", "nodes.example.toml", example)
// The example with its [[peers]] entry filled in, a secret file instead of the secret,
// and a node's public_key: every section and key the loader knows.
var text = String(decoding: example, as: UTF8.self)
text = text.replacingOccurrences(of: "client_secret = \"sandbox-secret\"", with: "client_secret_file = \"webex-secret.txt\"")
text = text.replacingOccurrences(of: "# public_key = \"<node id>\"", with: "public_key   = \"\(reader.id.rawValue)\"")
text = text.replacingOccurrences(of: "# [[peers]]", with: "[[peers]]")
for key in ["name ", "display_name ", "url ", "public_key "] {
    text = text.replacingOccurrences(of: "# \(key)", with: key)
}
text = text.replacingOccurrences(of: "\"<node id>\"", with: "\"\(author.id.rawValue)\"")
seed("Config", "nodes-with-peer.toml", Data(text.utf8))
