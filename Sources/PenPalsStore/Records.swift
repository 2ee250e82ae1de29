import Foundation
import GRDB
import PenPalsCore

/// One row of `peer`: a trusted peer and this node's counters for the pair.
public struct PeerState: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "peer"
    public var nodeID: String
    public var name: String
    public var displayName: String
    public var url: String
    /// Events this node has sent on channel self → peer (its last `seq`).
    public var sent: Int
    /// Highest of this node's `seq` that a signed clock of the peer covers.
    public var acked: Int
    /// Events of channel peer → self applied here.
    public var applied: Int
    public var lastContact: Double?

    enum CodingKeys: String, CodingKey {
        case nodeID = "node_id", name, displayName = "display_name", url, sent, acked, applied
        case lastContact = "last_contact"
    }

    public var outboxDepth: Int { max(0, sent - acked) }

    /// Read by column, not through `Decodable` (GRDB's decoder builds a dictionary
    /// of the row for every read, and the peer is read on every request).
    public init(row: Row) throws {
        nodeID = row["node_id"]
        name = row["name"]
        displayName = row["display_name"]
        url = row["url"]
        sent = row["sent"]
        acked = row["acked"]
        applied = row["applied"]
        lastContact = row["last_contact"]
    }

    /// The columns `init(raw:)` reads, in its order.
    static let rawColumns = "node_id, name, display_name, url, sent, acked, applied, last_contact"

    /// The current row of a statement that selects `rawColumns` (the peer is read for
    /// every request and every event sent).
    init(raw row: borrowing RawStatement) {
        self.init(nodeID: row.text(0) ?? "", name: row.text(1) ?? "", displayName: row.text(2) ?? "", url: row.text(3) ?? "",
                  sent: row.int(4), acked: row.int(5), applied: row.int(6), lastContact: row.isNull(7) ? nil : row.double(7))
    }

    public init(nodeID: String, name: String, displayName: String, url: String, sent: Int, acked: Int, applied: Int, lastContact: Double?) {
        (self.nodeID, self.name, self.displayName, self.url) = (nodeID, name, displayName, url)
        (self.sent, self.acked, self.applied, self.lastContact) = (sent, acked, applied, lastContact)
    }

    /// A trusted peer's pair before anything passed on it (it has no row yet): all at zero.
    public static func untouched(_ id: NodeID, name: String, displayName: String, url: String) -> PeerState {
        PeerState(nodeID: id.rawValue, name: name, displayName: displayName, url: url, sent: 0, acked: 0, applied: 0, lastContact: nil)
    }
}

/// One row of `event`: an event of a channel in either direction, with its exact envelope.
struct EventRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "event"
    var author: String
    var recipient: String
    var seq: Int
    var id: String
    var type: String
    var createdAt: String
    var envelope: Data
    var body: Data
    var applied: Bool
    var storedAt: Double

    enum CodingKeys: String, CodingKey {
        case author, recipient, seq, id, type, createdAt = "created_at", envelope, body, applied, storedAt = "stored_at"
    }
}

