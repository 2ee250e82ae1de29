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
    /// A `Retry-After` header that is neither seconds nor an HTTP date within
    /// `longestRetryAfter`: the answer is refused rather than believed.
    var badRetryAfter: String?
    var message: String
    var oauthError: String?

    init(status: Int, headers: HTTPURLResponse, body: Data, now: Date = Date()) {
        self.status = status
        if let header = headers.value(forHTTPHeaderField: "Retry-After") {
            retryAfter = Self.parseRetryAfter(header, now: now)
            if retryAfter == nil { badRetryAfter = String(header.prefix(64)) }
        }
        let decoded = try? JSONDecoder().decode(Body.self, from: body)
        self.oauthError = decoded?.error
        let base = decoded?.message ?? decoded?.errorDescription ?? decoded?.error
            ?? HTTPURLResponse.localizedString(forStatusCode: status)
        let details = (decoded?.errors ?? []).compactMap(\.description).filter { !$0.isEmpty && $0 != base }
        self.message = details.isEmpty ? base : base + ": " + details.joined(separator: "; ")
    }

    func error(isTokenRequest: Bool) -> WebexError {
        if let badRetryAfter, status == 423 || status == 429 {
            return .badResponse("WebEx answered \(status) with Retry-After \"\(badRetryAfter)\", not a wait of 0 to \(Int(Self.longestRetryAfter)) seconds or an HTTP date")
        }
        return switch status {
        case 400 where isTokenRequest && (oauthError == "invalid_grant" || message.contains("invalid_grant")):
            .invalidGrant(message)
        case 401: .unauthorized(message)
        case 423, 429: .rateLimited(retryAfter: retryAfter, status: status, message: message)
        case 500...: .server(status: status, message: message)
        default: .rejected(status: status, message: message)
        }
    }

    /// The longest wait a `Retry-After` may ask for: 30 days. WebEx's longest, its
    /// daily quota, is under a day.
    static let longestRetryAfter: TimeInterval = 30 * 86_400

    /// `Retry-After` as seconds, or as an HTTP date; nil for anything else, and for a
    /// wait longer than `longestRetryAfter`.
    static func parseRetryAfter(_ value: String, now: Date) -> TimeInterval? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard trimmed.utf8.count <= 64 else { return nil }
        if let seconds = Double(trimmed) {
            return seconds.isFinite && seconds >= 0 && seconds <= longestRetryAfter ? seconds : nil
        }
        // An HTTP date is printable ASCII. Foundation's DateFormatter traps on some
        // other text (a combining mark after a digit: found by Tests/Fuzz/WebexError).
        guard trimmed.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        let wait = max(0, date.timeIntervalSince(now))
        return wait <= longestRetryAfter ? wait : nil
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
