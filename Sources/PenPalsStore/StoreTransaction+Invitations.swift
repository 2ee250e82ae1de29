import Foundation
import GRDB
public import PenPalsCore

/// Which invitations a list shows.
public struct InvitationQuery: Sendable, Equatable {
    public enum Box: Sendable, Equatable { case received, sent, all }
    public var box: Box
    /// nil: every status.
    public var statuses: Set<InvitationStatus>?

    public init(box: Box, statuses: Set<InvitationStatus>?) {
        self.box = box
        self.statuses = statuses
    }
}

/// A page of a list: at most `limit` items, those after the item `before` in the
/// list's order (contract §7.1); nil `limit`: all of them.
public struct ListPage: Sendable, Equatable {
    public var limit: Int?
    public var before: UUID?

    public init(limit: Int?, before: UUID?) {
        self.limit = limit
        self.before = before
    }
}

/// What a page holds, and the id to pass as `before` for the next one (nil exactly
/// when no item follows).
public struct Paged<Item: Sendable>: Sendable {
    public var items: [Item]
    public var next: UUID?

    public init(items: [Item], next: UUID?) {
        self.items = items
        self.next = next
    }
}

extension StoreTransaction {
    // MARK: Invitations

    public func invitation(_ id: UUID) throws -> Invitation? {
        // Read once per applied event: by column position, not through GRDB's rows.
        let row = try RawStatement(db, sql: InvitationRecord.selectByID)
        try row.bind(id.lowercasedString)
        guard try row.next() else { return nil }
        return try InvitationRecord(raw: row).domain()
    }

    /// The invitations of a group, oldest first (by id: time-ordered).
    public func invitations(inGroup group: UUID) throws -> [Invitation] {
        let rows = try RawStatement(db, sql: "SELECT \(InvitationRecord.rawColumns) FROM invitation WHERE group_id = ? ORDER BY id")
        try rows.bind(group.lowercasedString)
        var found: [Invitation] = []
        while try rows.next() { found.append(try InvitationRecord(raw: rows).domain()) }
        return found
    }

    /// Inserts or replaces the invitation's row.
    public func save(_ invitation: Invitation, now: Date) throws {
        let r = InvitationRecord(invitation, updatedAt: now)
        // One prepared upsert, bound by position (written once per applied event).
        let upsert = try RawStatement(db, sql: InvitationRecord.upsert)
        try upsert.bind(r.id, r.title, r.startTime, r.endTime, r.senderID, r.receiverID, r.status, r.createdAt,
                        r.problemCode, r.problemMessage, r.problemRetrying, r.updatedAt, r.revision, r.proposalStart, r.proposalEnd, r.recurrence, r.groupID)
        try upsert.run()
    }

    /// Newest first, ties by id ascending.
    public func invitations(_ query: InvitationQuery, localID: NodeID) throws -> [Invitation] {
        try invitations(query, localID: localID, page: ListPage(limit: nil, before: nil)).items
    }

    /// One page of `invitations(_:localID:)`, newest first, ties by id ascending; a
    /// page goes on after its `before` wherever that invitation stands now.
    public func invitations(_ query: InvitationQuery, localID: NodeID, page: ListPage) throws -> Paged<Invitation> {
        // SQL of a few shapes (box, statuses, page), each prepared once per connection: a
        // list is read on every look at the dashboard, and the query interface builds and
        // prepares its statement anew each time (see the commit that made this).
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let before = page.before {
            let key = before.lowercasedString
            guard let created = try Double.fetchOne(db.cachedStatement(sql: "SELECT created_at FROM invitation WHERE id = ?"),
                                                    arguments: [key]) else {
                throw StoreError.unknownListItem(key)
            }
            conditions.append("(created_at < ? OR (created_at = ? AND id > ?))")
            arguments += [created, created, key]
        }
        switch query.box {
        case .received: conditions.append("receiver_id = ?"); arguments += [localID.rawValue]
        case .sent: conditions.append("sender_id = ?"); arguments += [localID.rawValue]
        case .all: break
        }
        if let statuses = query.statuses {
            let names = statuses.map(\.rawValue).sorted()
            conditions.append("status IN (\(names.map { _ in "?" }.joined(separator: ", ")))")
            arguments += StatementArguments(names)
        }
        var sql = "SELECT * FROM invitation"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY created_at DESC, id ASC"
        if let limit = page.limit {
            sql += " LIMIT ?"
            arguments += [limit + 1]
        }
        let found = try InvitationRecord.fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
        return try Self.paged(found.map { try $0.domain() }, limit: page.limit, id: \.id)
    }

