import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import OutboundHTTP
@testable import Webex
import Synchronization

/// More requests to one host than the session has connections for: the rest wait
/// in the client, with no timeout running, instead of in libcurl's queue, where
/// their timeout runs before they are even sent.
@Suite("Requests beyond a session's connections per host")
struct HostGateTests {
    @Test func requestsBeyondTheConnectionLimitWaitWithoutTheirTimeoutRunning() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            // Every listing answers after 3 s; twelve at once over six connections take two rounds,
            // and a request queued behind a round would reach 6 s, past the client's 5 s timeout
            // (whole seconds: FoundationNetworking counts no fraction). A request sent at once has
            // 2 s to spare: in a full test run the in-process sandbox can answer late.
            try await server.fault(#"{"endpoint": "GET /v1/meetings", "delay_ms": 3000, "count": 12}"#)
            let client = server.client(timeout: 5)
            let start = ContinuousClock.now
            let results = await withTaskGroup(of: Result<Int, any Error>.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        do {
                            let meetings = try await client.meetings(integrationTag: "penpals-x", from: Date(),
                                                                     to: Date().addingTimeInterval(3600), accessToken: tokens.accessToken)
                            return .success(meetings.count)
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                var results: [Result<Int, any Error>] = []
                for await result in group { results.append(result) }
                return results
            }
            let failures = results.compactMap { result -> String? in
                if case .failure(let error) = result { "\(error)" } else { nil }
            }
            #expect(failures.isEmpty, "\(failures)")
            #expect(ContinuousClock.now - start >= .seconds(6), "at most six at a time: two rounds")
        }
    }

    @Test func theGateLetsALimitedNumberInAndHandsEachFreedPlaceToTheNextInLine() async throws {
        let gate = HostGate()
        let session = ObjectIdentifier(URLSession.shared)
        let a = HostGate.Key(session: session, scheme: "http", host: "127.0.0.1", port: 1)
        let b = HostGate.Key(session: session, scheme: "http", host: "127.0.0.1", port: 2)
        for _ in 0..<3 { await gate.enter(a, limit: 3) }
        await gate.enter(b, limit: 3)  // another host is not held up by the first
        let through = Passed()
        let waiters = (1...2).map { _ in
            Task {
                await gate.enter(a, limit: 3)
                through.count.withLock { $0 += 1 }
            }
        }
        while await gate.waiting(a) < 2 { await Task.yield() }
        #expect(through.count.withLock { $0 } == 0, "both wait while three are in")
        await gate.leave(a)
        while through.count.withLock({ $0 }) < 1 { await Task.yield() }
        #expect(await gate.waiting(a) == 1, "one freed place lets one in")
        await gate.leave(a)
        for waiter in waiters { await waiter.value }
        #expect(through.count.withLock { $0 } == 2)
        #expect(await gate.waiting(a) == 0)
    }
}

/// How many waiters got through the gate.
final class Passed: Sendable {
    let count = Mutex(0)
}
