import Foundation
import PenPalsCore
import PenPalsStore

/// The JSON shapes of the local API (contract §4). Optional fields are written
/// as `null`, never left out.
struct InvitationView: Encodable {
    var invitation: Invitation
    var meeting: Meeting?
    var senderName: String
    var receiverName: String

    enum CodingKeys: String, CodingKey {
        case id, title, status, problem
        case startTime = "start_time", endTime = "end_time", senderID = "sender_id", senderName = "sender_name"
        case receiverID = "receiver_id", receiverName = "receiver_name", createdAt = "created_at"
        case meetingID = "meeting_id", webLink = "web_link"
        case groupID = "group_id", revision, recurrence, proposal
    }

    /// `proposal`: `{start_time, end_time}`.
    struct ProposalView: Encodable {
        var start: Date
        var end: Date
        enum CodingKeys: String, CodingKey { case start = "start_time", end = "end_time" }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(Timestamp.format(start), forKey: .start)
            try c.encode(Timestamp.format(end), forKey: .end)
        }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(invitation.revision, forKey: .revision)
        try c.encode(invitation.proposal.map { ProposalView(start: $0.start, end: $0.end) }, forKey: .proposal)
        try c.encode(invitation.groupID?.lowercasedString, forKey: .groupID)
        try c.encode(invitation.recurrence.map(RecurrenceView.init), forKey: .recurrence)
        try c.encode(invitation.id.lowercasedString, forKey: .id)
        try c.encode(invitation.title, forKey: .title)
        try c.encode(Timestamp.format(invitation.startTime), forKey: .startTime)
        try c.encode(Timestamp.format(invitation.endTime), forKey: .endTime)
        try c.encode(invitation.senderID.rawValue, forKey: .senderID)
        try c.encode(senderName, forKey: .senderName)
        try c.encode(invitation.receiverID.rawValue, forKey: .receiverID)
        try c.encode(receiverName, forKey: .receiverName)
        try c.encode(invitation.status.rawValue, forKey: .status)
        try c.encode(Timestamp.format(invitation.createdAt), forKey: .createdAt)
        try c.encode(meeting?.id.lowercasedString, forKey: .meetingID)
        try c.encode(meeting?.webLink, forKey: .webLink)
        try c.encode(invitation.problem, forKey: .problem)
    }
}

extension InvitationView: JSONValueWritable {
    /// What `encode(to:)` writes with sorted keys, written directly: every invitation
    /// answered and listed goes through here.
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("created_at"); json.string(Timestamp.format(invitation.createdAt))
        json.key("end_time"); json.string(Timestamp.format(invitation.endTime))
        json.key("group_id"); json.string(invitation.groupID?.lowercasedString)
        json.key("id"); json.string(invitation.id.lowercasedString)
        json.key("meeting_id"); json.string(meeting?.id.lowercasedString)
        json.key("problem")
        if let problem = invitation.problem { problem.write(to: &json) } else { json.null() }
        json.key("proposal")
        if let proposal = invitation.proposal {
            json.beginObject()
            json.key("end_time"); json.string(Timestamp.format(proposal.end))
            json.key("start_time"); json.string(Timestamp.format(proposal.start))
            json.endObject()
        } else {
            json.null()
        }
        json.key("receiver_id"); json.string(invitation.receiverID.rawValue)
        json.key("receiver_name"); json.string(receiverName)
        json.key("recurrence")
        if let recurrence = invitation.recurrence { RecurrenceView(recurrence).write(to: &json) } else { json.null() }
        json.key("revision"); json.integer(invitation.revision)
        json.key("sender_id"); json.string(invitation.senderID.rawValue)
        json.key("sender_name"); json.string(senderName)
        json.key("start_time"); json.string(Timestamp.format(invitation.startTime))
        json.key("status"); json.string(invitation.status.rawValue)
        json.key("title"); json.string(invitation.title)
        json.key("web_link"); json.string(meeting?.webLink)
        json.endObject()
    }
}

/// `recurrence` in the API: `{freq, interval, count}` (the zone stays on the wire).
struct RecurrenceView: Encodable {
    var freq: String
    var interval: Int
    var count: Int

    init(_ recurrence: Recurrence) {
        (freq, interval, count) = (recurrence.freq.rawValue, recurrence.interval, recurrence.count)
    }

    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("count"); json.integer(count)
        json.key("freq"); json.string(freq)
        json.key("interval"); json.integer(interval)
        json.endObject()
    }
}

