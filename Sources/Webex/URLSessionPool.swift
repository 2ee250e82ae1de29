import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One URLSession per timeout, shared by every `WebexClient`.
///
/// Sessions are never invalidated, so one per client would leak one per
/// `WebexClient` made; and on Linux only the session's configuration enforces
/// a timeout (a request's own `timeoutInterval` is not), so sessions are kept
/// per timeout value. Ephemeral, without cookies or cache.
final class URLSessionPool: @unchecked Sendable {
    static let shared = URLSessionPool()

    private let lock = NSLock()
    private var sessions: [TimeInterval: URLSession] = [:]

    func session(timeout: TimeInterval) -> URLSession {
        lock.lock()
        defer { lock.unlock() }
        if let session = sessions[timeout] { return session }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        let session = URLSession(configuration: configuration)
        sessions[timeout] = session
        return session
    }
}
