import Foundation

/// A failure the sandbox plays on a given endpoint, to test a node's retries.
struct SandboxFault: Sendable, Equatable {
    /// `"METHOD /path"` with `{meetingId}` for the meeting id, e.g. `POST /v1/meetings`.
    var endpoint: String
    /// Answer this status instead of serving the request.
    var status: Int?
    /// `Retry-After` seconds sent with `status`.
    var retryAfter: Int?
    /// Wait this long before serving (or failing) the request.
    var delayMilliseconds: Int?
    /// Serve the request, then wait this long before answering: the work is done at
    /// WebEx while the caller still waits (a lost answer, a killed caller).
    var answerDelayMilliseconds: Int? = nil
    /// How many more requests it applies to.
    var remaining: Int

    /// The key `takeFault` matches: method and route, meeting ids replaced.
    static func endpoint(method: String, path: String) -> String {
        var route = path
        if route.hasPrefix("/v1/meetings/") { route = "/v1/meetings/{meetingId}" }
        while route.count > 1, route.hasSuffix("/") { route.removeLast() }
        return method.uppercased() + " " + route
    }
}

/// The body of `POST /sandbox/faults`.
///
/// `{"expire_access_tokens": true}`, `{"revoke_refresh_tokens": true}`,
/// `{"endpoint": "POST /v1/meetings", "status": 429, "count": 2, "retry_after": 3}`,
/// `{"endpoint": "GET /v1/meetings", "delay_ms": 2000, "count": 1}`,
/// `{"endpoint": "POST /v1/meetings", "answer_delay_ms": 60000}`,
/// `{"endpoint": "PUT /v1/meetings/{meetingId}", "status": 503}` (any meeting id).
struct SandboxFaultRequest: Decodable {
    var expireAccessTokens: Bool?
    var revokeRefreshTokens: Bool?
    var endpoint: String?
    var status: Int?
    var count: Int?
    var retryAfter: Int?
    var delayMilliseconds: Int?
    var answerDelayMilliseconds: Int?

    enum CodingKeys: String, CodingKey {
        case expireAccessTokens = "expire_access_tokens"
        case revokeRefreshTokens = "revoke_refresh_tokens"
        case endpoint, status, count
        case retryAfter = "retry_after"
        case delayMilliseconds = "delay_ms"
        case answerDelayMilliseconds = "answer_delay_ms"
    }

    /// The endpoint fault it describes, or nil; throws when it is malformed.
    var fault: SandboxFault? {
        get throws(SandboxFailure) {
            guard let endpoint else {
                guard status == nil, delayMilliseconds == nil, answerDelayMilliseconds == nil else {
                    throw .invalid("A fault needs an endpoint such as \"POST /v1/meetings\".")
                }
                return nil
            }
            let parts = endpoint.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[1].hasPrefix("/") else {
                throw .invalid("endpoint must be \"METHOD /path\", e.g. \"POST /v1/meetings\".")
            }
            guard status != nil || delayMilliseconds != nil || answerDelayMilliseconds != nil else {
                throw .invalid("A fault needs a status, a delay_ms or an answer_delay_ms.")
            }
            if let status, !(400...599).contains(status) {
                throw .invalid("status must be between 400 and 599.")
            }
            if let delayMilliseconds, !(0...600_000).contains(delayMilliseconds) {
                throw .invalid("delay_ms must be between 0 and 600000.")
            }
            if let answerDelayMilliseconds, !(0...600_000).contains(answerDelayMilliseconds) {
                throw .invalid("answer_delay_ms must be between 0 and 600000.")
            }
            let count = count ?? 1
            guard count >= 1 else { throw .invalid("count must be at least 1.") }
            return SandboxFault(
                endpoint: SandboxFault.endpoint(method: String(parts[0]), path: String(parts[1])),
                status: status,
                retryAfter: retryAfter,
                delayMilliseconds: delayMilliseconds,
                answerDelayMilliseconds: answerDelayMilliseconds,
                remaining: count
            )
        }
    }
}
