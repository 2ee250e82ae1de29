import Foundation
import Testing
import Webex

/// More requests to one host than the session has connections for: the rest wait
/// in the client, with no timeout running, instead of in libcurl's queue, where
/// their timeout runs before they are even sent.
@Suite("Requests beyond a session's connections per host")
struct HostGateTests {
    @Test func requestsBeyondTheConnectionLimitWaitWithoutTheirTimeoutRunning() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            // Every listing answers after 2 s; twelve at once over six connections take two rounds,
            // and a request queued behind a round would reach 4 s, past the client's 3 s timeout.
            // (FoundationNetworking counts a timeout in whole seconds.)
            try await server.fault(#"{"endpoint": "GET /v1/meetings", "delay_ms": 2000, "count": 12}"#)
            let client = server.client(timeout: 3)
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
            #expect(ContinuousClock.now - start >= .seconds(4), "at most six at a time: two rounds")
        }
    }
}
