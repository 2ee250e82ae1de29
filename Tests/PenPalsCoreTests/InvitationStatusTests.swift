import Foundation
import Testing
@testable import PenPalsCore

@Suite("InvitationStatus")
struct InvitationStatusTests {
    /// The contract's state machine, written out: every pair not listed is refused.
    static let allowed: [InvitationStatus: [InvitationAction: InvitationStatus]] = [
        .pending: [.accept: .accepted, .decline: .declined, .cancel: .cancelled, .expire: .expired],
        .accepted: [.schedule: .scheduled, .cancel: .cancelled, .withdraw: .cancelled, .expire: .expired, .fail: .failed],
        .scheduled: [.cancel: .cancelled, .withdraw: .cancelled],
        .failed: [.retry: .accepted, .cancel: .cancelled, .withdraw: .cancelled, .expire: .expired],
        .declined: [:],
        .cancelled: [:],
        .expired: [:],
    ]

    @Test("the table covers every status and action")
    func tableIsComplete() {
        #expect(InvitationStatus.allCases.count == 7)
        #expect(InvitationAction.allCases.count == 8)
        #expect(Set(Self.allowed.keys) == Set(InvitationStatus.allCases))
        #expect(InvitationStatus.allCases.map(\.rawValue)
                == ["pending", "accepted", "scheduled", "declined", "cancelled", "expired", "failed"])
    }

    @Test("exactly the allowed transitions happen", arguments: InvitationStatus.allCases, InvitationAction.allCases)
    func transition(status: InvitationStatus, action: InvitationAction) {
        #expect(status.applying(action) == Self.allowed[status]?[action])
    }

    @Test("isFinal holds exactly for declined, cancelled and expired", arguments: InvitationStatus.allCases)
    func isFinal(status: InvitationStatus) {
        #expect(status.isFinal == [.declined, .cancelled, .expired].contains(status))
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
