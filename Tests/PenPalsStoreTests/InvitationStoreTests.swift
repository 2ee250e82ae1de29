import Foundation
import Testing
import PenPalsCore
@testable import PenPalsStore

/// A fixed UUID whose text ends in `suffix` (12 hex digits).
func uuid(_ suffix: String) -> UUID {
    UUID(uuidString: "00000000-0000-4000-8000-" + suffix)!
}

extension StoreFixture {
    func invitation(_ id: UUID, from sender: NodeID, to receiver: NodeID, status: InvitationStatus = .pending,
                    created: TimeInterval = 0, start: Date? = nil, end: Date? = nil, problem: Problem? = nil) -> Invitation {
        let start = start ?? t0.addingTimeInterval(86400)
        return Invitation(id: id, title: "Call \(id.uuidString.suffix(4))", startTime: start,
                          endTime: end ?? start.addingTimeInterval(3600), senderID: sender, receiverID: receiver,
                          status: status, createdAt: t0.addingTimeInterval(created), problem: problem)
    }

    func save(_ invitations: [Invitation]) async throws {
        try await store.write { tx in
            for invitation in invitations { try tx.save(invitation, now: t0) }
        }
    }

    func list(_ box: InvitationQuery.Box, _ statuses: Set<InvitationStatus>?) async throws -> [UUID] {
        let local = a.id
        return try await store.read { tx in
            try tx.invitations(InvitationQuery(box: box, statuses: statuses), localID: local).map(\.id)
        }
    }
}

@Suite("Invitations in the store")
struct InvitationStoreTests {
    @Test("an invitation is saved and read back with every field, problem included")
    func roundTrip() async throws {
        let f = try await StoreFixture()
        let problem = Problem(code: "webex_unavailable", message: "WebEx did not answer.", retrying: true)
        let invitation = f.invitation(uuid("00000000abcd"), from: f.a.id, to: f.b.id, status: .failed, created: -60, problem: problem)
        try await f.save([invitation])
        let id = invitation.id
        #expect(try await f.store.read { tx in try tx.invitation(id) } == invitation)
        var cleared = invitation
        cleared.problem = nil
        cleared.status = .accepted
        try await f.save([cleared])
        #expect(try await f.store.read { tx in try tx.invitation(id) } == cleared)
        #expect(try await f.store.read { tx in try tx.invitation(UUID()) } == nil)
        // Text beyond ASCII, an empty message and a problem that is not retried.
        var other = cleared
        other.title = "Grüße aus Zürich – 日本の友だち 👋"
        other.problem = Problem(code: "webex_quota", message: "", retrying: false)
        other.status = .failed
        try await f.save([other])
        #expect(try await f.store.read { tx in try tx.invitation(id) } == other)
    }

    @Test("lists are newest first, ties by id ascending, filtered by box and status")
    func listing() async throws {
        let f = try await StoreFixture()
        let (a, b, c) = (f.a.id, f.b.id, f.c.id)
        let old = uuid("000000000001"), tieHigh = uuid("0000000000ff"), tieLow = uuid("0000000000aa")
        let sent = uuid("000000000002"), accepted = uuid("000000000003"), fromC = uuid("000000000004")
        try await f.save([
            f.invitation(old, from: b, to: a, created: 0),
            f.invitation(tieHigh, from: b, to: a, created: 10),
            f.invitation(sent, from: a, to: b, created: 5),
            f.invitation(tieLow, from: b, to: a, created: 10),
            f.invitation(accepted, from: b, to: a, status: .accepted, created: 20),
            f.invitation(fromC, from: c, to: a, status: .declined, created: 30),
        ])
        #expect(try await f.list(.received, [.pending]) == [tieLow, tieHigh, old])
        #expect(try await f.list(.received, nil) == [fromC, accepted, tieLow, tieHigh, old])
        #expect(try await f.list(.received, [.accepted, .declined]) == [fromC, accepted])
        #expect(try await f.list(.sent, [.pending]) == [sent])
        #expect(try await f.list(.sent, [.accepted]) == [])
        #expect(try await f.list(.all, nil) == [fromC, accepted, tieLow, tieHigh, sent, old])
        #expect(try await f.list(.all, [.pending]) == [tieLow, tieHigh, sent, old])
    }

