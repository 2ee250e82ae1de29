import Foundation

/// An invitation as both nodes see it; `id` is the sender's chosen UUID.
public struct Invitation: Sendable, Equatable, Codable {
    public var id: UUID
    public var title: String
    public var startTime: Date
    public var endTime: Date
    public var senderID: NodeID
    public var receiverID: NodeID
    public var status: InvitationStatus
    /// The `created_at` of the sender's invitation event.
    public var createdAt: Date
    public var problem: Problem?
    /// 0 at creation, + 1 with every reschedule by the sender (version 1.1).
    public var revision: Int
    /// A new time the receiver asked for, until the sender reschedules (version 1.1).
    public var proposal: TimeRange?
    /// A series' rule (version 1.1); nil for one call. Its times are the first occurrence's.
    public var recurrence: Recurrence?
    /// The group of invitations (one per classroom) it belongs to, with one WebEx meeting
    /// for all (version 1.1); nil for a one-to-one invitation.
    public var groupID: UUID?

    public init(id: UUID, title: String, startTime: Date, endTime: Date, senderID: NodeID, receiverID: NodeID,
                status: InvitationStatus, createdAt: Date, problem: Problem? = nil, revision: Int = 0,
                proposal: TimeRange? = nil, recurrence: Recurrence? = nil, groupID: UUID? = nil) {
        self.id = id
        self.title = title
        self.startTime = startTime
        self.endTime = endTime
        self.senderID = senderID
        self.receiverID = receiverID
        self.status = status
        self.createdAt = createdAt
        self.problem = problem
        self.revision = revision
        self.proposal = proposal
        self.recurrence = recurrence
        self.groupID = groupID
    }

    /// The tag its WebEx meeting carries, by which it is found again: the group's, or its own.
    public var integrationTag: String { MeetingJob.integrationTag(groupID ?? id) }

    /// When its last call ends: the series' last occurrence's end, or `endTime`.
    public var lastEnd: Date { recurrence?.lastEnd(start: startTime, end: endTime) ?? endTime }
}

/// A start and an end (a proposal's).
public struct TimeRange: Sendable, Equatable, Codable {
    public var start: Date
    public var end: Date

    public init(start: Date, end: Date) {
        self.start = start
        self.end = end
    }
}

/// The last `meeting_failed` of an invitation.
public struct Problem: Sendable, Equatable, Codable {
    public var code: String
    public var message: String
    public var retrying: Bool

    public init(code: String, message: String, retrying: Bool) {
        self.code = code
        self.message = message
        self.retrying = retrying
    }
}

/// A WebEx meeting made for an accepted invitation by the invitation's sender.
public struct Meeting: Sendable, Equatable, Codable {
    public var id: UUID
    public var invitationID: UUID
    public var title: String
    public var startTime: Date
    public var endTime: Date
    public var webLink: String
    public var webexMeetingID: String
    public var creatorID: NodeID
    public var participants: [NodeID]
    /// The invitation's revision its times are of (version 1.1).
    public var revision: Int
    /// The series' rule, as its invitation's (version 1.1).
    public var recurrence: Recurrence?
    /// Names of participants as a group's sender gave them (for classrooms this node does not know).
    public var participantNames: [NodeID: String] = [:]
    /// Its invitation's group (one meeting for all of it), as the invitation's.
    public var groupID: UUID?
    /// A group's invitations this node knows that are accepted or scheduled (read, not stored).
    public var groupInvitationIDs: [UUID] = []

    public init(id: UUID, invitationID: UUID, title: String, startTime: Date, endTime: Date, webLink: String,
                webexMeetingID: String, creatorID: NodeID, participants: [NodeID], revision: Int = 0,
                recurrence: Recurrence? = nil, participantNames: [NodeID: String] = [:], groupID: UUID? = nil) {
        self.groupID = groupID
        self.revision = revision
        self.recurrence = recurrence
        self.participantNames = participantNames
        self.id = id
        self.invitationID = invitationID
        self.title = title
        self.startTime = startTime
        self.endTime = endTime
        self.webLink = webLink
        self.webexMeetingID = webexMeetingID
        self.creatorID = creatorID
        self.participants = participants
    }

    /// When its last call ends.
    public var lastEnd: Date { recurrence?.lastEnd(start: startTime, end: endTime) ?? endTime }

    /// The start of its next call not over at `now` (nil when all are over).
    public func nextStart(now: Date) -> Date? {
        guard let recurrence else { return endTime > now ? startTime : nil }
        return recurrence.nextStart(start: startTime, end: endTime, now: now)
    }
}
