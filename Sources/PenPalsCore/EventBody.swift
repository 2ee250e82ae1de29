import Foundation

/// The sealed part of an event: what happened to which invitation.
public enum EventBody: Sendable, Equatable {
    case invitation(InvitationOffer)
    case accept(invitationID: UUID)
    case decline(invitationID: UUID, reason: String?)
    case cancel(invitationID: UUID, reason: String?)
    case meeting(MeetingNotice)
    case meetingFailed(MeetingFailure)
    /// Version 1.1: the sender's new times (and title) for an invitation.
    case reschedule(Reschedule)
    /// Version 1.1: the receiver asks for a new time.
    case propose(Proposal)
    /// An event of a type this node does not know (a newer node's): its body as sealed,
    /// stored and acknowledged, and otherwise ignored.
    case unknown(type: EventType, json: Data)

    /// `cancel {reason: "expired"}` marks an invitation expired rather than cancelled.
    public static let expiredReason = "expired"

    public var type: EventType {
        switch self {
        case .invitation: .invitation
        case .accept: .accept
        case .decline: .decline
        case .cancel: .cancel
        case .meeting: .meeting
        case .meetingFailed: .meetingFailed
        case .reschedule: .reschedule
        case .propose: .propose
        case .unknown(let type, _): type
        }
    }

    /// The invitation the event is about (nil for a type this node does not know).
    public var invitationID: UUID? {
        switch self {
        case .invitation(let offer): offer.invitationID
        case .accept(let id), .decline(let id, _), .cancel(let id, _): id
        case .meeting(let notice): notice.invitationID
        case .meetingFailed(let failure): failure.invitationID
        case .reschedule(let change): change.invitationID
        case .propose(let proposal): proposal.invitationID
        case .unknown: nil
        }
    }

    public func encoded() -> Data {
        switch self {
        case .invitation(let offer): WireJSON.encode(offer)
        case .accept(let id): WireJSON.encode(Answer(invitationID: id, reason: nil))
        case .decline(let id, let reason), .cancel(let id, let reason): WireJSON.encode(Answer(invitationID: id, reason: reason))
        case .meeting(let notice): WireJSON.encode(notice)
        case .meetingFailed(let failure): WireJSON.encode(failure)
        case .reschedule(let change): WireJSON.encode(change)
        case .propose(let proposal): WireJSON.encode(proposal)
        case .unknown(_, let json): json
        }
    }

    /// The body of an event of `type`, checked; an unknown type's is kept as it is (it
    /// need not even be JSON: what a newer node seals is its own business).
    public static func decode(type: EventType, from data: Data) throws -> EventBody {
        switch type {
        case .invitation:
            let offer = try WireJSON.decode(InvitationOffer.self, from: data)
            try offer.checkTimes()
            return .invitation(offer)
        case .accept:
            return .accept(invitationID: try WireJSON.decode(Answer.self, from: data).invitationID)
        case .decline:
            let answer = try WireJSON.decode(Answer.self, from: data)
            return .decline(invitationID: answer.invitationID, reason: answer.reason)
        case .cancel:
            let answer = try WireJSON.decode(Answer.self, from: data)
            return .cancel(invitationID: answer.invitationID, reason: answer.reason)
        case .meeting:
            let notice = try WireJSON.decode(MeetingNotice.self, from: data)
            if let problem = MeetingNotice.linkProblem(notice.webLink) {
                throw DecodingError.dataCorrupted(.init(codingPath: [MeetingNotice.CodingKeys.webLink], debugDescription: problem))
            }
            return .meeting(notice)
        case .meetingFailed:
            return .meetingFailed(try WireJSON.decode(MeetingFailure.self, from: data))
        case .reschedule:
            let change = try WireJSON.decode(Reschedule.self, from: data)
            try change.check()
            return .reschedule(change)
        case .propose:
            let proposal = try WireJSON.decode(Proposal.self, from: data)
            guard proposal.revision >= 0 else {
                throw DecodingError.dataCorrupted(.init(codingPath: [Proposal.CodingKeys.revision], debugDescription: "revision is not negative"))
            }
            guard Timestamp.isOrderedPair(proposal.startTime, proposal.endTime) else {
                throw DecodingError.dataCorrupted(.init(codingPath: [Proposal.CodingKeys.startTime], debugDescription: "start_time and end_time must be RFC 3339 times, end after start"))
            }
            return .propose(proposal)
        default:
            return .unknown(type: type, json: data)
        }
    }