    @Test("dueForExpiry finds pending invitations past their start and accepted or failed ones past their end")
    func dueForExpiry() async throws {
        let f = try await StoreFixture()
        let (a, b) = (f.a.id, f.b.id)
        let now = t0
        let pendingStarted = f.invitation(uuid("000000000001"), from: a, to: b, status: .pending, start: now)
        let pendingFuture = f.invitation(uuid("000000000002"), from: a, to: b, status: .pending, start: now.addingTimeInterval(1))
        let acceptedEnded = f.invitation(uuid("000000000003"), from: b, to: a, status: .accepted,
                                         start: now.addingTimeInterval(-7200), end: now.addingTimeInterval(-1))
        let acceptedRunning = f.invitation(uuid("000000000004"), from: b, to: a, status: .accepted,
                                           start: now.addingTimeInterval(-600), end: now.addingTimeInterval(600))
        let failedEnded = f.invitation(uuid("000000000005"), from: a, to: b, status: .failed,
                                       start: now.addingTimeInterval(-3600), end: now)
        let scheduledEnded = f.invitation(uuid("000000000006"), from: a, to: b, status: .scheduled,
                                          start: now.addingTimeInterval(-7200), end: now.addingTimeInterval(-3600))
        let declinedPast = f.invitation(uuid("000000000007"), from: a, to: b, status: .declined,
                                        start: now.addingTimeInterval(-7200), end: now.addingTimeInterval(-3600))
        let all = [pendingStarted, pendingFuture, acceptedEnded, acceptedRunning, failedEnded, scheduledEnded, declinedPast]
        try await f.save(all)

        let due = try await f.store.read { tx in try tx.dueForExpiry(now: now) }
        #expect(Set(due.map(\.id)) == [pendingStarted.id, acceptedEnded.id, failedEnded.id])
        // The query agrees with the rule it serves, on every invitation.
        #expect(Set(all.filter { $0.dueExpiry(now: now) }.map(\.id)) == Set(due.map(\.id)))
        // Reading changes nothing.
        let statuses = try await f.store.read { tx in try all.map { try tx.invitation($0.id)?.status } }
        #expect(statuses == all.map(\.status))
    }
}

@Suite("Lists in pages (contract §7.1)")
struct ListPageTests {
    /// Every page of a list, following `next`, as `read` answers them.
    static func pages<Item>(limit: Int, _ read: (ListPage) async throws -> Paged<Item>) async throws -> [[Item]] {
        var pages: [[Item]] = []
        var before: UUID?
        repeat {
            let page = try await read(ListPage(limit: limit, before: before))
            pages.append(page.items)
            before = page.next
            #expect(page.next == nil || page.items.count == limit, "a page short of its limit is the last")
        } while before != nil && pages.count < 100
        return pages
    }

    @Test("invitation pages, ties in created_at included, add up to the whole list in its order")
    func invitations() async throws {
        let f = try await StoreFixture()
        // Eleven invitations, several created at the same moment (ordered by id then).
        let invitations = (0..<11).map { index in
            f.invitation(uuid(String(format: "%012d", 11 - index)), from: f.b.id, to: f.a.id, created: Double(index / 3))
        }
        try await f.save(invitations)
        let local = f.a.id
        let query = InvitationQuery(box: .received, statuses: nil)
        let whole = try await f.store.read { try $0.invitations(query, localID: local) }.map(\.id)
        #expect(whole.count == 11)
        for limit in [1, 3, 4, 11, 12] {
            let pages = try await Self.pages(limit: limit) { page in
                try await f.store.read { try $0.invitations(query, localID: local, page: page) }
            }
            #expect(pages.flatMap { $0 }.map(\.id) == whole, "limit \(limit)")
            #expect(pages.count == max(1, (11 + limit - 1) / limit), "limit \(limit)")
        }
        await #expect(throws: StoreError.unknownListItem(uuid("00000000ffff").lowercasedString)) {
            try await f.store.read { try $0.invitations(query, localID: local, page: ListPage(limit: 2, before: uuid("00000000ffff"))) }
        }
    }

    @Test("meeting pages add up to the whole list, soonest first")
    func meetings() async throws {
        let f = try await StoreFixture()
        let invitations = (0..<7).map { index in
            f.invitation(uuid(String(format: "%012d", index + 1)), from: f.a.id, to: f.b.id, status: .scheduled,
                         start: t0.addingTimeInterval(Double(3600 * (index % 3 + 1))))
        }
        try await f.save(invitations)
        try await f.store.write { tx in
            for invitation in invitations {
                try tx.save(Meeting(id: UUID(), invitationID: invitation.id, title: invitation.title, startTime: invitation.startTime,
                                    endTime: invitation.endTime, webLink: "https://example.webex.com/j/1", webexMeetingID: "w",
                                    creatorID: invitation.senderID, participants: [invitation.senderID, invitation.receiverID]))
            }
        }
        let whole = try await f.store.read { try $0.meetings(notEndedBy: t0) }.map(\.id)
        #expect(whole.count == 7)
        for limit in [1, 2, 7] {
            let pages = try await Self.pages(limit: limit) { page in
                try await f.store.read { try $0.meetings(notEndedBy: t0, page: page) }
            }
            #expect(pages.flatMap { $0 }.map(\.id) == whole, "limit \(limit)")
        }
    }
}