    /// The first `limit` of `items` (one more was read to know whether any follows).
    static func paged<Item>(_ items: [Item], limit: Int?, id: (Item) -> UUID) -> Paged<Item> {
        guard let limit, items.count > limit else { return Paged(items: items, next: nil) }
        let page = Array(items.prefix(limit))
        return Paged(items: page, next: page.last.map(id))
    }

    /// Invitations whose time may have run out at `now` on this node's clock: in a
    /// status that expires at the start and past it, or one that expires at the end and
    /// past that (`InvitationStatus.expiringAtStart`/`expiringAtEnd`; the rule that
    /// decides is `InvitationMachine.expire`).
    public func dueForExpiry(now: Date) throws -> [Invitation] {
        let t = now.timeIntervalSince1970
        return try InvitationRecord.fetchAll(db.cachedStatement(sql: "SELECT * FROM invitation WHERE \(Self.dueCondition)"),
                                             arguments: [t, t]).map { try $0.domain() }
    }

    /// Whether any invitation is `dueForExpiry(now:)`: asked before every list.
    public func anyDueForExpiry(now: Date) throws -> Bool {
        let t = now.timeIntervalSince1970
        return try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM invitation WHERE \(Self.dueCondition))"),
                                 arguments: [t, t]) ?? false
    }

    /// The condition of `dueForExpiry`, with `now` bound twice (prepared once per connection).
    private static let dueCondition: String = {
        func names(_ statuses: Set<InvitationStatus>) -> String {
            statuses.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")
        }
        return "(status IN (\(names(InvitationStatus.expiringAtStart))) AND start_time <= ?)"
            + " OR (status IN (\(names(InvitationStatus.expiringAtEnd))) AND end_time <= ?)"
    }()

    /// When the next invitation falls due for expiry (the soonest start of one that
    /// expires at its start, or end of one that expires at its end); nil when none can.
    /// Read at every start of every classroom: one statement, prepared once per connection,
    /// that needs no look at the schema (a store that gave its memory back lost that too).
    public func nextExpiry() throws -> Date? {
        try Double.fetchOne(db.cachedStatement(sql: Self.nextExpirySQL)).map(Date.init(timeIntervalSince1970:))
    }

    private static let nextExpirySQL: String = {
        func names(_ statuses: Set<InvitationStatus>) -> String {
            statuses.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")
        }
        let start = names(InvitationStatus.expiringAtStart), end = names(InvitationStatus.expiringAtEnd)
        return "SELECT MIN(CASE WHEN status IN (\(start)) THEN start_time ELSE end_time END) FROM invitation"
            + " WHERE status IN (\(start)) OR status IN (\(end))"
    }()

    // MARK: Meetings

    public func save(_ meeting: Meeting) throws {
        let id = meeting.id.lowercasedString
        try MeetingRecord(id: id, invitationID: meeting.invitationID.lowercasedString, title: meeting.title,
                          startTime: meeting.startTime.timeIntervalSince1970, endTime: meeting.endTime.timeIntervalSince1970,
                          webLink: meeting.webLink, webexMeetingID: meeting.webexMeetingID,
                          creatorID: meeting.creatorID.rawValue, revision: meeting.revision,
                          recurrence: meeting.recurrence?.columnText,
                          lastEnd: meeting.lastEnd.timeIntervalSince1970, groupID: meeting.groupID?.lowercasedString).save(db)
        try ParticipantRecord.filter(Column("meeting_id") == id).deleteAll(db)
        for participant in meeting.participants {
            try ParticipantRecord(meetingID: id, nodeID: participant.rawValue, name: meeting.participantNames[participant]).insert(db)
        }
    }

    /// The meeting of this id, or the meeting of the group of this id (listed under it, §7.2).
    public func meeting(_ id: UUID) throws -> Meeting? {
        if let meeting = try MeetingRecord.fetchOne(db, key: id.lowercasedString).map(domain) { return meeting }
        return try MeetingRecord.fetchOne(db, sql: "SELECT * FROM meeting WHERE group_id = ? ORDER BY id LIMIT 1",
                                          arguments: [id.lowercasedString]).map(domain)
    }

    public func meeting(forInvitation id: UUID) throws -> Meeting? {
        try MeetingRecord.fetchOne(db.cachedStatement(sql: "SELECT * FROM meeting WHERE invitation_id = ?"),
                                   arguments: [id.lowercasedString]).map(domain)
    }

    /// Meetings soonest first: those not yet over at `now`, or all of them.
    /// Meetings of cancelled invitations are left out.
    public func meetings(notEndedBy now: Date?) throws -> [Meeting] {
        try meetings(notEndedBy: now, page: ListPage(limit: nil, before: nil)).items
    }

    /// One page of the scheduled meetings, soonest first, ties by id ascending.
    public func meetings(notEndedBy now: Date?, page: ListPage) throws -> Paged<Meeting> {
        var sql = """
            SELECT meeting.* FROM meeting JOIN invitation ON invitation.id = meeting.invitation_id
            WHERE invitation.status = 'scheduled'
              AND (meeting.group_id IS NULL OR meeting.id = (
                SELECT MIN(m2.id) FROM meeting m2 JOIN invitation i2 ON i2.id = m2.invitation_id
                WHERE m2.group_id = meeting.group_id AND i2.status = 'scheduled'))
            """
        var arguments: StatementArguments = []
        if let now {
            sql += " AND COALESCE(meeting.last_end, meeting.end_time) > ?"
            arguments += [now.timeIntervalSince1970]
        }
        if let before = page.before {
            // A group's meeting is listed under the group's id: the page goes on after its first row.
            let asked = before.lowercasedString
            guard let row = try Row.fetchOne(db, sql: """
                SELECT start_time, id FROM meeting WHERE id = ?
                UNION ALL SELECT start_time, id FROM meeting WHERE group_id = ? ORDER BY id LIMIT 1
                """, arguments: [asked, asked]) else {
                throw StoreError.unknownListItem(asked)
            }
            let start: Double = row[0]
            let key: String = row[1]
            sql += " AND (meeting.start_time > ? OR (meeting.start_time = ? AND meeting.id > ?))"
            arguments += [start, start, key]
        }
        sql += " ORDER BY meeting.start_time, meeting.id"
        if let limit = page.limit {
            sql += " LIMIT ?"
            arguments += [limit + 1]
        }
        return try Self.paged(MeetingRecord.fetchAll(db, sql: sql, arguments: arguments).map(domain), limit: page.limit,
                              id: { $0.groupID ?? $0.id })
    }

    private func domain(_ record: MeetingRecord) throws -> Meeting {
        guard let id = UUID.parse(record.id), let invitationID = UUID.parse(record.invitationID),
              let creator = NodeID(record.creatorID) else { throw StoreError.corrupt("meeting \(record.id)") }
        let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT node_id, name FROM participant WHERE meeting_id = ? ORDER BY rowid"),
                                    arguments: [record.id])
        var participants: [NodeID] = []
        var names: [NodeID: String] = [:]
        for row in rows {
            guard let node = NodeID(row[0] as String) else { continue }
            participants.append(node)
            if let name: String = row[1] { names[node] = name }
        }
        let series = try record.recurrence.map { try Recurrence(column: $0, of: "meeting \(record.id)") }
        let groupID = record.groupID.flatMap(UUID.parse)
        let members = try groupID.map { group in
            try String.fetchAll(db.cachedStatement(sql: """
                SELECT id FROM invitation WHERE group_id = ? AND status IN ('accepted', 'scheduled') ORDER BY id
                """), arguments: [group.lowercasedString]).compactMap(UUID.parse)
        } ?? []
        var meeting = Meeting(id: id, invitationID: invitationID, title: record.title,
                       startTime: Date(timeIntervalSince1970: record.startTime), endTime: Date(timeIntervalSince1970: record.endTime),
                       webLink: record.webLink, webexMeetingID: record.webexMeetingID, creatorID: creator, participants: participants,
                       revision: record.revision, recurrence: series, participantNames: names, groupID: groupID)
        meeting.groupInvitationIDs = members
        return meeting
    }

    // MARK: Meeting jobs

    public func save(_ job: MeetingJob) throws {
        try MeetingJobRecord(job).save(db)
    }

    public func job(forInvitation id: UUID) throws -> MeetingJob? {
        try MeetingJobRecord.fetchOne(db, key: id.lowercasedString)?.domain()
    }

    /// Jobs still to run (pending, interrupted while creating, or deleting a cancelled meeting), soonest first.
    public func openJobs() throws -> [MeetingJob] {
        try MeetingJobRecord.fetchAll(db.cachedStatement(sql: Self.openJobsSQL)).map { try $0.domain() }
    }

    /// Read at every start and after every run of the jobs: prepared once per connection,
    /// with no look at the schema.
    private static let openJobsSQL: String = {
        let open = MeetingJob.State.open.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")
        typealias Columns = MeetingJobRecord.Columns
        return "SELECT * FROM \(MeetingJobRecord.databaseTableName) WHERE \(Columns.state.rawValue) IN (\(open))"
            + " ORDER BY \(Columns.nextAttempt.rawValue), rowid"
    }()

    // MARK: WebEx account

    /// The encrypted WebEx tokens, if the classroom connected its account.
    public func sealedWebexTokens() throws -> Data? {
        try Data.fetchOne(db, sql: "SELECT sealed_tokens FROM webex_account WHERE id = 1")
    }

    public func saveSealedWebexTokens(_ sealed: Data?, now: Date) throws {
        if let sealed {
            try db.execute(sql: """
                INSERT INTO webex_account (id, sealed_tokens, updated_at) VALUES (1, ?, ?)
                ON CONFLICT(id) DO UPDATE SET sealed_tokens = excluded.sealed_tokens, updated_at = excluded.updated_at
                """, arguments: [sealed, now.timeIntervalSince1970])
        } else {
            try db.execute(sql: "DELETE FROM webex_account")
        }
    }

    /// Why the classroom must act on its WebEx account (`"reconnect"`), or nil.
    public func webexProblem() throws -> String? {
        try String.fetchOne(db, sql: "SELECT problem FROM webex_problem WHERE id = 1")
    }

    public func setWebexProblem(_ problem: String?, now: Date) throws {
        if let problem {
            try db.execute(sql: """
                INSERT INTO webex_problem (id, problem, updated_at) VALUES (1, ?, ?)
                ON CONFLICT(id) DO UPDATE SET problem = excluded.problem, updated_at = excluded.updated_at
                """, arguments: [problem, now.timeIntervalSince1970])
        } else {
            try db.execute(sql: "DELETE FROM webex_problem")
        }
    }

    /// Remembers an OAuth `state` until it is used or expires.
    public func addOAuthState(_ state: String, expiresAt: Date) throws {
        try db.execute(sql: "INSERT INTO oauth_state (state, expires_at) VALUES (?, ?)",
                       arguments: [state, expiresAt.timeIntervalSince1970])
    }

    /// Uses up `state`: true once, and only before it expires.
    public func consumeOAuthState(_ state: String, now: Date) throws -> Bool {
        let expiresAt = try Double.fetchOne(db, sql: "SELECT expires_at FROM oauth_state WHERE state = ?", arguments: [state])
        try db.execute(sql: "DELETE FROM oauth_state WHERE state = ? OR expires_at <= ?",
                       arguments: [state, now.timeIntervalSince1970])
        guard let expiresAt else { return false }
        return expiresAt > now.timeIntervalSince1970
    }
}
