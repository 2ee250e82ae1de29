import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A non-2xx answer from WebEx, read into the `WebexError` the caller acts on.
///
/// WebEx's error body is `{"message", "errors": [{"description"}], "trackingId"}`;
/// OAuth errors may instead be `{"error", "error_description"}`, and WebEx
/// sometimes wraps `invalid_grant` inside its `message`. Both are understood.
struct WebexErrorAnswer {
    var status: Int
    var retryAfter: TimeInterval?
    var message: String
    var oauthError: String?

    init(status: Int, headers: HTTPURLResponse, body: Data, now: Date = Date()) {
        self.status = status
        self.retryAfter = headers.value(forHTTPHeaderField: "Retry-After").flatMap { Self.parseRetryAfter($0, now: now) }
        let decoded = try? JSONDecoder().decode(Body.self, from: body)
        self.oauthError = decoded?.error
        let base = decoded?.message ?? decoded?.errorDescription ?? decoded?.error
            ?? HTTPURLResponse.localizedString(forStatusCode: status)
        let details = (decoded?.errors ?? []).compactMap(\.description).filter { !$0.isEmpty && $0 != base }
        self.message = details.isEmpty ? base : base + ": " + details.joined(separator: "; ")
    }

    func error(isTokenRequest: Bool) -> WebexError {
        switch status {
        case 400 where isTokenRequest && (oauthError == "invalid_grant" || message.contains("invalid_grant")):
            .invalidGrant(message)
        case 401: .unauthorized(message)
        case 423, 429: .rateLimited(retryAfter: retryAfter, status: status, message: message)
        case 500...: .server(status: status, message: message)
        default: .rejected(status: status, message: message)
        }
    }

    /// `Retry-After` as seconds, or as an HTTP date.
    static func parseRetryAfter(_ value: String, now: Date) -> TimeInterval? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds >= 0, seconds.isFinite { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }

    private struct Body: Decodable {
        struct Item: Decodable { var description: String? }
        var message: String?
        var errors: [Item]?
        var trackingId: String?
        var error: String?
        var errorDescription: String?

        enum CodingKeys: String, CodingKey {
            case message, errors, trackingId, error
            case errorDescription = "error_description"
        }
    }
}
