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

    public init(id: UUID, title: String, startTime: Date, endTime: Date, senderID: NodeID, receiverID: NodeID,
                status: InvitationStatus, createdAt: Date, problem: Problem? = nil) {
        self.id = id
        self.title = title
        self.startTime = startTime
        self.endTime = endTime
        self.senderID = senderID
        self.receiverID = receiverID
        self.status = status
        self.createdAt = createdAt
        self.problem = problem
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

    public init(id: UUID, invitationID: UUID, title: String, startTime: Date, endTime: Date, webLink: String,
                webexMeetingID: String, creatorID: NodeID, participants: [NodeID]) {
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
}
