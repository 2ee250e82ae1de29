import Foundation
import PenPalsCore
@testable import PenPalsNode
import Testing
import WebexSandbox

/// Retries that take tenths of a second instead of seconds.
let quickRetries: @Sendable (inout NodeSettings) -> Void = { $0.webexBackoffBase = 0.01 }

extension TestNetwork {
    /// Starts `a` (connected to WebEx) and `b`, with quick WebEx retries unless told otherwise.
    func startPair(configure: @escaping @Sendable (inout NodeSettings) -> Void = quickRetries) async throws {
        try await start("a", configure: configure)
        try await start("b", configure: configure)
        try await connectWebex("a", email: "a-teacher@school-a.example")
    }

    /// Invites b, waits until b has it, accepts there; returns the id.
    func inviteAndAccept(title: String = "Seasons around the world") async throws -> String {
        let id = try await invite(self, from: "a", to: "b", title: title)
        try await eventually("b has the invitation") { try await status(of: id, at: "b", in: self) == "pending" }
        let accepted = try await api("b", "POST", "/api/webex/invitations/\(id)/accept")
        guard [200, 202].contains(accepted.status) else { throw TestFailure("accept: \(accepted.status) \(accepted.text)") }
        return id
    }

    func invitation(_ id: String, at name: String) async throws -> [String: Any]? {
        try await invitations(self, name, query: "?box=all&status=all").first { $0["id"] as? String == id }
    }
}

func creates(_ log: [SandboxRequest]) -> [SandboxRequest] {
    log.filter { $0.method == "POST" && $0.path == "/v1/meetings" }
}

func refreshes(_ log: [SandboxRequest]) -> [SandboxRequest] {
    log.filter { $0.method == "POST" && $0.path == "/v1/access_token" && $0.formValue("grant_type") == "refresh_token" }
}

/// Both nodes show `id` scheduled with the one meeting the sandbox holds for it, and
/// everything the node sent to `/v1/meetings` conforms to WebEx's OpenAPI spec.
func expectExactlyOneMeeting(_ network: TestNetwork, for id: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    try await eventually("both nodes show the invitation scheduled", timeout: .seconds(15)) {
        let atA = try await status(of: id, at: "a", in: network)
            let atB = try await status(of: id, at: "b", in: network)
            return atA == "scheduled" && atB == "scheduled"
    }
    let made = await network.sandbox.meetings().filter { $0.integrationTags.contains("penpals-\(id)") }
    #expect(made.count == 1, "exactly one WebEx meeting", sourceLocation: sourceLocation)
    for name in ["a", "b"] {
        let invitation = try await network.invitation(id, at: name)
        #expect(invitation?["web_link"] as? String == made.first?.webLink, "\(name) has the link", sourceLocation: sourceLocation)
        #expect(invitation?["problem"] is NSNull, "\(name) shows no problem", sourceLocation: sourceLocation)
    }
    try expectConformingRequests(await network.sandbox.requestLog(), sourceLocation: sourceLocation)
}

func expectConformingRequests(_ log: [SandboxRequest], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let violations = try WebexSpec.violations(in: log)
    #expect(violations.isEmpty, "requests against the WebEx OpenAPI spec: \(violations)", sourceLocation: sourceLocation)
}

@Suite("WebEx failures between two real nodes and the sandbox")
struct WebexFailureTests {
    @Test(arguments: [429, 423])
    func rateLimitHonoursRetryAfterThenCreatesOneMeeting(status: Int) async throws {
        try await TestNetwork.with(["a", "b"], acceptWait: .seconds(1)) { network in
            try await network.startPair()
            try await network.fault(["endpoint": "POST /v1/meetings", "status": status, "count": 1, "retry_after": 2])
            let id = try await network.inviteAndAccept()
            try await expectExactlyOneMeeting(network, for: id)
            let posts = creates(await network.sandbox.requestLog())
            #expect(posts.map(\.status) == [status, 200])
            if posts.count == 2 {
                let waited = posts[1].time.timeIntervalSince(posts[0].time)
                #expect(waited >= 2.0, "Retry-After: 2 honoured (waited \(waited) s)")
            }
        }
    }

    @Test func serviceUnavailableTwiceThenOneMeeting() async throws {
        try await TestNetwork.with(["a", "b"], acceptWait: .seconds(1)) { network in
            try await network.startPair()
            try await network.fault(["endpoint": "POST /v1/meetings", "status": 503, "count": 2])
            let id = try await network.inviteAndAccept()
            try await expectExactlyOneMeeting(network, for: id)
            #expect(creates(await network.sandbox.requestLog()).map(\.status) == [503, 503, 200])
        }
    }

