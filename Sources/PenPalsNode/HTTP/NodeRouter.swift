import Foundation
public import Hummingbird
import PenPalsCore
import PenPalsStore

/// The HTTP surface of every classroom of the process: the local API under `/api`
/// (token), the WebEx OAuth pages under `/webex`, the node-to-node protocol under
/// `/p2p/v1`, and the dashboard at `/`. Each request carries its classroom (and where
/// its routes are mounted) in its `NodeRequestContext`.
func buildRouter() -> Router<NodeRequestContext> {
    let router = Router(context: NodeRequestContext.self)
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: JSONErrorMiddleware())
    router.add(middleware: UnknownAPIPathMiddleware())
    let api = router.group("api")
        .add(middleware: TokenAuthMiddleware())
        .add(middleware: CSRFMiddleware())
        .add(middleware: DeclaredBodyLimitMiddleware(limit: 1 << 20))
    APIRoutes().register(on: api)
    DashboardAPIRoutes().register(on: api)

    PeerRoutes().register(on: router.group("p2p/v1").add(middleware: ConcurrencyLimitMiddleware()))
    WebexRoutes().register(on: router)
    DashboardRoutes(assets: .shared).register(on: router)
    return router
}

/// The routes of every classroom of the process, built on the first request.
let nodeRoutes = buildRouter().buildResponder()