    struct Answer: Codable, Equatable {
        var invitationID: UUID
        var reason: String?
        enum CodingKeys: String, CodingKey {
            case invitationID = "invitation_id"
            case reason
        }
    }
}

/// `invitation {invitation_id, title, start_time, end_time, recurrence?}`; `recurrence`
/// (version 1.1: `{freq, interval, count, timezone}`) only to a peer that announced
/// `meeting_changes`.
public struct InvitationOffer: Codable, Sendable, Equatable {
    public var invitationID: UUID
    public var title: String
    public var startTime: String
    public var endTime: String
    public var recurrence: Recurrence?
    /// Version 1.1: the group of invitations it is one of (one meeting for all).
    public var groupID: UUID?

    public init(invitationID: UUID, title: String, startTime: String, endTime: String, recurrence: Recurrence? = nil,
                groupID: UUID? = nil) {
        self.invitationID = invitationID
        self.title = title
        self.startTime = startTime
        self.endTime = endTime
        self.recurrence = recurrence
        self.groupID = groupID
    }

    enum CodingKeys: String, CodingKey {
        case invitationID = "invitation_id"
        case title
        case startTime = "start_time"
        case endTime = "end_time"
        case recurrence
        case groupID = "group_id"
    }

    func checkTimes() throws {
        guard Timestamp.isOrderedPair(startTime, endTime) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.startTime], debugDescription: "start_time and end_time must be RFC 3339 times, end after start"))
        }
        if let violation = recurrence?.violation {
            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.recurrence], debugDescription: violation.message))
        }
    }
}

/// `reschedule {invitation_id, revision, status, title, start_time, end_time}` (version
/// 1.1): the invitation's times and title as of `revision`, and its status at the
/// sender then; the highest revision holds.
public struct Reschedule: Codable, Sendable, Equatable {
    public var invitationID: UUID
    public var revision: Int
    /// The sender's status when it rescheduled (pending, accepted or scheduled): what a
    /// receiver that expired the invitation on its own clock takes up again.
    public var status: InvitationStatus
    public var title: String
    public var startTime: String
    public var endTime: String

    public init(invitationID: UUID, revision: Int, status: InvitationStatus = .pending, title: String, startTime: String, endTime: String) {
        self.invitationID = invitationID
        self.revision = revision
        self.status = status
        self.title = title
        self.startTime = startTime
        self.endTime = endTime
    }

    enum CodingKeys: String, CodingKey {
        case invitationID = "invitation_id"
        case revision, status, title
        case startTime = "start_time"
        case endTime = "end_time"
    }

    func check() throws {
        guard revision >= 1 else {
            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.revision], debugDescription: "revision starts at 1"))
        }
        guard InvitationStatus.changeable.contains(status) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.status], debugDescription: "status is pending, accepted or scheduled"))
        }
        guard Timestamp.isOrderedPair(startTime, endTime) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.startTime], debugDescription: "start_time and end_time must be RFC 3339 times, end after start"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeLowercased(invitationID, forKey: .invitationID)
        try c.encode(revision, forKey: .revision)
        try c.encode(status, forKey: .status)
        try c.encode(title, forKey: .title)
        try c.encode(startTime, forKey: .startTime)
        try c.encode(endTime, forKey: .endTime)
    }
}

/// `propose {invitation_id, revision, start_time, end_time}` (version 1.1): a new time
/// the receiver asks the sender for, made while the invitation was at `revision` (a
/// proposal for times the sender has changed since is not shown).
public struct Proposal: Codable, Sendable, Equatable {
    public var invitationID: UUID
    public var revision: Int
    public var startTime: String
    public var endTime: String

    public init(invitationID: UUID, revision: Int, startTime: String, endTime: String) {
        self.invitationID = invitationID
        self.revision = revision
        self.startTime = startTime
        self.endTime = endTime
    }

    enum CodingKeys: String, CodingKey {
        case invitationID = "invitation_id"
        case revision
        case startTime = "start_time"
        case endTime = "end_time"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeLowercased(invitationID, forKey: .invitationID)
        try c.encode(revision, forKey: .revision)
        try c.encode(startTime, forKey: .startTime)
        try c.encode(endTime, forKey: .endTime)
    }
}

