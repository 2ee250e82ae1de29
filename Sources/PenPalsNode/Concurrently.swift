import Foundation
import Synchronization

/// Runs `body` for every index of `0..<count` on up to `width` threads of their own,
/// for blocking file work (creating files, `fsync`) that would stall Swift's
/// cooperative pool: while one thread waits for the disk, the others work.
/// Returns the results in index order; the first error by index is thrown, after
/// every index ran (what the others made is kept, as a later start finds it).
func concurrently<T: Sendable>(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    guard count > 1, width > 1 else { return try (0..<count).map(body) }
    let results = Mutex<[Int: Result<T, any Error>]>([:])
    let done = DispatchGroup()
    done.enter()
    startConcurrently(count, width: width, body, each: { index, result in results.withLock { $0[index] = result } },
                      finished: { done.leave() })
    done.wait()
    return try results.withLock { results in try (0..<count).map { try results[$0]!.get() } }
}

/// `body` for every index of `0..<count` on up to `width` threads of their own, taken
/// in index order; returns at once. Each result goes to `each` as it is made (from
/// the thread that made it), and `finished` runs once all are.
func startConcurrently<T: Sendable>(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) throws -> T,
                                    each: @escaping @Sendable (Int, Result<T, any Error>) -> Void,
                                    finished: @escaping @Sendable () -> Void) {
    let threads = max(1, min(width, count))
    let next = Atomic<Int>(0)
    let running = Atomic<Int>(threads)
    for _ in 0..<threads {
        let thread = Thread {
            defer { if running.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { finished() } }
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < count else { return }
                each(index, Result { try body(index) })
            }
        }
        thread.start()
    }
}

/// The results of `startConcurrently`, as they are made.
func concurrentlyStream<T: Sendable>(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) throws -> T)
    -> AsyncStream<(Int, Result<T, any Error>)> {
    let (stream, sink) = AsyncStream.makeStream(of: (Int, Result<T, any Error>).self)
    startConcurrently(count, width: width, body, each: { sink.yield(($0, $1)) }, finished: { sink.finish() })
    return stream
}
