import Foundation

/// What can go wrong talking to WebEx, sorted by what the caller should do.
///
/// The cases follow the decisions a node takes: reconnect (`notConnected`,
/// `invalidGrant`), refresh and retry once (`unauthorized`), wait
/// (`rateLimited`), back off and retry (`server`, `transport`), or give up
/// and tell the teacher (`rejected`, `badResponse`).
public enum WebexError: Error, Equatable, Sendable {
    /// No tokens are stored: the classroom has not connected WebEx.
    case notConnected
    /// The code or refresh token was refused: the classroom must connect again.
    case invalidGrant(String)
    /// 401: missing, expired or revoked access token.
    case unauthorized(String)
    /// 429 or 423; `retryAfter` from the `Retry-After` header, in seconds.
    case rateLimited(retryAfter: TimeInterval?, status: Int, message: String)
    /// 5xx.
    case server(status: Int, message: String)
    /// Any other 4xx, with WebEx's `message` and error descriptions.
    case rejected(status: Int, message: String)
    /// No answer: connection refused, reset or timed out.
    case transport(String)
    /// An answer that could not be understood.
    case badResponse(String)
}

extension WebexError {
    /// Whether trying the same call again later may succeed.
    public var isRetryable: Bool {
        switch self {
        case .rateLimited, .server, .transport: true
        case .notConnected, .invalidGrant, .unauthorized, .rejected, .badResponse: false
        }
    }
}

extension WebexError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .notConnected: "WebEx is not connected"
        case .invalidGrant(let message): "WebEx refused the authorization, connect again: \(message)"
        case .unauthorized(let message): "WebEx refused the access token: \(message)"
        case .rateLimited(let retryAfter, let status, let message):
            "WebEx asks to slow down (\(status)\(retryAfter.map { ", retry after \(Int($0)) s" } ?? "")): \(message)"
        case .server(let status, let message): "WebEx failed (\(status)): \(message)"
        case .rejected(let status, let message): "WebEx rejected the request (\(status)): \(message)"
        case .transport(let message): "WebEx could not be reached: \(message)"
        case .badResponse(let message): "WebEx answered something unexpected: \(message)"
        }
    }
}