struct APIRoutes {
    func register(on api: RouterGroup<NodeRequestContext>) {
        api.get("status") { _, context in JSONResponse.make(try await context.node.statusView()) }
        api.get("classrooms") { _, context in
            struct Body: Encodable { var classrooms: [ClassroomView] }
            return JSONResponse.make(Body(classrooms: context.node.classroomViews()))
        }
        api.post("webex/meeting", use: invite)
        api.get("webex/invitations", use: invitations)
        api.get("webex/invitations/sent") { _, context in
            let node = context.node
            struct Body: Encodable { var sentInvitations: [InvitationView]; enum CodingKeys: String, CodingKey { case sentInvitations = "sent_invitations" } }
            return JSONResponse.make(Body(sentInvitations: try await node.invitationViews(.init(box: .sent, statuses: [.pending])).items))
        }
        api.post("webex/invitations/:id/accept") { _, context in
            let node = context.node
            let (invitation, meeting) = try await node.accept(try invitationID(context))
            if let meeting {
                struct Body: Encodable { var invitation: InvitationView; var meeting: MeetingView }
                return JSONResponse.make(Body(invitation: node.view(invitation, meeting: meeting), meeting: node.view(meeting)))
            }
            return JSONResponse.make(InvitationBody(invitation: node.view(invitation, meeting: nil)), status: .accepted)
        }
        api.post("webex/invitations/:id/decline") { request, context in
            let node = context.node
            var request = request
            let reason = try await optionalBody(&request, ReasonRequest.self, within: node.settings.bodyTimeout)?.reason
            let invitation = try await node.decline(try invitationID(context), reason: reason)
            return JSONResponse.make(InvitationBody(invitation: node.view(invitation, meeting: nil)))
        }
        api.post("webex/invitations/:id/cancel") { request, context in
            let node = context.node
            var request = request
            let reason = try await optionalBody(&request, ReasonRequest.self, within: node.settings.bodyTimeout)?.reason
            let id = try invitationID(context)
            let invitation = try await node.cancel(id, reason: reason)
            return JSONResponse.make(InvitationBody(invitation: node.view(invitation, meeting: try await node.store.read { try $0.meeting(forInvitation: id) })))
        }
        api.post("webex/invitations/:id/reschedule") { request, context in
            let node = context.node
            var request = request
            let ask = try await request.decodeJSON(NewTimesRequest.self, within: node.settings.bodyTimeout)
            let (start, end) = try times(ask.startTime, ask.endTime)
            let id = try invitationID(context)
            let invitation = try await node.reschedule(id, title: ask.title, start: start, end: end)
            return JSONResponse.make(InvitationBody(invitation: node.view(invitation, meeting: try await node.store.read { try $0.meeting(forInvitation: id) })))
        }
        api.post("webex/invitations/:id/propose") { request, context in
            let node = context.node
            var request = request
            let ask = try await request.decodeJSON(NewTimesRequest.self, within: node.settings.bodyTimeout)
            guard ask.title == nil else {
                throw APIError.badRequest("bad_json", "A proposal carries start_time and end_time only; the sender keeps the title.")
            }
            let (start, end) = try times(ask.startTime, ask.endTime)
            let id = try invitationID(context)
            let invitation = try await node.propose(id, start: start, end: end)
            return JSONResponse.make(InvitationBody(invitation: node.view(invitation, meeting: try await node.store.read { try $0.meeting(forInvitation: id) })))
        }
        api.post("webex/invitations/:id/retry") { _, context in
            let node = context.node
            let invitation = try await node.retry(try invitationID(context))
            return JSONResponse.make(InvitationBody(invitation: node.view(invitation, meeting: nil)))
        }
        api.get("meetings") { request, context in
            let node = context.node
            let all = ["1", "true", "yes"].contains(request.uri.queryParameters.get("all").map { String($0) } ?? "")
            let page = try listPage(request)
            let found = try await node.meetings(all: all, page: page)
            return JSONResponse.make(PageBody(key: "meetings", items: found.items.map(node.view), next: found.next, paged: page.isPaged))
        }
        api.get("meetings/:id/calendar.ics") { _, context in
            let node = context.node
            guard let text = context.parameters.get("id"), let id = UUID.parse(text),
                  let meeting = try await node.meeting(id) else {
                throw APIError.notFound("Meeting \(context.parameters.get("id") ?? "")")
            }
            let ics = ICalendar.document(for: node.view(meeting), organizer: node.directory.displayName(of: meeting.creatorID), now: node.now())
            var headers = HTTPFields()
            headers[.contentType] = "text/calendar; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"penpals-\(id.lowercasedString).ics\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: ics)))
        }
        api.post("sync") { request, context in
            let node = context.node
            var request = request
            let peer = try await optionalBody(&request, SyncNowRequest.self, within: node.settings.bodyTimeout)?.peer
            let results = try await node.syncNow(peer: peer)
            struct Row: Encodable { var name: String; var sent: Int; var received: Int; var error: String? }
            struct Body: Encodable { var peers: [Row] }
            return JSONResponse.make(Body(peers: results.map { result in
                switch result {
                case .success(let report): Row(name: report.peer, sent: report.sent, received: report.received, error: nil)
                case .failure(let failure): Row(name: failure.peer, sent: 0, received: 0, error: failure.message)
                }
            }))
        }
        api.post("webex/connect") { _, context in
            let node = context.node
            struct Body: Encodable { var authorizeURL: String; enum CodingKeys: String, CodingKey { case authorizeURL = "authorize_url" } }
            return JSONResponse.make(Body(authorizeURL: try await node.webexAuthorizeURL().absoluteString))
        }
    }

    struct InvitationBody: Encodable, JSONValueWritable {
        var invitation: InvitationView

        func write(to json: inout JSONWriter) {
            json.beginObject()
            json.key("invitation"); invitation.write(to: &json)
            json.endObject()
        }
    }

    @Sendable func invite(_ request: Request, context: NodeRequestContext) async throws -> Response {
        let node = context.node
        var request = request
        let ask = try await request.decodeJSON(InviteRequest.self, within: node.settings.bodyTimeout)
        let (start, end) = try times(ask.startTime, ask.endTime)
        let recurrence = try ask.recurrence.map { series -> Recurrence in
            guard let freq = Recurrence.Frequency(rawValue: series.freq) else {
                throw APIError.badRequest("bad_recurrence", "recurrence.freq \"\(series.freq.prefix(32))\" is not daily or weekly.")
            }
            let rule = Recurrence(freq: freq, interval: series.interval ?? 1, count: series.count)
            if let violation = rule.violation { throw violation }
            return rule
        }
        switch (ask.classroomID, ask.classroomIDs) {
        case (let classroom?, nil):
            let invitation = try await node.invite(classroom: classroom, title: ask.title, start: start, end: end, recurrence: recurrence)
            return JSONResponse.make(InvitationBody(invitation: node.view(invitation, meeting: nil)), status: .created)
        case (nil, let classrooms?):
            guard ClassroomNode.groupSizes.contains(classrooms.count) else { throw InvitationRefusal.groupSize(classrooms.count) }
            let made = try await node.invite(classrooms: classrooms, title: ask.title, start: start, end: end, recurrence: recurrence)
            struct Body: Encodable { var invitations: [InvitationView] }
            return JSONResponse.make(Body(invitations: made.map { node.view($0, meeting: nil) }), status: .created)
        default:
            throw APIError.badRequest("bad_json", "Give classroom_id (one classroom) or classroom_ids (2 to 8), not both.")
        }
    }

    @Sendable func invitations(_ request: Request, context: NodeRequestContext) async throws -> Response {
        let node = context.node
        let parameters = request.uri.queryParameters
        let box: InvitationQuery.Box
        switch parameters.get("box").map({ String($0) }) {
        case nil, "received": box = .received
        case "sent": box = .sent
        case "all": box = .all
        case let other?: throw APIError.badRequest("bad_box", "box \"\(other)\" is not one of received, sent, all.")
        }
        let statuses: Set<InvitationStatus>?
        switch parameters.get("status").map({ String($0) }) {
        case nil: statuses = [.pending]
        case "all": statuses = nil
        case let name?:
            guard let status = InvitationStatus(rawValue: name) else {
                throw APIError.badRequest("bad_status", "status \"\(name)\" is not one of all, \(InvitationStatus.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            statuses = [status]
        }
        let page = try listPage(request)
        let found = try await node.invitationViews(.init(box: box, statuses: statuses), page: page)
        return JSONResponse.make(PageBody(key: "invitations", items: found.items, next: found.next, paged: page.isPaged))
    }
}

/// `?limit=N` (1–500) and `?before=<id>` of a list (contract §7.1).
private func listPage(_ request: Request) throws -> ListPage {
    let parameters = request.uri.queryParameters
    var limit: Int?
    if let text = parameters.get("limit").map({ String($0) }) {
        guard let value = Int(text), (1...500).contains(value) else {
            throw APIError.badRequest("bad_limit", "limit \"\(text.prefix(40))\" is not a whole number from 1 to 500.")
        }
        limit = value
    }
    var before: UUID?
    if let text = parameters.get("before").map({ String($0) }) {
        guard let id = UUID.parse(text) else {
            throw APIError.badRequest("bad_before", "before \"\(text.prefix(40))\" is not the id of an item of this list; pass the next of the previous page.")
        }
        before = id
    }
    return ListPage(limit: limit, before: before)
}

extension ListPage {
    /// Whether the request asked for a page (its answer then carries `next`).
    var isPaged: Bool { limit != nil || before != nil }
}

/// `{<key>: [...]}`, and `next` (the id to pass as `before`, or null) for a page.
struct PageBody<Item: Encodable>: Encodable {
    var key: String
    var items: [Item]
    var next: UUID?
    var paged: Bool

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(items, forKey: Key(stringValue: key))
        if paged { try container.encode(next?.lowercasedString, forKey: Key(stringValue: "next")) }
    }
}