@Suite("Meetings and jobs in the store")
struct MeetingStoreTests {
    func meeting(_ f: StoreFixture, for invitation: Invitation, participants: [NodeID]? = nil) -> Meeting {
        Meeting(id: UUID(), invitationID: invitation.id, title: invitation.title, startTime: invitation.startTime,
                endTime: invitation.endTime, webLink: "https://example.webex.com/j/\(invitation.id)",
                webexMeetingID: "webex-\(invitation.id)", creatorID: invitation.senderID,
                participants: participants ?? [invitation.senderID, invitation.receiverID])
    }

    @Test("meetings are listed soonest first, ended ones hidden unless asked, and only for scheduled invitations")
    func listing() async throws {
        let f = try await StoreFixture()
        let (a, b) = (f.a.id, f.b.id)
        let later = f.invitation(uuid("000000000001"), from: a, to: b, status: .scheduled, start: t0.addingTimeInterval(7200))
        let sooner = f.invitation(uuid("000000000002"), from: b, to: a, status: .scheduled, start: t0.addingTimeInterval(3600))
        let ended = f.invitation(uuid("000000000003"), from: a, to: b, status: .scheduled,
                                 start: t0.addingTimeInterval(-7200), end: t0.addingTimeInterval(-3600))
        let running = f.invitation(uuid("000000000004"), from: a, to: b, status: .scheduled,
                                   start: t0.addingTimeInterval(-600), end: t0.addingTimeInterval(600))
        let cancelled = f.invitation(uuid("000000000005"), from: a, to: b, status: .cancelled, start: t0.addingTimeInterval(1800))
        let invitations = [later, sooner, ended, running, cancelled]
        try await f.save(invitations)
        let meetings = invitations.map { meeting(f, for: $0) }
        try await f.store.write { tx in for m in meetings { try tx.save(m) } }

        let upcoming = try await f.store.read { tx in try tx.meetings(notEndedBy: t0) }
        #expect(upcoming.map(\.invitationID) == [running.id, sooner.id, later.id])
        let everything = try await f.store.read { tx in try tx.meetings(notEndedBy: nil) }
        #expect(everything.map(\.invitationID) == [ended.id, running.id, sooner.id, later.id])
        #expect(everything.first == meetings[2])
    }

    @Test("a meeting keeps its participants in the given order, and saving it again replaces them")
    func participants() async throws {
        let f = try await StoreFixture()
        let (a, b, c) = (f.a.id, f.b.id, f.c.id)
        let invitation = f.invitation(uuid("000000000001"), from: a, to: b, status: .scheduled)
        try await f.save([invitation])
        let order = [a, b].sorted(by: >) + [c]
        var m = meeting(f, for: invitation, participants: order)
        let saved = m
        try await f.store.write { tx in try tx.save(saved) }
        let id = m.id, invitationID = invitation.id
        #expect(try await f.store.read { tx in try tx.meeting(id) } == m)
        #expect(try await f.store.read { tx in try tx.meeting(forInvitation: invitationID) }?.participants == order)

        m.participants = [c, a]
        m.webLink = "https://example.webex.com/j/new"
        let changed = m
        try await f.store.write { tx in try tx.save(changed) }
        #expect(try await f.store.read { tx in try tx.meeting(id) } == changed)
        #expect(try await f.store.read { tx in try tx.meeting(UUID()) } == nil)
    }