struct MeetingView: Encodable {
    struct Participant: Encodable { var id: String; var name: String }
    var meeting: Meeting
    var creatorName: String
    var participants: [Participant]
    /// The start of its next call not over yet (nil: all are over).
    var nextStart: Date?

    enum CodingKeys: String, CodingKey {
        case id, title, participants
        case invitationID = "invitation_id", startTime = "start_time", endTime = "end_time", webLink = "web_link"
        case webexMeetingID = "webex_meeting_id", creatorID = "creator_id", creatorName = "creator_name"
        case revision, recurrence, groupID = "group_id", invitationIDs = "invitation_ids", nextStartTime = "next_start_time"
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(meeting.revision, forKey: .revision)
        try c.encode(meeting.recurrence.map(RecurrenceView.init), forKey: .recurrence)
        try c.encode(nextStart.map { Timestamp.format($0) }, forKey: .nextStartTime)
        // A group's meeting is listed once, under the group's id (contract §7.2).
        try c.encode(meeting.groupID?.lowercasedString, forKey: .groupID)
        let members = meeting.groupID == nil || meeting.groupInvitationIDs.isEmpty ? [meeting.invitationID] : meeting.groupInvitationIDs
        try c.encode(members.map(\.lowercasedString), forKey: .invitationIDs)
        try c.encode((meeting.groupID ?? meeting.id).lowercasedString, forKey: .id)
        try c.encode(meeting.invitationID.lowercasedString, forKey: .invitationID)
        try c.encode(meeting.title, forKey: .title)
        try c.encode(Timestamp.format(meeting.startTime), forKey: .startTime)
        try c.encode(Timestamp.format(meeting.endTime), forKey: .endTime)
        try c.encode(meeting.webLink, forKey: .webLink)
        try c.encode(meeting.webexMeetingID, forKey: .webexMeetingID)
        try c.encode(meeting.creatorID.rawValue, forKey: .creatorID)
        try c.encode(creatorName, forKey: .creatorName)
        try c.encode(participants, forKey: .participants)
    }
}

struct StatusView: Encodable {
    struct Peer: Encodable {
        var name: String
        var nodeID: String
        var url: String
        var reachable: Bool
        var lastContact: String?
        var sent: Int
        var applied: Int
        var outbox: Int
        var nextRetry: String?
        /// This entry as `write(to:)` writes it, when written before (a pair never talked
        /// to: the same bytes in the status of every node of the file).
        var written: [UInt8]? = nil

        /// The entry of a pair never talked to (no counters, no contact), written once.
        static func untouched(_ classroom: Classroom) -> Peer {
            var peer = Peer(name: classroom.name, nodeID: classroom.id.rawValue, url: classroom.url.absoluteString,
                            reachable: false, lastContact: nil, sent: 0, applied: 0, outbox: 0, nextRetry: nil)
            var json = JSONWriter(capacity: 256)
            peer.write(to: &json)
            peer.written = json.bytes
            return peer
        }

        func write(to json: inout JSONWriter) {
            if let written { return json.written(written) }
            json.beginObject()
            json.key("applied"); json.integer(applied)
            json.key("last_contact"); json.string(lastContact)
            json.key("name"); json.string(name)
            json.key("next_retry"); json.string(nextRetry)
            json.key("node_id"); json.string(nodeID)
            json.key("outbox"); json.integer(outbox)
            json.key("reachable"); json.bool(reachable)
            json.key("sent"); json.integer(sent)
            json.key("url"); json.string(url)
            json.endObject()
        }

        enum CodingKeys: String, CodingKey {
            case name, url, reachable, sent, applied, outbox
            case nodeID = "node_id", lastContact = "last_contact", nextRetry = "next_retry"
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(nodeID, forKey: .nodeID)
            try c.encode(url, forKey: .url)
            try c.encode(reachable, forKey: .reachable)
            try c.encode(lastContact, forKey: .lastContact)
            try c.encode(sent, forKey: .sent)
            try c.encode(applied, forKey: .applied)
            try c.encode(outbox, forKey: .outbox)
            try c.encode(nextRetry, forKey: .nextRetry)
        }
    }

