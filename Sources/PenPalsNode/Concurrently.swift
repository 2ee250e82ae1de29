import Foundation
import Synchronization

/// Runs `body` for every index of `0..<count` on up to `width` threads of their own,
/// for blocking file work (creating files, `fsync`) that would stall Swift's
/// cooperative pool: while one thread waits for the disk, the others work.
/// Returns the results in index order; the first error by index is thrown, after
/// every index ran (what the others made is kept, as a later start finds it).
func concurrently<T: Sendable>(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    guard count > 1, width > 1 else { return try (0..<count).map(body) }
    let next = Atomic<Int>(0)
    let results = Mutex<[Int: Result<T, any Error>]>([:])
    let done = DispatchGroup()
    for _ in 0..<min(width, count) {
        done.enter()
        let thread = Thread {
            defer { done.leave() }
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < count else { return }
                let result = Result { try body(index) }
                results.withLock { $0[index] = result }
            }
        }
        thread.start()
    }
    done.wait()
    return try results.withLock { results in try (0..<count).map { try results[$0]!.get() } }
}
