import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// URLSessions shared by every client of the process, one per set of limits.
///
/// Sessions are never invalidated or released: on Linux, FoundationNetworking's
/// session teardown (`_MultiHandle.deinit` running `curl_multi_cleanup` beside
/// other sessions' work) is a known source of crashes, and a process that starts
/// and stops nodes — a test run, the benchmark — would otherwise tear down one
/// session per node. On Linux only the session's configuration enforces a
/// timeout (a request's own `timeoutInterval` is not), so sessions are kept per
/// timeout. Ephemeral, without cookies or cache; bodies are read through
/// `BoundedBodies`, at most the limit each request gives (`cancellableData`).
public final class URLSessionPool: @unchecked Sendable {
    public static let shared = URLSessionPool()

    /// What tells two sessions apart.
    public struct Limits: Hashable, Sendable {
        public var requestTimeout: TimeInterval
        public var resourceTimeout: TimeInterval
        public var connectionsPerHost: Int

        public init(requestTimeout: TimeInterval, resourceTimeout: TimeInterval, connectionsPerHost: Int = 6) {
            self.requestTimeout = requestTimeout
            self.resourceTimeout = resourceTimeout
            self.connectionsPerHost = connectionsPerHost
        }
    }

    private let lock = NSLock()
    private var sessions: [Limits: URLSession] = [:]

    /// The session whose requests and whole transfers time out after `timeout`.
    public func session(timeout: TimeInterval) -> URLSession {
        session(Limits(requestTimeout: timeout, resourceTimeout: timeout))
    }

    public func session(_ limits: Limits) -> URLSession {
        lock.lock()
        defer { lock.unlock() }
        if let session = sessions[limits] { return session }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = limits.requestTimeout
        configuration.timeoutIntervalForResource = limits.resourceTimeout
        configuration.httpMaximumConnectionsPerHost = limits.connectionsPerHost
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        let session = URLSession(configuration: configuration, delegate: BoundedBodies(), delegateQueue: nil)
        sessions[limits] = session
        return session
    }
}
