import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension URLSession {
    /// `data(for:)` that is safe to cancel.
    ///
    /// On Linux, cancelling a task suspended in FoundationNetworking's async
    /// `data(for:)` can deadlock: the runtime holds the task's status lock while
    /// `URLSessionTask.cancel()` waits synchronously for the session's queue,
    /// which may itself be waiting for that lock (seen when a node shut down with
    /// a request to a peer in flight). Here the request runs on the completion
    /// handler API and a cancellation is passed on asynchronously, so no lock is
    /// held while the session is waited for.
    ///
    /// At most `httpMaximumConnectionsPerHost` requests of this session to one host
    /// are handed to libcurl at a time; the others wait here. libcurl queues a request
    /// beyond that limit with its timeout already running, and a queued request was
    /// seen to time out (10 s) while the others to the same host were answered in
    /// milliseconds; waiting here, nothing times out before it is sent.
    public func cancellableData(for request: URLRequest) async throws -> (Data, URLResponse) {
        let gate = HostGate.Key(session: ObjectIdentifier(self), scheme: request.url?.scheme, host: request.url?.host,
                                port: request.url?.port)
        await HostGate.shared.enter(gate, limit: max(1, configuration.httpMaximumConnectionsPerHost))
        do {
            let answer = try await sendData(for: request)
            await HostGate.shared.leave(gate)
            return answer
        } catch {
            await HostGate.shared.leave(gate)
            throw error
        }
    }

    private func sendData(for request: URLRequest) async throws -> (Data, URLResponse) {
        try Task.checkCancellation()
        let box = TaskBox()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Data, URLResponse), any Error>) in
                let task = dataTask(with: request) { data, response, error in
                    if let data, let response {
                        continuation.resume(returning: (data, response))
                    } else {
                        continuation.resume(throwing: error ?? URLError(.badServerResponse))
                    }
                }
                box.set(task)
                task.resume()
            }
        } onCancel: {
            DispatchQueue.global().async { box.cancel() }
        }
    }
}

/// The data task of one request, which a cancellation may arrive before or after.
private final class TaskBox: @unchecked Sendable {
    private let lock = NSLock()
    private var task: URLSessionDataTask?
    private var cancelled = false

    func set(_ task: URLSessionDataTask) {
        let cancelNow = lock.withLock { () -> Bool in
            self.task = task
            return cancelled
        }
        if cancelNow { task.cancel() }
    }

    func cancel() {
        let task = lock.withLock { () -> URLSessionDataTask? in
            cancelled = true
            return self.task
        }
        task?.cancel()
    }
}

/// The requests in flight per session and host (see `cancellableData`).
actor HostGate {
    static let shared = HostGate()

    /// One session's requests to one host.
    struct Key: Hashable, Sendable {
        var session: ObjectIdentifier
        var scheme: String?
        var host: String?
        var port: Int?
    }

    private var inFlight: [Key: Int] = [:]
    private var waiting: [Key: [CheckedContinuation<Void, Never>]] = [:]

    /// Waits until fewer than `limit` requests to `key` are in flight, then counts this one.
    func enter(_ key: Key, limit: Int) async {
        if inFlight[key, default: 0] < limit {
            inFlight[key, default: 0] += 1
            return
        }
        // The slot is handed over by `leave`, which keeps the count.
        await withCheckedContinuation { waiting[key, default: []].append($0) }
    }

    /// How many wait for a place at `key` (for the tests).
    func waiting(_ key: Key) -> Int {
        waiting[key]?.count ?? 0
    }

    func leave(_ key: Key) {
        if var queue = waiting[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[key] = queue.isEmpty ? nil : queue
            next.resume()
            return
        }
        let count = inFlight[key, default: 1] - 1
        inFlight[key] = count > 0 ? count : nil
    }
}
