import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import OutboundHTTP

/// Request building, sending and answer decoding shared by the calls.
extension WebexClient {
    /// A request to `{apiBase}/{path}`, with a bearer token when given.
    func makeRequest(
        method: String,
        path: String,
        query: [(String, String)] = [],
        accessToken: String? = nil
    ) throws -> URLRequest {
        var base = settings.apiBase.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        var string = base + "/" + path
        if !query.isEmpty { string += "?" + FormEncoding.encode(query) }
        guard let url = URL(string: string) else {
            throw WebexError.transport("cannot form a URL from the WebEx API base \(base)")
        }
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = method
        request.httpShouldHandleCookies = false
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let accessToken {
            request.setValue("Bearer \(accessToken)", forHTTPHeaderField: "Authorization")
        }
        return request
    }

    /// Posts a form to `{apiBase}/access_token`; WebEx takes no JSON there.
    func tokenRequest(_ form: [(String, String)]) async throws -> TokenAnswer {
        var request = try makeRequest(method: "POST", path: "access_token")
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(FormEncoding.encode(form).utf8)
        let (data, _) = try await send(request, isTokenRequest: true)
        let answer = try decode(TokenAnswer.self, from: data)
        try answer.check()
        return answer
    }

    /// Sends a request and turns every non-2xx answer into a `WebexError`.
    func send(_ request: URLRequest, isTokenRequest: Bool = false) async throws -> (Data, HTTPURLResponse) {
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.cancellableData(for: request, limit: Self.answerLimit)
        } catch let error as URLError {
            if error.code == .cancelled, Task.isCancelled { throw CancellationError() }
            throw WebexError.transport(Self.describe(error))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw WebexError.transport(error.localizedDescription)
        }
        guard let http = response as? HTTPURLResponse else {
            throw WebexError.badResponse("not an HTTP answer")
        }
        guard (200..<300).contains(http.statusCode) else {
            throw WebexErrorAnswer(status: http.statusCode, headers: http, body: data)
                .error(isTokenRequest: isTokenRequest)
        }
        return (data, http)
    }

    func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw WebexError.badResponse("cannot decode \(T.self): \(error)")
        }
    }

    /// The `rel="next"` page from a `Link` header, only on WebEx's own host so
    /// the access token is never sent elsewhere.
    func nextPage(_ response: HTTPURLResponse) -> URL? {
        guard let link = response.value(forHTTPHeaderField: "Link") else { return nil }
        for part in link.split(separator: ",") {
            let fields = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let target = fields.first, target.hasPrefix("<"), target.hasSuffix(">"),
                  fields.dropFirst().contains(where: { $0.replacingOccurrences(of: "\"", with: "") == "rel=next" }),
                  let url = URL(string: String(target.dropFirst().dropLast())),
                  url.scheme == settings.apiBase.scheme, url.host == settings.apiBase.host,
                  url.port == settings.apiBase.port
            else { continue }
            return url
        }
        return nil
    }

    /// `2026-11-25T12:00:00Z`: the form WebEx's list filters accept.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
    }

    /// The most of a WebEx answer read (a token, a meeting, a page of meetings or an
    /// error are kilobytes). A longer one fails as a lost answer would: a create
    /// call's meeting may exist, and is looked up by its tag before another is made.
    static let answerLimit = 4 << 20

    static func describe(_ error: URLError) -> String {
        switch error.code {
        case .timedOut: "timed out"
        case .cannotConnectToHost: "cannot connect"
        case .networkConnectionLost: "connection lost"
        case .cannotFindHost, .dnsLookupFailed: "host not found"
        default: error.localizedDescription
        }
    }
}

/// WebEx's answer at `/access_token`.
struct TokenAnswer: Decodable {
    var accessToken: String
    var expiresIn: Double
    var refreshToken: String?
    var refreshTokenExpiresIn: Double?
    var scope: String?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token"
        case expiresIn = "expires_in"
        case refreshToken = "refresh_token"
        case refreshTokenExpiresIn = "refresh_token_expires_in"
        case scope
    }

    /// The longest lifetime taken for a token: WebEx gives 14 days for an access token
    /// and 90 for a refresh token; anything beyond ten years is not a lifetime.
    static let longestLifetime: Double = 10 * 366 * 86_400

    /// Refuses lifetimes that are not a number of seconds a token can live (negative,
    /// zero for the access token, not finite, or beyond `longestLifetime`): a date made
    /// from one would be out of every range the node writes.
    func check() throws {
        guard expiresIn.isFinite, expiresIn > 0, expiresIn <= Self.longestLifetime else {
            throw WebexError.badResponse("WebEx answered a token with expires_in \(expiresIn), not a lifetime in seconds (1 to \(Int(Self.longestLifetime)))")
        }
        if let refresh = refreshTokenExpiresIn, !(refresh.isFinite && refresh >= 0 && refresh <= Self.longestLifetime) {
            throw WebexError.badResponse("WebEx answered a token with refresh_token_expires_in \(refresh), not a lifetime in seconds (0 to \(Int(Self.longestLifetime)))")
        }
        guard !accessToken.isEmpty, accessToken.utf8.count <= 8192 else {
            throw WebexError.badResponse("WebEx answered an access token of \(accessToken.utf8.count) bytes (1 to 8192 are taken)")
        }
        if let refreshToken, refreshToken.isEmpty || refreshToken.utf8.count > 8192 {
            throw WebexError.badResponse("WebEx answered a refresh token of \(refreshToken.utf8.count) bytes (1 to 8192 are taken)")
        }
    }

    func tokens(refreshToken: String, now: Date) -> WebexTokens {
        WebexTokens(
            accessToken: accessToken,
            expiresAt: now.addingTimeInterval(expiresIn),
            refreshToken: refreshToken,
            refreshExpiresAt: refreshTokenExpiresIn.map { now.addingTimeInterval($0) },
            scope: scope
        )
    }
}
