import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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
        return try decode(TokenAnswer.self, from: data)
    }

    /// Sends a request and turns every non-2xx answer into a `WebexError`.
    func send(_ request: URLRequest, isTokenRequest: Bool = false) async throws -> (Data, HTTPURLResponse) {
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.cancellableData(for: request)
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
