import Foundation
@testable import PenPalsNode
import Testing

@Suite("GET lists in pages: ?limit, ?before, next (contract §7.1)")
struct ListPagesTests {
    @Test func pagesFollowNextToTheWholeListAndBadParametersAre400() async throws {
        try await TestNetwork.with(["a", "b"]) { network in
            try await network.start("a")
            try await network.start("b")
            for index in 0..<5 { _ = try await invite(network, from: "a", to: "b", title: "Call \(index)") }
            try await eventually("b lists all five") { try await invitations(network, "b").count == 5 }
            let whole = try await invitations(network, "b").compactMap { $0["id"] as? String }

            // Without limit: everything, as before, and no next.
            let plain = try await network.api("b", "GET", "/api/webex/invitations")
            #expect(plain.object["next"] == nil)

            var seen: [String] = []
            var query = "?limit=2"
            for expected in [2, 2, 1] {
                let answer = try await network.api("b", "GET", "/api/webex/invitations\(query)")
                #expect(answer.status == 200)
                let items = try #require(answer.object["invitations"] as? [[String: Any]])
                #expect(items.count == expected)
                seen += items.compactMap { $0["id"] as? String }
                if let next = answer.object["next"] as? String {
                    #expect(next == seen.last)
                    query = "?limit=2&before=\(next)"
                } else {
                    #expect(answer.object["next"] is NSNull, "next is null, not missing, on the last page")
                    #expect(expected == 1)
                }
            }
            #expect(seen == whole)

            for bad in ["?limit=0", "?limit=501", "?limit=two", "?limit=2&before=nope", "?before=\(UUID().uuidString)"] {
                let answer = try await network.api("b", "GET", "/api/webex/invitations\(bad)")
                #expect(answer.status == 400, "\(bad)")
                let code = (answer.object["error"] as? [String: Any])?["code"] as? String
                #expect(code == (bad.contains("limit=") && !bad.contains("before") ? "bad_limit" : "bad_before"), "\(bad)")
            }
            let meetings = try await network.api("b", "GET", "/api/meetings?limit=500")
            #expect(meetings.status == 200)
            #expect(meetings.object["next"] is NSNull)
            #expect(try await network.api("b", "GET", "/api/meetings?limit=501").status == 400)
        }
    }
}