    struct Webex: Encodable {
        var configured: Bool
        var connected: Bool
        var expiresAt: String?
        /// `"reconnect"` once WebEx refused the refresh token (the tokens are gone); null otherwise.
        var problem: String?
        enum CodingKeys: String, CodingKey { case configured, connected, problem, expiresAt = "expires_at" }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(configured, forKey: .configured)
            try c.encode(connected, forKey: .connected)
            try c.encode(expiresAt, forKey: .expiresAt)
            try c.encode(problem, forKey: .problem)
        }
    }

    /// A peer's entry: the roster's shared entry of a pair never talked to (by its
    /// index in `shared`), or one of this node's own. A status of one of a thousand
    /// classrooms is mostly shared entries; copying each cost more than writing it.
    enum Entry {
        case shared(Int)
        case own(Peer)
    }

    var name: String
    var displayName: String
    var nodeID: String
    var url: String
    var timezone: String
    /// The entries that `.shared` points into, and the bytes each is written as.
    struct Shared {
        var peers: [Peer] = []
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
    }

    var entries: [Entry]
    var shared: Shared
    var webex: Webex

    init(name: String, displayName: String, nodeID: String, url: String, timezone: String,
         entries: [Entry], shared: Shared = Shared(), webex: Webex) {
        (self.name, self.displayName, self.nodeID, self.url, self.timezone) = (name, displayName, nodeID, url, timezone)
        (self.entries, self.shared, self.webex) = (entries, shared, webex)
    }

    init(name: String, displayName: String, nodeID: String, url: String, timezone: String, peers: [Peer], webex: Webex) {
        self.init(name: name, displayName: displayName, nodeID: nodeID, url: url, timezone: timezone,
                  entries: peers.map(Entry.own), webex: webex)
    }

    /// Every peer's entry, in order.
    var peers: [Peer] {
        get { entries.map { entry in switch entry { case .shared(let index): shared.peers[index]; case .own(let peer): peer } } }
        set { entries = newValue.map(Entry.own) }
    }

    enum CodingKeys: String, CodingKey {
        case name, url, timezone, peers, webex
        case displayName = "display_name", nodeID = "node_id"
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(displayName, forKey: .displayName)
        try c.encode(nodeID, forKey: .nodeID)
        try c.encode(url, forKey: .url)
        try c.encode(timezone, forKey: .timezone)
        try c.encode(peers, forKey: .peers)
        try c.encode(webex, forKey: .webex)
    }
}

extension StatusView: JSONValueWritable {
    /// What `encode(to:)` writes with sorted keys, written directly: a classroom of a
    /// thousand-classroom file lists 999 peers (212 KB), which took JSONEncoder 3 ms of
    /// a 5.5-6.6 ms answer (see the commit that made this).
    func write(to json: inout JSONWriter) {
        json.beginObject()
        json.key("display_name"); json.string(displayName)
        json.key("name"); json.string(name)
        json.key("node_id"); json.string(nodeID)
        json.key("peers")
        json.beginArray()
        json.reserve(shared.bytes.count + 256 * max(1, entries.count - shared.ranges.count + 1))
        shared.bytes.withUnsafeBufferPointer { bytes in
            for index in entries.indices {
                if index > 0 { json.comma() }
                switch entries[index] {
                case .shared(let at): json.written(UnsafeBufferPointer(rebasing: bytes[shared.ranges[at]]))
                case .own(let peer): peer.write(to: &json)
                }
            }
        }
        json.endArray()
        json.key("timezone"); json.string(timezone)
        json.key("url"); json.string(url)
        json.key("webex")
        json.beginObject()
        json.key("configured"); json.bool(webex.configured)
        json.key("connected"); json.bool(webex.connected)
        json.key("expires_at"); json.string(webex.expiresAt)
        json.key("problem"); json.string(webex.problem)
        json.endObject()
        json.endObject()
    }
}

struct ClassroomView: Encodable {
    var id: String
    var name: String
    var displayName: String
    var url: String
    var reachable: Bool
    var timezone: String?
    enum CodingKeys: String, CodingKey { case id, name, url, reachable, timezone, displayName = "display_name" }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(displayName, forKey: .displayName)
        try c.encode(url, forKey: .url)
        try c.encode(reachable, forKey: .reachable)
        try c.encode(timezone, forKey: .timezone)
    }
}

extension ClassroomNode {
    func view(_ invitation: Invitation, meeting: Meeting?) -> InvitationView {
        InvitationView(invitation: invitation, meeting: meeting,
                       senderName: directory.displayName(of: invitation.senderID),
                       receiverName: directory.displayName(of: invitation.receiverID))
    }

