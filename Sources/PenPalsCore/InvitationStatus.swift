/// Where an invitation stands. The sender's node is the authority; the receiver's
/// follows the events it gets.
public enum InvitationStatus: String, Codable, Sendable, CaseIterable {
    case pending, accepted, scheduled, declined, cancelled, expired, failed

    /// Whether the teachers can do nothing more with the invitation (the sender's
    /// table has no way out of it). A receiver may still adopt the sender's word.
    public var isFinal: Bool { transitions(.sender).isEmpty }

    /// The status after `action` at the node of `role`, or nil where the action is
    /// not allowed in this status there. Every change of status goes through here.
    public func applying(_ action: InvitationAction, as role: InvitationRole) -> InvitationStatus? {
        transitions(role)[action]
    }

    private func transitions(_ role: InvitationRole) -> [InvitationAction: InvitationStatus] {
        switch role {
        case .sender:
            switch self {
            case .pending: [.accept: .accepted, .decline: .declined, .cancel: .cancelled, .expire: .expired, .reschedule: .pending]
            case .accepted:
                [.schedule: .scheduled, .cancel: .cancelled, .withdraw: .cancelled, .expire: .expired, .fail: .failed,
                 .reschedule: .accepted]
            case .scheduled: [.cancel: .cancelled, .withdraw: .cancelled, .reschedule: .scheduled]
            case .failed: [.retry: .accepted, .cancel: .cancelled, .withdraw: .cancelled, .expire: .expired]
            case .declined, .cancelled, .expired: [:]
            }
        case .receiver:
            // The sender's word (`cancel`, `senderExpired`, `schedule`) holds over what
            // crossed it here: a decline, a withdrawal, or an expiry on this node's clock.
            switch self {
            // A reschedule keeps the status, except an invitation this node expired on
            // its own clock: the sender's new times make it what the sender said (pending,
            // or accepted), and a later `meeting` or `meeting_failed` of the sender moves a
            // pending one on, as the sender's word (its accept crossed the reschedule).
            case .pending:
                [.accept: .accepted, .decline: .declined, .cancel: .cancelled, .expire: .expired, .senderExpired: .expired,
                 .reschedule: .pending, .rescheduleAccepted: .pending, .schedule: .scheduled, .fail: .failed]
            case .accepted:
                [.schedule: .scheduled, .cancel: .cancelled, .withdraw: .cancelled, .expire: .expired,
                 .senderExpired: .expired, .fail: .failed, .reschedule: .accepted, .rescheduleAccepted: .accepted]
            case .scheduled:
                [.cancel: .cancelled, .withdraw: .cancelled, .senderExpired: .expired, .reschedule: .scheduled,
                 .rescheduleAccepted: .scheduled]
            case .failed:
                [.retry: .accepted, .schedule: .scheduled, .cancel: .cancelled, .withdraw: .cancelled, .expire: .expired,
                 .senderExpired: .expired, .reschedule: .failed, .rescheduleAccepted: .failed]
            case .declined: [.cancel: .cancelled, .senderExpired: .expired, .reschedule: .declined, .rescheduleAccepted: .declined]
            case .cancelled: [.senderExpired: .expired, .reschedule: .cancelled, .rescheduleAccepted: .cancelled]
            case .expired: [.cancel: .cancelled, .schedule: .scheduled, .reschedule: .pending, .rescheduleAccepted: .accepted]
            }
        }
    }

    /// Statuses that expire at the invitation's start, and those that expire at its
    /// end, on the node's own clock (the store's query for due invitations uses these).
    public static let expiringAtStart: Set<InvitationStatus> = [.pending]
    public static let expiringAtEnd: Set<InvitationStatus> = [.accepted, .failed]

    /// Statuses in which the sender may reschedule and the receiver propose a new time.
    public static let changeable: Set<InvitationStatus> = [.pending, .accepted, .scheduled]
}

/// Which side of an invitation a node is.
public enum InvitationRole: String, Sendable, CaseIterable {
    case sender, receiver
}

/// What can happen to an invitation.
public enum InvitationAction: String, Sendable, CaseIterable {
    /// The receiver accepts.
    case accept
    /// The receiver declines.
    case decline
    /// The sender withdraws (before or after the meeting was made).
    case cancel
    /// The receiver cancels its participation after accepting (before or after the meeting was made).
    case withdraw
    /// Its time passed on this node's clock before it was settled.
    case expire
    /// The sender's node says it expired there (`cancel` with reason `expired`).
    case senderExpired
    /// The sender's node made the WebEx meeting.
    case schedule
    /// The sender's node gave up making the meeting.
    case fail
    /// The sender asks to make the meeting again after a failure.
    case retry
    /// The sender gives the invitation new times (version 1.1).
    case reschedule
    /// The same, of an invitation the sender has accepted (its `reschedule` says so).
    case rescheduleAccepted
}