    @Test func serverErrorsUntilGivingUpFailBothNodesThenTheSenderRetries() async throws {
        try await TestNetwork.with(["a", "b"], acceptWait: .seconds(1)) { network in
            try await network.startPair()
            let attempts = network.node("a").settings.webexMaxAttempts
            try await network.fault(["endpoint": "POST /v1/meetings", "status": 500, "count": attempts])
            let id = try await network.inviteAndAccept()
            try await eventually("both nodes show the invitation failed", timeout: .seconds(15)) {
                let atA = try await status(of: id, at: "a", in: network)
            let atB = try await status(of: id, at: "b", in: network)
            return atA == "failed" && atB == "failed"
            }
            #expect(creates(await network.sandbox.requestLog()).count == attempts)
            #expect(await network.sandbox.meetings().isEmpty)
            for name in ["a", "b"] {
                let problem = try await network.invitation(id, at: name)?["problem"] as? [String: Any]
                #expect(problem?["code"] as? String == "webex_unavailable", "\(name)")
                #expect(problem?["retrying"] as? Bool == false)
                #expect((problem?["message"] as? String)?.contains("try again") == true, "\(String(describing: problem))")
            }

            let byReceiver = try await network.api("b", "POST", "/api/webex/invitations/\(id)/retry")
            #expect(byReceiver.status == 403)
            #expect(byReceiver.errorCode == "not_sender")
            let retried = try await network.api("a", "POST", "/api/webex/invitations/\(id)/retry")
            #expect(retried.status == 200, "\(retried.text)")
            #expect((retried.object["invitation"] as? [String: Any])?["status"] as? String == "accepted")
            try await expectExactlyOneMeeting(network, for: id)
            let again = try await network.api("a", "POST", "/api/webex/invitations/\(id)/retry")
            #expect(again.status == 409)
            #expect(again.errorCode == "wrong_state")
        }
    }

    @Test func retryRightAfterATimeoutFailureAdoptsTheMeetingOfTheLateCall() async throws {
        try await TestNetwork.with(["a", "b"], acceptWait: .milliseconds(200)) { network in
            try await network.startPair { settings in
                settings.webexBackoffBase = 0.01
                settings.webexTimeout = 2
                settings.webexMaxAttempts = 1
            }
            // The one attempt times out after 2 s; WebEx makes the meeting 3 s after the node
            // gave up, 1 s before the node's doubt settles (twice the timeout after the failure).
            // The sender retries as soon as it shows the failure.
            try await network.fault(["endpoint": "POST /v1/meetings", "delay_ms": 5000, "count": 1])
            let id = try await network.inviteAndAccept()
            try await eventually("the sender shows the invitation failed") {
                try await status(of: id, at: "a", in: network) == "failed"
            }
            let failedAt = Date()
            #expect(await network.sandbox.meetings().isEmpty, "the late call has not finished yet")
            let retried = try await network.api("a", "POST", "/api/webex/invitations/\(id)/retry")
            #expect(retried.status == 200, "\(retried.text)")
            // The sandbox logs a request when it has answered it.
            try await eventually("the late call has finished at WebEx") {
                creates(await network.sandbox.requestLog()).contains { $0.time < failedAt }
            }
            try await expectExactlyOneMeeting(network, for: id)
            #expect(creates(await network.sandbox.requestLog()).count == 1, "the retry adopted the late call's meeting")
        }
    }

    @Test func receiverHearsThatTheSenderTriesAgain() async throws {
        try await TestNetwork.with(["a", "b"], acceptWait: .seconds(1)) { network in
            try await network.startPair()
            // WebEx refuses outright (a 400 is not retried): failed on both nodes at once.
            try await network.fault(["endpoint": "POST /v1/meetings", "status": 400, "count": 1])
            let id = try await network.inviteAndAccept()
            try await eventually("b shows failed") { try await status(of: id, at: "b", in: network) == "failed" }
            // b must not see the meeting before it heard of the retry: hold the create a little.
            try await network.fault(["endpoint": "POST /v1/meetings", "delay_ms": 3000, "count": 1])
            #expect(try await network.api("a", "POST", "/api/webex/invitations/\(id)/retry").status == 200)
            try await eventually("b hears of the retry") {
                let invitation = try await network.invitation(id, at: "b")
                let problem = invitation?["problem"] as? [String: Any]
                return invitation?["status"] as? String == "accepted" && problem?["code"] as? String == "retrying"
                    && problem?["retrying"] as? Bool == true
                    && (problem?["message"] as? String)?.contains("Class A is trying again") == true
            }
            try await expectExactlyOneMeeting(network, for: id)
        }
    }