    func view(_ meeting: Meeting) -> MeetingView {
        MeetingView(meeting: meeting, creatorName: directory.displayName(of: meeting.creatorID),
                    participants: meeting.participants.map { node in
                        .init(id: node.rawValue, name: node == directory.local.id || directory.trusts(node) ? directory.displayName(of: node)
                              : meeting.participantNames[node] ?? directory.displayName(of: node))
                    },
                    nextStart: meeting.nextStart(now: now()))
    }

    /// Invitations with their meetings, read in one transaction.
    func invitationViews(_ query: PenPalsStore.InvitationQuery, page: ListPage = ListPage(limit: nil, before: nil)) async throws -> Paged<InvitationView> {
        let localID = id
        let (rows, next) = try await readExpired { tx in
            let found = try tx.invitations(query, localID: localID, page: page)
            return (try found.items.map { ($0, try tx.meeting(forInvitation: $0.id)) }, found.next)
        }
        return Paged(items: rows.map { view($0.0, meeting: $0.1) }, next: next)
    }

    func statusView() async throws -> StatusView {
        // Every trusted peer, with its pair's counters (zero for a peer never talked to,
        // which has no row yet), and any peer the store remembers beyond them.
        let rows = try await store.read { try $0.peers() }
        let health = peerHealth.withLock { $0 }
        func entry(_ peer: PeerState, _ health: PeerHealth?) -> StatusView.Peer {
            StatusView.Peer(
                name: peer.name, nodeID: peer.nodeID, url: peer.url, reachable: health?.reachable ?? false,
                lastContact: peer.lastContact.map { Timestamp.format(Date(timeIntervalSince1970: $0)) },
                sent: peer.sent, applied: peer.applied, outbox: peer.outboxDepth,
                nextRetry: health?.nextRetry.map(Timestamp.format))
        }
        // The peers with an entry of their own (a row or a reachability known), by their
        // place in the roster; the rest share the roster's entry of a pair never talked to.
        let roster = directory.statusRoster
        var own: [Int: StatusView.Peer] = [:]
        var beyond: [StatusView.Peer] = []
        for row in rows {
            guard let id = NodeID(row.nodeID), let index = roster.index(of: id), index != roster.localIndex else {
                beyond.append(entry(row, NodeID(row.nodeID).flatMap { health[$0] }))
                continue
            }
            if own[index] == nil { own[index] = entry(row, health[id]) }
        }
        for (id, known) in health {
            guard let index = roster.index(of: id), index != roster.localIndex, own[index] == nil else { continue }
            let classroom = roster.classroom(at: index)
            own[index] = entry(.untouched(id, name: classroom.name, displayName: classroom.displayName,
                                          url: roster.shared.peers[index].url), known)
        }
        var entries: [StatusView.Entry] = []
        entries.reserveCapacity(roster.count + beyond.count)
        for index in 0..<roster.count where index != roster.localIndex {
            entries.append(own.isEmpty ? .shared(index) : own[index].map(StatusView.Entry.own) ?? .shared(index))
        }
        var view = StatusView(name: directory.local.name, displayName: directory.local.displayName, nodeID: id.rawValue,
                              url: directory.local.url.absoluteString, timezone: settings.timezone.identifier,
                              entries: entries, shared: roster.shared, webex: .init(configured: false, connected: false))
        if !beyond.isEmpty {
            view.peers = (view.peers + beyond).sorted { ($0.name, $0.nodeID) < ($1.name, $1.nodeID) }
        }
        let tokens = try await webex?.tokens.loadTokens()
        let webexProblem = webex == nil || tokens != nil ? nil : try await store.read { try $0.webexProblem() }
        view.webex = .init(configured: webex != nil, connected: tokens != nil, expiresAt: tokens.map { Timestamp.format($0.expiresAt) },
                           problem: webexProblem)
        return view
    }

    func classroomViews() -> [ClassroomView] {
        let health = peerHealth.withLock { $0 }
        return directory.orderedPeers.map { peer in
            ClassroomView(id: peer.classroom.id.rawValue, name: peer.classroom.name, displayName: peer.classroom.displayName,
                          url: peer.classroom.url.absoluteString, reachable: health[peer.classroom.id]?.reachable ?? false,
                          timezone: peer.classroom.timezone)
        }
    }
}
