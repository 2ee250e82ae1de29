/// Where an invitation stands. The sender's node is the authority; the receiver's
/// follows the events it gets.
public enum InvitationStatus: String, Codable, Sendable, CaseIterable {
    case pending, accepted, scheduled, declined, cancelled, expired, failed

    /// Whether nothing can happen to the invitation any more.
    public var isFinal: Bool { transitions.isEmpty }

    /// The status after `action`, or nil where the action is not allowed in this status.
    public func applying(_ action: InvitationAction) -> InvitationStatus? {
        transitions[action]
    }

    private var transitions: [InvitationAction: InvitationStatus] {
        switch self {
        case .pending: [.accept: .accepted, .decline: .declined, .cancel: .cancelled, .expire: .expired]
        case .accepted: [.schedule: .scheduled, .cancel: .cancelled, .withdraw: .cancelled, .expire: .expired, .fail: .failed]
        case .scheduled: [.cancel: .cancelled, .withdraw: .cancelled]
        case .failed: [.retry: .accepted, .cancel: .cancelled, .withdraw: .cancelled, .expire: .expired]
        case .declined, .cancelled, .expired: [:]
        }
    }
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
    /// Its time passed before it was settled.
    case expire
    /// The sender's node made the WebEx meeting.
    case schedule
    /// The sender's node gave up making the meeting.
    case fail
    /// The sender asks to make the meeting again after a failure.
    case retry
}
