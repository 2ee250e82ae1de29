import Foundation
import Testing
@testable import PenPalsCore

@Suite("InvitationStatus")
struct InvitationStatusTests {
    /// The contract's state machine, written out per side: every pair not listed is refused.
    /// The sender is the authority; the receiver also adopts the sender's word over
    /// what crossed it (a cancel over a decline, a meeting over its own expiry).
    static let allowed: [InvitationRole: [InvitationStatus: [InvitationAction: InvitationStatus]]] = [
        .sender: [
            .pending: [.accept: .accepted, .decline: .declined, .cancel: .cancelled, .expire: .expired, .reschedule: .pending],
            .accepted: [.schedule: .scheduled, .cancel: .cancelled, .withdraw: .cancelled, .expire: .expired, .fail: .failed,
                        .reschedule: .accepted],
            .scheduled: [.cancel: .cancelled, .withdraw: .cancelled, .reschedule: .scheduled],
            .failed: [.retry: .accepted, .cancel: .cancelled, .withdraw: .cancelled, .expire: .expired],
            .declined: [:],
            .cancelled: [:],
            .expired: [:],
        ],
        // A reschedule of the sender keeps the receiver's status, but for one it expired
        // on its own clock, which is pending again (and a meeting then schedules it).
        .receiver: [
            .pending: [.accept: .accepted, .decline: .declined, .cancel: .cancelled, .expire: .expired, .senderExpired: .expired,
                       .reschedule: .pending, .rescheduleAccepted: .pending, .schedule: .scheduled, .fail: .failed],
            .accepted: [.schedule: .scheduled, .cancel: .cancelled, .withdraw: .cancelled, .expire: .expired,
                        .senderExpired: .expired, .fail: .failed, .reschedule: .accepted, .rescheduleAccepted: .accepted],
            .scheduled: [.cancel: .cancelled, .withdraw: .cancelled, .senderExpired: .expired, .reschedule: .scheduled,
                         .rescheduleAccepted: .scheduled],
            .failed: [.retry: .accepted, .schedule: .scheduled, .cancel: .cancelled, .withdraw: .cancelled,
                      .expire: .expired, .senderExpired: .expired, .reschedule: .failed, .rescheduleAccepted: .failed],
            .declined: [.cancel: .cancelled, .senderExpired: .expired, .reschedule: .declined, .rescheduleAccepted: .declined],
            .cancelled: [.senderExpired: .expired, .reschedule: .cancelled, .rescheduleAccepted: .cancelled],
            .expired: [.cancel: .cancelled, .schedule: .scheduled, .reschedule: .pending, .rescheduleAccepted: .accepted],
        ],
    ]

    @Test("the table covers every status and action")
    func tableIsComplete() {
        #expect(InvitationStatus.allCases.count == 7)
        #expect(InvitationAction.allCases.count == 11)
        for role in InvitationRole.allCases {
            #expect(Set(Self.allowed[role]?.keys.map { $0 } ?? []) == Set(InvitationStatus.allCases))
        }
        #expect(InvitationStatus.allCases.map(\.rawValue)
                == ["pending", "accepted", "scheduled", "declined", "cancelled", "expired", "failed"])
    }

    @Test("exactly the allowed transitions happen", arguments: InvitationStatus.allCases, InvitationAction.allCases)
    func transition(status: InvitationStatus, action: InvitationAction) {
        for role in InvitationRole.allCases {
            #expect(status.applying(action, as: role) == Self.allowed[role]?[status]?[action], "\(role)")
        }
    }

    @Test("isFinal holds exactly for declined, cancelled and expired", arguments: InvitationStatus.allCases)
    func isFinal(status: InvitationStatus) {
        #expect(status.isFinal == [.declined, .cancelled, .expired].contains(status))
    }

    @Test("the statuses that expire are exactly those the table lets expire")
    func expiringStatuses() {
        let expiring = Set(InvitationStatus.allCases.filter { $0.applying(.expire, as: .sender) != nil })
        #expect(InvitationStatus.expiringAtStart.union(InvitationStatus.expiringAtEnd) == expiring)
        #expect(InvitationStatus.expiringAtStart.isDisjoint(with: InvitationStatus.expiringAtEnd))
    }
}

@Suite("Invitation expiry")
struct InvitationExpiryTests {
    let start = december1, end = december1.addingTimeInterval(3600)

    func invitation(_ status: InvitationStatus) -> Invitation {
        let a = NodeKey.generate().id, b = NodeKey.generate().id
        return Invitation(id: UUID(), title: "x", startTime: start, endTime: end, senderID: a, receiverID: b,
                          status: status, createdAt: december1.addingTimeInterval(-86400))
    }

    @Test("pending expires at its start, accepted and failed at their end, others never")
    func dueExpiry() {
        #expect(!invitation(.pending).dueExpiry(now: start.addingTimeInterval(-1)))
        #expect(invitation(.pending).dueExpiry(now: start))
        for status in [InvitationStatus.accepted, .failed] {
            #expect(!invitation(status).dueExpiry(now: start.addingTimeInterval(60)))
            #expect(!invitation(status).dueExpiry(now: end.addingTimeInterval(-1)))
            #expect(invitation(status).dueExpiry(now: end))
        }
        for status in [InvitationStatus.scheduled, .declined, .cancelled, .expired] {
            #expect(!invitation(status).dueExpiry(now: end.addingTimeInterval(86400)))
        }
    }
}
