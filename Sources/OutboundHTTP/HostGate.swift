import Foundation

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