    @Test func expiredAccessTokenIsRefreshedOnceBeforeTheCreate() async throws {
        try await TestNetwork.with(["a", "b"], acceptWait: .seconds(1)) { network in
            try await network.startPair()
            try await network.fault(["expire_access_tokens": true])
            let id = try await network.inviteAndAccept()
            try await expectExactlyOneMeeting(network, for: id)
            let log = await network.sandbox.requestLog()
            #expect(refreshes(log).count == 1)
            #expect(creates(log).map(\.status) == [401, 200], "one 401, one refresh, one retry")
            let made = try #require(await network.sandbox.meetings().first)
            let tokens = try #require(try await network.node("a").webex?.tokens.loadTokens())
            #expect(made.createdWithToken == tokens.accessToken, "created with the refreshed, stored token")
        }
    }

    @Test func tenConcurrentAcceptancesOnAnExpiredTokenShareOneRefresh() async throws {
        try await TestNetwork.with(["a", "b"], acceptWait: .seconds(1)) { network in
            try await network.startPair()
            var ids: [String] = []
            for index in 0..<10 { ids.append(try await invite(network, from: "a", to: "b", title: "Call \(index)")) }
            try await eventually("b has all ten") { try await invitations(network, "b").count == 10 }
            try await network.fault(["expire_access_tokens": true])
            try await withThrowingTaskGroup(of: Int.self) { group in
                for id in ids {
                    group.addTask { try await network.api("b", "POST", "/api/webex/invitations/\(id)/accept").status }
                }
                for try await status in group { #expect([200, 202].contains(status)) }
            }
            for id in ids { try await expectExactlyOneMeeting(network, for: id) }
            let log = await network.sandbox.requestLog()
            #expect(refreshes(log).count == 1, "exactly one refresh for ten creations")
            #expect(await network.sandbox.meetings().count == 10)
            #expect(creates(log).filter { $0.status == 200 }.count == 10)
        }
    }

    @Test func revokedRefreshTokenWaitsForReconnectThenCreates() async throws {
        try await TestNetwork.with(["a", "b"], acceptWait: .seconds(1)) { network in
            try await network.startPair()
            try await network.fault(["expire_access_tokens": true, "revoke_refresh_tokens": true])
            let id = try await network.inviteAndAccept()
            try await eventually("a's status asks to reconnect") {
                let webex = try await network.api("a", "GET", "/api/status").object["webex"] as? [String: Any]
                return webex?["problem"] as? String == "reconnect" && webex?["connected"] as? Bool == false
            }
            try await eventually("b sees that a must reconnect") {
                let problem = try await network.invitation(id, at: "b")?["problem"] as? [String: Any]
                return (problem?["message"] as? String)?.hasPrefix("Waiting for Class A to reconnect WebEx") == true
                    && problem?["retrying"] as? Bool == true
            }
            #expect(try await status(of: id, at: "a", in: network) == "accepted")
            #expect(try await status(of: id, at: "b", in: network) == "accepted")
            #expect(await network.sandbox.meetings().isEmpty)

            try await network.connectWebex("a", email: "a-teacher@school-a.example")
            try await expectExactlyOneMeeting(network, for: id)
            let webex = try await network.api("a", "GET", "/api/status").object["webex"] as? [String: Any]
            #expect(webex?["problem"] is NSNull)
            #expect(webex?["connected"] as? Bool == true)
        }
    }

    @Test func lostAnswerIsAdoptedByLookupNotCreatedTwice() async throws {
        try await TestNetwork.with(["a", "b"], acceptWait: .seconds(1)) { network in
            try await network.startPair { settings in
                settings.webexBackoffBase = 0.01
                // Also the connect's token exchange: 1 s timed out once on a loaded machine.
                settings.webexTimeout = 2
            }
            // WebEx makes the meeting, but only after the node stopped waiting for the answer.
            try await network.fault(["endpoint": "POST /v1/meetings", "delay_ms": 3000, "count": 1])
            let id = try await network.inviteAndAccept()
            try await expectExactlyOneMeeting(network, for: id)
            let log = await network.sandbox.requestLog()
            #expect(log.contains { $0.method == "GET" && $0.path == "/v1/meetings" && $0.queryValue("integrationTag") == "penpals-\(id)" },
                    "looked up by integrationTag")
            #expect(creates(log).count == 1, "the lookup adopted the meeting of the lost answer")
        }
    }

