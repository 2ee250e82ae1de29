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
    public func cancellableData(for request: URLRequest) async throws -> (Data, URLResponse) {
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
