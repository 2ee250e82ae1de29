import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OutboundHTTP

/// Stateless calls to WebEx's OAuth and meetings REST API.
///
/// It keeps no tokens: `WebexAccount` decides which access token to use and
/// when to refresh it, so this type stays easy to test against the sandbox.
/// Every failure is thrown as a `WebexError`, except cancellation, which is
/// thrown as `CancellationError`.
public struct WebexClient: Sendable {
    /// The OAuth scopes PenPals asks for: read and write the classroom's meetings.
    public static let scopes = ["meeting:schedules_read", "meeting:schedules_write"]

    public let settings: WebexSettings
    let timeout: TimeInterval
    let session: URLSession

    /// - Parameters:
    ///   - settings: where WebEx is and the integration's credentials.
    ///   - timeout: seconds a request may wait for WebEx before it fails with `.transport`.
    public init(settings: WebexSettings, timeout: TimeInterval = 30) {
        self.settings = settings
        self.timeout = timeout
        self.session = URLSessionPool.shared.session(timeout: timeout)
    }

    /// The consent page to send the teacher to.
    ///
    /// Space in the scope list is encoded as `%20` (not `+`), as WebEx documents it.
    public func authorizeURL(redirectURI: String, state: String) -> URL {
        let query = FormEncoding.encode([
            ("response_type", "code"),
            ("client_id", settings.clientID),
            ("redirect_uri", redirectURI),
            ("scope", Self.scopes.joined(separator: " ")),
            ("state", state),
        ])
        let base = settings.authorizeURL.absoluteString
        let separator = base.contains("?") ? "&" : "?"
        // Every part is percent-encoded, so the string always parses.
        return URL(string: base + separator + query) ?? settings.authorizeURL
    }

    /// Exchanges the code from the consent redirect for tokens.
    ///
    /// A refused code (used, expired, or for another redirect URI) throws `.invalidGrant`.
    public func exchangeCode(_ code: String, redirectURI: String) async throws -> WebexTokens {
        // Expiry counts from before the request, so it is never later than WebEx's.
        let requestedAt = Date()
        let answer = try await tokenRequest([
            ("grant_type", "authorization_code"),
            ("client_id", settings.clientID),
            ("client_secret", settings.clientSecret),
            ("code", code),
            ("redirect_uri", redirectURI),
        ])
        guard let refreshToken = answer.refreshToken else {
            throw WebexError.badResponse("the token answer has no refresh_token")
        }
        return answer.tokens(refreshToken: refreshToken, now: requestedAt)
    }

    /// Gets a new access token with the refresh token.
    ///
    /// A revoked or expired refresh token throws `.invalidGrant`: the classroom
    /// must connect again.
    public func refresh(refreshToken: String) async throws -> WebexTokens {
        let requestedAt = Date()
        let answer = try await tokenRequest([
            ("grant_type", "refresh_token"),
            ("client_id", settings.clientID),
            ("client_secret", settings.clientSecret),
            ("refresh_token", refreshToken),
        ])
        // WebEx answers with the refresh token again; keep ours if it ever does not.
        return answer.tokens(refreshToken: answer.refreshToken ?? refreshToken, now: requestedAt)
    }

    /// Schedules a meeting hosted by the token's user.
    public func createMeeting(_ meeting: NewWebexMeeting, accessToken: String) async throws -> WebexMeeting {
        try await send(meeting, method: "POST", path: "meetings", accessToken: accessToken)
    }

    /// `meeting` as the JSON body of `method path`, and the meeting WebEx answers.
    private func send(_ meeting: NewWebexMeeting, method: String, path: String, accessToken: String) async throws -> WebexMeeting {
        var request = try makeRequest(method: method, path: path, accessToken: accessToken)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        do {
            request.httpBody = try JSONEncoder().encode(meeting)
        } catch {
            throw WebexError.badResponse("cannot encode the meeting: \(error)")
        }
        let (data, _) = try await send(request)
        return try decode(WebexMeeting.self, from: data)
    }

    /// The token user's meetings carrying `integrationTag` that overlap `from..<to`.
    ///
    /// This is how a node finds a meeting it may already have created before a
    /// crash or timeout. Pages (WebEx's `Link: <…>; rel="next"`) are followed.
    public func meetings(integrationTag: String, from: Date, to: Date, accessToken: String) async throws -> [WebexMeeting] {
        var request = try makeRequest(
            method: "GET",
            path: "meetings",
            query: [
                ("integrationTag", integrationTag),
                ("from", Self.timestamp(from)),
                ("to", Self.timestamp(to)),
                ("max", "100"),
            ],
            accessToken: accessToken
        )
        var meetings: [WebexMeeting] = []
        // Bounded, so a server that always answers "next" cannot keep us here.
        for _ in 0..<50 {
            let (data, response) = try await send(request)
            meetings += try decode(MeetingList.self, from: data).items
            guard let next = nextPage(response) else { break }
            request.url = next
        }
        return meetings
    }

    /// One meeting by id; a meeting that does not exist (or was deleted) throws `.rejected(404, …)`.
    public func meeting(id: String, accessToken: String) async throws -> WebexMeeting {
        let request = try makeRequest(
            method: "GET",
            path: "meetings/" + FormEncoding.percentEncode(id),
            accessToken: accessToken
        )
        let (data, _) = try await send(request)
        return try decode(WebexMeeting.self, from: data)
    }

    /// Replaces a meeting's title, times, time zone and integration tag (`PUT /meetings/{id}`),
    /// answering the meeting as WebEx now holds it; its id and `webLink` stay.
    ///
    /// A PUT replaces: every field of `meeting` is sent, and a `timezone` left nil
    /// is not kept from before. The body is validated as for `createMeeting` (400
    /// throws `.rejected(400, …)`); a meeting that does not exist, was deleted, or
    /// is another user's throws `.rejected(404, …)`. Sending the same update again
    /// gives the same meeting, so a call that failed with `.transport` may be retried.
    public func updateMeeting(id: String, _ meeting: NewWebexMeeting, accessToken: String) async throws -> WebexMeeting {
        try await send(meeting, method: "PUT", path: "meetings/" + FormEncoding.percentEncode(id), accessToken: accessToken)
    }

    /// Deletes a meeting; WebEx answers 204.
    public func deleteMeeting(id: String, accessToken: String) async throws {
        let request = try makeRequest(
            method: "DELETE",
            path: "meetings/" + FormEncoding.percentEncode(id),
            accessToken: accessToken
        )
        _ = try await send(request)
    }
}

/// WebEx's answer to a list call.
struct MeetingList: Decodable {
    var items: [WebexMeeting]
}