    @Test func dailyQuotaFailsWithAMessageTheTeacherCanActOn() async throws {
        try await TestNetwork.with(["a", "b"], acceptWait: .seconds(1)) { network in
            try await network.startPair()
            // WebEx's answer to the 101st meeting in 24 h: 429 with a Retry-After of hours.
            try await network.fault(["endpoint": "POST /v1/meetings", "status": 429, "count": 1, "retry_after": 20 * 3600])
            let id = try await network.inviteAndAccept()
            try await eventually("both nodes show failed") {
                let atA = try await status(of: id, at: "a", in: network)
            let atB = try await status(of: id, at: "b", in: network)
            return atA == "failed" && atB == "failed"
            }
            for name in ["a", "b"] {
                let problem = try await network.invitation(id, at: name)?["problem"] as? [String: Any]
                #expect(problem?["code"] as? String == "webex_quota")
                #expect((problem?["message"] as? String)?.hasPrefix("Class A's WebEx account reached its limit of 100 meetings a day; try again tomorrow") == true,
                        "\(name): \(String(describing: problem))")
            }
            #expect(try await network.api("a", "POST", "/api/webex/invitations/\(id)/retry").status == 200)
            try await expectExactlyOneMeeting(network, for: id)
        }
    }

    @Test func theSandboxsOwnDailyQuotaAnswerFailsTheJobClearly() async throws {
        // A sandbox that allows one meeting a day: the second creation gets WebEx's quota answer.
        try await TestNetwork.with(["a", "b"], acceptWait: .seconds(1), meetingsPerDay: 1) { network in
            try await network.startPair()
            let first = try await network.inviteAndAccept(title: "First")
            try await expectExactlyOneMeeting(network, for: first)
            let second = try await network.inviteAndAccept(title: "Second")
            try await eventually("both nodes show the second failed") {
                let atA = try await status(of: second, at: "a", in: network)
            let atB = try await status(of: second, at: "b", in: network)
            return atA == "failed" && atB == "failed"
            }
            let refused = try #require(creates(await network.sandbox.requestLog()).last)
            #expect(refused.status == 429)
            let problem = try await network.invitation(second, at: "b")?["problem"] as? [String: Any]
            #expect((problem?["message"] as? String)?.hasPrefix("Class A's WebEx account reached its limit of 100 meetings a day; try again tomorrow") == true,
                    "\(String(describing: problem))")
            #expect(await network.sandbox.meetings().count == 1)
        }
    }

    @Test func meetingAcrossADaylightSavingChangeCarriesOffsetsOfItsZone() async throws {
        try await TestNetwork.with(["a", "b"], acceptWait: .seconds(5)) { network in
            try await network.startPair()
            // a is in America/Chicago: clocks jump from 02:00 CST to 03:00 CDT on 14 March 2027 (08:00 UTC).
            let answer = try await network.api("a", "POST", "/api/webex/meeting", json: [
                "classroom_id": network.member("b").key.id.rawValue, "title": "Spring forward",
                "start_time": "2027-03-14T07:30:00Z", "end_time": "2027-03-14T08:30:00Z",
            ])
            let id = try #require((answer.object["invitation"] as? [String: Any])?["id"] as? String, "\(answer.text)")
            try await eventually("b has it") { try await status(of: id, at: "b", in: network) == "pending" }
            _ = try await network.api("b", "POST", "/api/webex/invitations/\(id)/accept")
            try await expectExactlyOneMeeting(network, for: id)
            let post = try #require(creates(await network.sandbox.requestLog()).first)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(post.body.utf8)) as? [String: Any])
            #expect(body["start"] as? String == "2027-03-14T01:30:00-06:00")
            #expect(body["end"] as? String == "2027-03-14T03:30:00-05:00")
            #expect(body["timezone"] as? String == "America/Chicago")
            try expectOffsetsAgree(start: body["start"] as? String, end: body["end"] as? String, zone: body["timezone"] as? String)
        }
    }
}

/// Each time's offset is the one its zone has at that instant.
func expectOffsetsAgree(start: String?, end: String?, zone: String?, sourceLocation: SourceLocation = #_sourceLocation) throws {
    guard let zone else { return }
    let timeZone = try #require(TimeZone(identifier: zone), sourceLocation: sourceLocation)
    for text in [start, end] {
        let text = try #require(text, sourceLocation: sourceLocation)
        let date = try #require(Timestamp.parse(text), sourceLocation: sourceLocation)
        let seconds = timeZone.secondsFromGMT(for: date)
        let sign = seconds < 0 ? "-" : "+"
        let offset = String(format: "%@%02d:%02d", sign, abs(seconds) / 3600, abs(seconds) % 3600 / 60)
        #expect(text.hasSuffix(offset), "\(text) in \(zone)", sourceLocation: sourceLocation)
    }
}
