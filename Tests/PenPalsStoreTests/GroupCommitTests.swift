import Foundation
import Testing
import PenPalsCore
@testable import PenPalsStore

struct Refused: Error {}

@Suite("Group commit")
struct GroupCommitTests {
    @Test("writes that arrive together commit together; one that throws is undone alone and gets its error")
    func aFailingWriteIsUndoneAlone() async throws {
        let f = try await StoreFixture()
        let cipher = f.cipher(f.a, f.b)
        let key = f.a
        let body = EventBody.accept(invitationID: UUID())
        let outcomes = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
            for index in 0..<40 {
                group.addTask {
                    do {
                        try await f.store.write { tx in
                            _ = try tx.appendOutgoing(body, key: key, cipher: cipher, now: t0)
                            if index % 4 == 0 { throw Refused() }  // after changing the store
                        }
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 30)
        let bID = f.b.id, aID = f.a.id
        let (state, events) = try await f.store.read { tx in
            (try tx.peer(bID), try tx.channelEvents(author: aID, recipient: bID, after: 0, limit: 100, maxBytes: .max).events)
        }
        // Exactly the 30 that succeeded are stored, numbered 1...30 without gaps.
        #expect(state?.sent == 30)
        #expect(events.count == 30)
    }

    @Test("concurrent writes to a durable store share commits: far fewer transactions than writes")
    func concurrentWritesShareCommits() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("penpals-group-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let f = try await StoreFixture(store: NodeStore(path: directory.appendingPathComponent("penpals.sqlite").path))
        let cipher = f.cipher(f.a, f.b)
        let key = f.a
        let before = f.store.transactionCount
        // 64 writes at once: while one commit waits for its fsync, the others queue
        // up and go in together.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    try await f.store.write { tx in _ = try tx.appendOutgoing(.accept(invitationID: UUID()), key: key, cipher: cipher, now: t0) }
                }
            }
            try await group.waitForAll()
        }
        let transactions = f.store.transactionCount - before
        let bID = f.b.id
        #expect(try await f.store.read { try $0.peer(bID)?.sent } == 64, "every write is stored")
        // One commit each would be 64; batching makes it a handful (the first write
        // alone, then what queued behind it).
        #expect(transactions <= 16, "\(transactions) transactions for 64 writes")
    }

    @Test("a lone write that throws leaves nothing behind, and the next write works")
    func aLoneFailingWrite() async throws {
        let f = try await StoreFixture()
        let cipher = f.cipher(f.a, f.b)
        let key = f.a
        await #expect(throws: Refused.self) {
            try await f.store.write { tx in
                _ = try tx.appendOutgoing(.accept(invitationID: UUID()), key: key, cipher: cipher, now: t0)
                throw Refused()
            }
        }
        let bID = f.b.id
        #expect(try await f.store.read { try $0.peer(bID)?.sent } == 0)
        let sealed = try await f.append(.accept(invitationID: UUID()), to: f.b)
        #expect(sealed.payload.seq == 1)
    }
}