    @Test("saving an invitation again (a status change) keeps its meeting and job")
    func resaveKeepsMeeting() async throws {
        let f = try await StoreFixture()
        var invitation = f.invitation(uuid("000000000001"), from: f.a.id, to: f.b.id, status: .scheduled)
        try await f.save([invitation])
        let m = meeting(f, for: invitation)
        let job = MeetingJob(invitationID: invitation.id, state: .created, attempts: 1,
                             nextAttempt: t0, lastError: nil, updatedAt: t0)
        try await f.store.write { tx in
            try tx.save(m)
            try tx.save(job)
        }
        invitation.status = .cancelled
        try await f.save([invitation])
        let id = invitation.id
        #expect(try await f.store.read { tx in try tx.meeting(forInvitation: id) } == m)
        #expect(try await f.store.read { tx in try tx.job(forInvitation: id) } == job)
        // A cancelled invitation's meeting is no longer listed.
        #expect(try await f.store.read { tx in try tx.meetings(notEndedBy: nil) }.isEmpty)
    }

    @Test("openJobs lists pending, interrupted and deleting jobs, soonest attempt first")
    func jobs() async throws {
        let f = try await StoreFixture()
        let ids = (1...6).map { uuid(String(format: "%012d", $0)) }
        try await f.save(ids.map { f.invitation($0, from: f.a.id, to: f.b.id, status: .accepted) })
        let states: [MeetingJob.State] = [.pending, .creating, .created, .failed, .deleting, .deleted]
        let jobs = zip(ids, states).enumerated().map { index, pair in
            MeetingJob(invitationID: pair.0, state: pair.1, attempts: index,
                       nextAttempt: t0.addingTimeInterval(Double(100 - index)), lastError: index == 3 ? "gave up" : nil,
                       updatedAt: t0, webexMeetingID: pair.1 == .deleting ? "m-5" : nil)
        }
        try await f.store.write { tx in for job in jobs { try tx.save(job) } }
        let open = try await f.store.read { tx in try tx.openJobs() }
        #expect(open == [jobs[4], jobs[1], jobs[0]])
        #expect(open.first?.webexMeetingID == "m-5")
        let failedID = ids[3]
        #expect(try await f.store.read { tx in try tx.job(forInvitation: failedID) } == jobs[3])
        // Updating a job replaces it.
        var retried = jobs[3]
        retried.state = .pending
        retried.attempts = 4
        let updated = retried
        try await f.store.write { tx in try tx.save(updated) }
        #expect(try await f.store.read { tx in try tx.openJobs() } == [jobs[4], updated, jobs[1], jobs[0]])
    }
}

@Suite("WebEx account state in the store")
struct AccountStoreTests {
    @Test("an OAuth state is consumed once, only before it expires, and unknown ones never")
    func oauthState() async throws {
        let f = try await StoreFixture()
        try await f.store.write { tx in
            try tx.addOAuthState("once", expiresAt: t0.addingTimeInterval(600))
            try tx.addOAuthState("late", expiresAt: t0.addingTimeInterval(600))
        }
        #expect(try await f.store.write { tx in try tx.consumeOAuthState("once", now: t0) })
        #expect(try await f.store.write { tx in try tx.consumeOAuthState("once", now: t0) } == false)
        #expect(try await f.store.write { tx in try tx.consumeOAuthState("late", now: t0.addingTimeInterval(600)) } == false)
        #expect(try await f.store.write { tx in try tx.consumeOAuthState("late", now: t0) } == false)
        #expect(try await f.store.write { tx in try tx.consumeOAuthState("never-issued", now: t0) } == false)
    }

    @Test("sealed WebEx tokens are saved, replaced, loaded and deleted")
    func sealedTokens() async throws {
        let f = try await StoreFixture()
        #expect(try await f.store.read { tx in try tx.sealedWebexTokens() } == nil)
        let box = SecretBox(nodeKey: f.a, purpose: "webex-tokens")
        let tokens = Data(#"{"access_token":"a1","refresh_token":"r1"}"#.utf8)
        let sealed = box.seal(tokens)
        try await f.store.write { tx in try tx.saveSealedWebexTokens(sealed, now: t0) }
        let loaded = try #require(try await f.store.read { tx in try tx.sealedWebexTokens() })
        #expect(loaded == sealed)
        #expect(try box.open(loaded) == tokens)

        let replacement = box.seal(Data("second".utf8))
        try await f.store.write { tx in try tx.saveSealedWebexTokens(replacement, now: t0) }
        #expect(try await f.store.read { tx in try tx.sealedWebexTokens() } == replacement)

        try await f.store.write { tx in try tx.saveSealedWebexTokens(nil, now: t0) }
        #expect(try await f.store.read { tx in try tx.sealedWebexTokens() } == nil)
    }
}
