import Foundation

/// Everything the sandbox knows, in memory: clients, grants, meetings, the request log and faults.
///
/// One actor so that each request sees and changes a consistent state
/// (a code is used at most once, a meeting deleted at most once).
actor SandboxState {
    /// The person who consented; the sandbox has no accounts, only this.
    struct User: Sendable, Equatable {
        var email: String
        var displayName: String
    }

    struct AuthorizationCode {
        var clientID: String
        var redirectURI: String
        var scope: String
        var user: User
        var expiresAt: Date
        var used = false
    }

    struct Grant {
        var clientID: String
        var scope: String
        var user: User
        var expiresAt: Date
    }

    let configuration: SandboxConfiguration

    var codes: [String: AuthorizationCode] = [:]
    var accessTokens: [String: Grant] = [:]
    var refreshTokens: [String: Grant] = [:]
    /// Meetings in creation order.
    var meetings: [SandboxMeeting] = []
    var requests: [SandboxRequest] = []
    var faults: [SandboxFault] = []
    /// Times of each user's `POST /v1/meetings`, failed ones included, for the daily quota.
    var creationAttempts: [String: [Date]] = [:]

    init(configuration: SandboxConfiguration) {
        self.configuration = configuration
    }

    // MARK: - Inspection and control

    func record(_ request: SandboxRequest) {
        requests.append(request)
        // Bounded so a long demo cannot grow it without end.
        if requests.count > 10_000 { requests.removeFirst(requests.count - 10_000) }
    }

    func meeting(id: String) -> SandboxMeeting? {
        meetings.first { $0.id == id }
    }

    /// Forgets meetings, the request log, faults, quotas and pending codes.
    ///
    /// Issued tokens stay valid, so nodes connected to the sandbox stay connected.
    func reset() {
        meetings = []
        requests = []
        faults = []
        creationAttempts = [:]
        codes = [:]
    }

    /// Applies a control request of `POST /sandbox/faults`.
    func apply(expireAccessTokens: Bool, revokeRefreshTokens: Bool, fault: SandboxFault?, now: Date) {
        if expireAccessTokens {
            for token in accessTokens.keys { accessTokens[token]?.expiresAt = now.addingTimeInterval(-1) }
        }
        if revokeRefreshTokens {
            refreshTokens = [:]
        }
        if let fault {
            faults.append(fault)
        }
    }

    /// The fault to apply to this request, if any, counting it as used.
    func takeFault(for endpoint: String) -> SandboxFault? {
        guard let index = faults.firstIndex(where: { $0.endpoint == endpoint }) else { return nil }
        let fault = faults[index]
        faults[index].remaining -= 1
        if faults[index].remaining <= 0 { faults.remove(at: index) }
        return fault
    }

    // MARK: - Random identifiers

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    static func randomDigits(_ count: Int) -> String {
        var digits = String(Int.random(in: 1...9))
        for _ in 1..<count { digits += String(Int.random(in: 0...9)) }
        return digits
    }
}
