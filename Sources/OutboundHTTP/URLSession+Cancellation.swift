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
    /// delegate API and a cancellation is passed on asynchronously, so no lock is
    /// held while the session is waited for.
    ///
    /// At most `httpMaximumConnectionsPerHost` requests of this session to one host
    /// are handed to libcurl at a time; the others wait here. libcurl queues a request
    /// beyond that limit with its timeout already running, and a queued request was
    /// seen to time out (10 s) while the others to the same host were answered in
    /// milliseconds; waiting here, nothing times out before it is sent.
    ///
    /// At most `limit` bytes of the answer's body are read (after libcurl has undone
    /// any gzip, so it bounds what the answer takes in memory): a `Content-Length`
    /// above it ends the request before the body, and a body that grows past it (an
    /// endless stream, a 200 MiB answer) is cancelled there, with `BodyTooLarge`.
    /// The session must come from `URLSessionPool`, whose sessions read bodies
    /// through `BoundedBodies`.
    public func cancellableData(for request: URLRequest, limit: Int) async throws -> (Data, URLResponse) {
        let gate = HostGate.Key(session: ObjectIdentifier(self), scheme: request.url?.scheme, host: request.url?.host,
                                port: request.url?.port)
        await HostGate.shared.enter(gate, limit: max(1, configuration.httpMaximumConnectionsPerHost))
        do {
            let answer = try await sendData(for: request, limit: limit)
            await HostGate.shared.leave(gate)
            return answer
        } catch {
            await HostGate.shared.leave(gate)
            throw error
        }
    }

    private func sendData(for request: URLRequest, limit: Int) async throws -> (Data, URLResponse) {
        try Task.checkCancellation()
        guard let bodies = delegate as? BoundedBodies else {
            throw URLError(.unsupportedURL, userInfo: [NSLocalizedDescriptionKey: "a session without URLSessionPool's delegate"])
        }
        let box = TaskBox()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Data, URLResponse), any Error>) in
                let task = dataTask(with: request)
                bodies.expect(task, limit: limit, continuation: continuation)
                box.set(task)
                task.resume()
            }
        } onCancel: {
            DispatchQueue.global().async { box.cancel() }
        }
    }
}

/// An answer whose body was longer than the reader takes.
public struct BodyTooLarge: Error, CustomStringConvertible, LocalizedError {
    public var limit: Int
    public var description: String { "the answer's body is longer than \(limit) bytes" }
    public var errorDescription: String? { description }
}

/// The delegate of every pooled session: collects each task's body, at most its
/// limit, and hands it (or the failure) to the request that waits for it.
final class BoundedBodies: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private final class Transfer {
        let limit: Int
        let continuation: CheckedContinuation<(Data, URLResponse), any Error>
        var body = Data()
        var response: URLResponse?
        var tooLarge = false

        init(limit: Int, continuation: CheckedContinuation<(Data, URLResponse), any Error>) {
            self.limit = limit
            self.continuation = continuation
        }
    }

    private let lock = NSLock()
    private var transfers: [Int: Transfer] = [:]

    /// Registers `task` before it is resumed, so no callback finds it missing.
    func expect(_ task: URLSessionTask, limit: Int, continuation: CheckedContinuation<(Data, URLResponse), any Error>) {
        lock.withLock { transfers[task.taskIdentifier] = Transfer(limit: limit, continuation: continuation) }
    }

    private func transfer(_ task: URLSessionTask) -> Transfer? {
        lock.withLock { transfers[task.taskIdentifier] }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let transfer = transfer(dataTask) else { return completionHandler(.cancel) }
        let declared = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Length").flatMap { Int($0) }
        // A declared length counts only without content coding: gzip'ed bytes grow when undone.
        let coded = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Encoding") != nil
        let tooLarge = lock.withLock { () -> Bool in
            transfer.response = response
            if let declared, !coded, declared > transfer.limit { transfer.tooLarge = true }
            return transfer.tooLarge
        }
        // FoundationNetworking ignores the disposition given here, so the task is cancelled itself.
        completionHandler(tooLarge ? .cancel : .allow)
        if tooLarge { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let transfer = transfer(dataTask) else { return }
        let over = lock.withLock { () -> Bool in
            guard !transfer.tooLarge else { return false }
            if transfer.body.count + data.count > transfer.limit {
                transfer.tooLarge = true
                transfer.body = Data()
                return true
            }
            transfer.body.append(data)
            return false
        }
        if over { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let transfer = lock.withLock({ transfers.removeValue(forKey: task.taskIdentifier) }) else { return }
        if transfer.tooLarge {
            transfer.continuation.resume(throwing: BodyTooLarge(limit: transfer.limit))
        } else if let error {
            transfer.continuation.resume(throwing: error)
        } else if let response = transfer.response ?? task.response {
            transfer.continuation.resume(returning: (transfer.body, response))
        } else {
            transfer.continuation.resume(throwing: URLError(.badServerResponse))
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