struct InvitationRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "invitation"
    var id: String
    var title: String
    var startTime: Double
    var endTime: Double
    var senderID: String
    var receiverID: String
    var status: String
    var createdAt: Double
    var problemCode: String?
    var problemMessage: String?
    var problemRetrying: Bool?
    var updatedAt: Double
    var revision: Int
    var proposalStart: Double?
    var proposalEnd: Double?
    var recurrence: String?
    var groupID: String?

    enum CodingKeys: String, CodingKey {
        case id, title, startTime = "start_time", endTime = "end_time", senderID = "sender_id", receiverID = "receiver_id"
        case status, createdAt = "created_at", problemCode = "problem_code", problemMessage = "problem_message"
        case problemRetrying = "problem_retrying", updatedAt = "updated_at"
        case revision, proposalStart = "proposal_start", proposalEnd = "proposal_end", recurrence, groupID = "group_id"
    }

    /// Read by column, not through `Decodable` (see `PeerState.init(row:)`).
    init(row: Row) throws {
        id = row["id"]
        title = row["title"]
        startTime = row["start_time"]
        endTime = row["end_time"]
        senderID = row["sender_id"]
        receiverID = row["receiver_id"]
        status = row["status"]
        createdAt = row["created_at"]
        problemCode = row["problem_code"]
        problemMessage = row["problem_message"]
        problemRetrying = row["problem_retrying"]
        updatedAt = row["updated_at"]
        revision = row["revision"]
        proposalStart = row["proposal_start"]
        proposalEnd = row["proposal_end"]
        recurrence = row["recurrence"]
        groupID = row["group_id"]
    }

    /// The columns `init(raw:)` reads, in its order.
    static let rawColumns = """
        id, title, start_time, end_time, sender_id, receiver_id, status, created_at,
        problem_code, problem_message, problem_retrying, updated_at, revision, proposal_start, proposal_end, recurrence, group_id
        """

    // Made once: the statement cache is looked up by the SQL's text.
    static let selectByID = "SELECT \(rawColumns) FROM invitation WHERE id = ?"
    static let upsert = """
        INSERT INTO invitation (\(rawColumns))
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET title = excluded.title, start_time = excluded.start_time,
            end_time = excluded.end_time, sender_id = excluded.sender_id, receiver_id = excluded.receiver_id,
            status = excluded.status, created_at = excluded.created_at, problem_code = excluded.problem_code,
            problem_message = excluded.problem_message, problem_retrying = excluded.problem_retrying,
            updated_at = excluded.updated_at, revision = excluded.revision,
            proposal_start = excluded.proposal_start, proposal_end = excluded.proposal_end,
            recurrence = excluded.recurrence, group_id = excluded.group_id
        """

    /// The current row of a statement that selects `rawColumns`.
    init(raw row: borrowing RawStatement) {
        id = row.text(0) ?? ""
        title = row.text(1) ?? ""
        startTime = row.double(2)
        endTime = row.double(3)
        senderID = row.text(4) ?? ""
        receiverID = row.text(5) ?? ""
        status = row.text(6) ?? ""
        createdAt = row.double(7)
        problemCode = row.text(8)
        problemMessage = row.text(9)
        problemRetrying = row.isNull(10) ? nil : row.int(10) != 0
        updatedAt = row.double(11)
        revision = row.int(12)
        proposalStart = row.isNull(13) ? nil : row.double(13)
        proposalEnd = row.isNull(14) ? nil : row.double(14)
        recurrence = row.text(15)
        groupID = row.text(16)
    }

    init(_ invitation: Invitation, updatedAt: Date) {
        id = invitation.id.lowercasedString
        title = invitation.title
        startTime = invitation.startTime.timeIntervalSince1970
        endTime = invitation.endTime.timeIntervalSince1970
        senderID = invitation.senderID.rawValue
        receiverID = invitation.receiverID.rawValue
        status = invitation.status.rawValue
        createdAt = invitation.createdAt.timeIntervalSince1970
        problemCode = invitation.problem?.code
        problemMessage = invitation.problem?.message
        problemRetrying = invitation.problem?.retrying
        self.updatedAt = updatedAt.timeIntervalSince1970
        revision = invitation.revision
        proposalStart = invitation.proposal?.start.timeIntervalSince1970
        proposalEnd = invitation.proposal?.end.timeIntervalSince1970
        recurrence = invitation.recurrence?.columnText
        groupID = invitation.groupID?.lowercasedString
    }

    func domain() throws -> Invitation {
        guard let uuid = UUID.parse(id), let sender = NodeID(senderID), let receiver = NodeID(receiverID),
              let status = InvitationStatus(rawValue: status) else {
            throw StoreError.corrupt("invitation \(id)")
        }
        let series = try recurrence.map { try Recurrence(column: $0, of: "invitation \(id)") }
        let problem = problemCode.map { Problem(code: $0, message: problemMessage ?? "", retrying: problemRetrying ?? false) }
        return Invitation(id: uuid, title: title, startTime: Date(timeIntervalSince1970: startTime),
                          endTime: Date(timeIntervalSince1970: endTime), senderID: sender, receiverID: receiver,
                          status: status, createdAt: Date(timeIntervalSince1970: createdAt), problem: problem,
                          revision: revision,
                          proposal: proposalStart.flatMap { start in
                              proposalEnd.map { TimeRange(start: Date(timeIntervalSince1970: start), end: Date(timeIntervalSince1970: $0)) }
                          },
                          recurrence: series, groupID: try groupID.map { text in
                              guard let id = UUID.parse(text) else { throw StoreError.corrupt("invitation \(id): group_id") }
                              return id
                          })
    }
}