extension PageBody: JSONValueWritable where Item: JSONValueWritable {
    /// What `encode(to:)` writes with sorted keys, written directly: a list of 10,000
    /// invitations (4 MB) spent half of its 0.43 s answer in JSONEncoder (see the
    /// commit that made this).
    func write(to json: inout JSONWriter) {
        json.beginObject()
        let nextFirst = paged && "next" < key
        if nextFirst { writeNext(to: &json) }
        json.key(key)
        json.beginArray()
        for index in items.indices {
            if index > 0 { json.comma() }
            items[index].write(to: &json)
        }
        json.endArray()
        if paged && !nextFirst { writeNext(to: &json) }
        json.endObject()
    }

    private func writeNext(to json: inout JSONWriter) {
        json.key("next")
        json.string(next?.lowercasedString)
    }
}

/// The `:id` of an invitation route; an id that is no UUID names no invitation.
/// A request's `start_time` and `end_time`, each an RFC 3339 time with a zone (400 otherwise).
private func times(_ startTime: String, _ endTime: String) throws -> (Date, Date) {
    guard let start = Timestamp.parse(startTime) else {
        throw APIError.badRequest("bad_time", "start_time \"\(startTime)\" is not an RFC 3339 time with a zone, e.g. 2026-12-01T15:00:00Z.")
    }
    guard let end = Timestamp.parse(endTime) else {
        throw APIError.badRequest("bad_time", "end_time \"\(endTime)\" is not an RFC 3339 time with a zone, e.g. 2026-12-01T16:00:00Z.")
    }
    return (start, end)
}

private func invitationID(_ context: NodeRequestContext) throws -> UUID {
    let text = context.parameters.get("id") ?? ""
    guard let id = UUID.parse(text) else { throw APIError.notFound("Invitation \(text)") }
    return id
}

/// A JSON body that may be left out entirely.
private func optionalBody<T: Decodable>(_ request: inout Request, _ type: T.Type, within deadline: Duration) async throws -> T? {
    let buffer = try await request.collectBody(upTo: 1 << 20, within: deadline)
    guard buffer.readableBytes > 0 else { return nil }
    do {
        return try WireJSON.decode(T.self, from: Data(buffer.readableBytesView))
    } catch {
        throw APIError.badRequest("bad_json", "The request body is not what was expected: \(DecodingDescription.of(error)).")
    }
}

/// `/p2p/v1`: other nodes, authenticated by their signatures, not by token.
struct PeerRoutes {
    func register(on group: RouterGroup<NodeRequestContext>) {
        group.post("events") { request, context in
            let node = context.node
            var request = request
            let batch = try await request.decodeJSON(Batch.self, within: node.settings.bodyTimeout)
            return JSONResponse.data(try await node.receive(batch.events).jsonData)
        }
        group.post("sync") { request, context in
            let node = context.node
            var request = request
            let envelope = try await request.decodeJSON(SignedEnvelope.self, within: node.settings.bodyTimeout)
            let gzip = JSONResponse.acceptsGzip(request.headers[values: .acceptEncoding])
            let answer = try await node.syncAnswer(to: envelope, gzip: gzip)
            return JSONResponse.data(answer.json, gzipped: answer.gzip)
        }
        // Digests (docs/protocol.md §12): answered for every node of this process.
        group.post("digest") { request, context in
            let node = context.node
            var request = request
            let digest = try await request.decodeJSON(DigestRequest.self, within: node.settings.bodyTimeout)
            guard digest.requests.count <= DigestRequest.limit else {
                throw APIError.badRequest("too_many", "A digest carries at most \(DigestRequest.limit) requests.")
            }
            return JSONResponse.make(await node.answerDigest(digest.requests))
        }
    }
}
