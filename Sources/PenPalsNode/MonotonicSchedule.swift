import Foundation
import Synchronization

/// When stored wall-clock times fall due, also when the wall clock jumps.
///
/// A job's next attempt is stored as a wall-clock time, so that it survives a
/// restart. Waiting for it by the wall clock alone would stall the job for hours
/// when the clock is set back by hours (NTP stepping a drifted clock, a host whose
/// time was wrong). So the first time this process sees a due time, it also notes
/// the monotonic instant that is as far ahead as the due time was; the time falls
/// due when either is reached. A clock set back changes nothing; a clock set
/// forward makes a time due early, which shortens a wait but stalls nothing.
final class MonotonicSchedule: Sendable {
    private struct Entry { var wallDue: Double; var instant: ContinuousClock.Instant }
    private let entries = Mutex<[String: Entry]>([:])

    /// How long until `key`'s time `wallDue` is due, zero when it is; seen at `wallNow`.
    func remaining(_ key: String, wallDue: Double, wallNow: Double, now: ContinuousClock.Instant) -> Duration {
        let instant = entries.withLock { entries -> ContinuousClock.Instant in
            if let entry = entries[key], entry.wallDue == wallDue { return entry.instant }
            let instant = now + .milliseconds(Int(max(0, min(wallDue - wallNow, 366 * 86_400)) * 1000))
            entries[key] = Entry(wallDue: wallDue, instant: instant)
            return instant
        }
        let byWall = Duration.milliseconds(Int(max(0, min(wallDue - wallNow, 366 * 86_400)) * 1000))
        return max(.zero, min(byWall, instant - now))
    }

    /// Forgets every key but `keys` (the times still open).
    func keep(only keys: Set<String>) {
        entries.withLock { entries in entries = entries.filter { keys.contains($0.key) } }
    }
}