struct MeetingRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "meeting"
    var id: String
    var invitationID: String
    var title: String
    var startTime: Double
    var endTime: Double
    var webLink: String
    var webexMeetingID: String
    var creatorID: String
    var revision: Int
    var recurrence: String?
    /// When its last call ends (a series'), for the list of meetings not yet over.
    var lastEnd: Double?
    var groupID: String?

    enum CodingKeys: String, CodingKey {
        case id, invitationID = "invitation_id", title, startTime = "start_time", endTime = "end_time"
        case webLink = "web_link", webexMeetingID = "webex_meeting_id", creatorID = "creator_id", revision
        case recurrence, lastEnd = "last_end", groupID = "group_id"
    }
}

struct ParticipantRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "participant"
    var meetingID: String
    var nodeID: String
    /// The name the group's sender gave (nil: a classroom this node names itself).
    var name: String?
    enum CodingKeys: String, CodingKey { case meetingID = "meeting_id", nodeID = "node_id", name }
}

/// One row of `meeting_job`: the durable WebEx meeting job of an invitation at its sender.
struct MeetingJobRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "meeting_job"
    var invitationID: String
    var state: String
    var attempts: Int
    var nextAttempt: Double
    var lastError: String?
    var updatedAt: Double
    var webexMeetingID: String?
    var updateRevision: Int?

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case invitationID = "invitation_id", state, attempts, nextAttempt = "next_attempt"
        case lastError = "last_error", updatedAt = "updated_at", webexMeetingID = "webex_meeting_id"
        case updateRevision = "update_revision"
    }
    typealias Columns = CodingKeys

    init(_ job: MeetingJob) {
        invitationID = job.invitationID.lowercasedString
        state = job.state.rawValue
        attempts = job.attempts
        nextAttempt = job.nextAttempt.timeIntervalSince1970
        lastError = job.lastError
        updatedAt = job.updatedAt.timeIntervalSince1970
        webexMeetingID = job.webexMeetingID
        updateRevision = job.updateRevision
    }

    func domain() throws -> MeetingJob {
        guard let id = UUID.parse(invitationID), let state = MeetingJob.State(rawValue: state) else {
            throw StoreError.corrupt("meeting job \(invitationID)")
        }
        return MeetingJob(invitationID: id, state: state, attempts: attempts, nextAttempt: Date(timeIntervalSince1970: nextAttempt),
                          lastError: lastError, updatedAt: Date(timeIntervalSince1970: updatedAt), webexMeetingID: webexMeetingID,
                          updateRevision: updateRevision)
    }
}

extension Recurrence {
    /// A series' rule as the `recurrence` columns hold it (its wire JSON).
    var columnText: String { String(decoding: WireJSON.encode(self), as: UTF8.self) }

    /// The rule a `recurrence` column of `what` holds.
    init(column text: String, of what: String) throws {
        guard let rule = try? WireJSON.decode(Recurrence.self, from: Data(text.utf8)) else {
            throw StoreError.corrupt("\(what): recurrence")
        }
        self = rule
    }
}

public enum StoreError: Error, Equatable, CustomStringConvertible {
    case corrupt(String)
    case unknownPeer(String)
    /// The disk of the database (its path) has no room for a write; nothing of it was stored.
    case diskFull(String)
    /// A list's `before` names no item of it (its id, as stored).
    case unknownListItem(String)

    public var description: String {
        switch self {
        case .unknownListItem(let id): "no item \(id) to go on after"
        case .diskFull(let path): "the disk of \(path) is full"
        case .corrupt(let what): "the stored \(what) cannot be read"
        case .unknownPeer(let id): "\(id) is not a known peer"
        }
    }
}