/// `meeting {invitation_id, webex_meeting_id, web_link, title, start_time, end_time}`.
public struct MeetingNotice: Codable, Sendable, Equatable {
    public var invitationID: UUID
    public var webexMeetingID: String
    public var webLink: String
    public var title: String
    public var startTime: String
    public var endTime: String
    /// Version 1.1, a group's meeting: every classroom on the call (`{id, name}`), the
    /// sender first. Sent again as classrooms join or leave.
    public var participants: [Participant]?

    public struct Participant: Codable, Sendable, Equatable {
        public var id: NodeID
        public var name: String
        public init(id: NodeID, name: String) {
            self.id = id
            self.name = name
        }
    }

    public init(invitationID: UUID, webexMeetingID: String, webLink: String, title: String, startTime: String, endTime: String,
                participants: [Participant]? = nil) {
        self.invitationID = invitationID
        self.webexMeetingID = webexMeetingID
        self.webLink = webLink
        self.title = title
        self.startTime = startTime
        self.endTime = endTime
        self.participants = participants
    }

    enum CodingKeys: String, CodingKey {
        case invitationID = "invitation_id"
        case webexMeetingID = "webex_meeting_id"
        case webLink = "web_link"
        case title
        case startTime = "start_time"
        case endTime = "end_time"
        case participants
    }
}

extension MeetingNotice {
    /// The longest join link taken, in bytes.
    public static let longestLink = 2_048

    /// Why `link` is not a join link a node passes on to its teacher's page and
    /// calendar, or nil when it is one: `https`, or `http` only to a loopback host
    /// (the local WebEx sandbox); at most `longestLink` bytes; no spaces or control
    /// characters (a CR/LF would start a new property in an `.ics`).
    public static func linkProblem(_ link: String) -> String? {
        guard link.utf8.count <= longestLink else { return "web_link is longer than \(longestLink) bytes" }
        guard !link.unicodeScalars.contains(where: { $0.value <= 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            return "web_link contains a space or a control character"
        }
        let lower = link.lowercased()
        let secure = lower.hasPrefix("https://")
        guard secure || lower.hasPrefix("http://"), let url = URL(string: link), let host = url.host, !host.isEmpty else {
            return "web_link is not an https URL"
        }
        if !secure && !isLoopback(host) { return "web_link is not an https URL (http is taken only for a loopback host)" }
        return nil
    }

    static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare == "::1" { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// `meeting_failed {invitation_id, code, message, retrying}`.
public struct MeetingFailure: Codable, Sendable, Equatable {
    public var invitationID: UUID
    public var code: String
    public var message: String
    public var retrying: Bool

    public init(invitationID: UUID, code: String, message: String, retrying: Bool) {
        self.invitationID = invitationID
        self.code = code
        self.message = message
        self.retrying = retrying
    }

    enum CodingKeys: String, CodingKey {
        case invitationID = "invitation_id"
        case code, message, retrying
    }
}

// Invitation ids go on the wire in lowercase, as the event ids do, so that any
// implementation can compare them as strings.
extension KeyedEncodingContainer {
    mutating func encodeLowercased(_ id: UUID, forKey key: Key) throws {
        try encode(id.lowercasedString, forKey: key)
    }
}

extension InvitationOffer {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeLowercased(invitationID, forKey: .invitationID)
        try c.encode(title, forKey: .title)
        try c.encode(startTime, forKey: .startTime)
        try c.encode(endTime, forKey: .endTime)
        try c.encodeIfPresent(recurrence, forKey: .recurrence)
        if let groupID { try c.encodeLowercased(groupID, forKey: .groupID) }
    }
}

extension EventBody.Answer {
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeLowercased(invitationID, forKey: .invitationID)
        try c.encodeIfPresent(reason, forKey: .reason)
    }
}

extension MeetingNotice {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeLowercased(invitationID, forKey: .invitationID)
        try c.encode(webexMeetingID, forKey: .webexMeetingID)
        try c.encode(webLink, forKey: .webLink)
        try c.encode(title, forKey: .title)
        try c.encode(startTime, forKey: .startTime)
        try c.encode(endTime, forKey: .endTime)
        try c.encodeIfPresent(participants, forKey: .participants)
    }
}

extension MeetingFailure {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeLowercased(invitationID, forKey: .invitationID)
        try c.encode(code, forKey: .code)
        try c.encode(message, forKey: .message)
        try c.encode(retrying, forKey: .retrying)
    }
}
