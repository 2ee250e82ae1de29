import Foundation
import Synchronization

/// Wakes one waiting loop: a ring while nobody waits is kept until the next wait.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.rung = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns when rung, when `timeout` passes, or when the task is cancelled.
    func wait(timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForRing() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.rung || Task.isCancelled {
                        state.rung = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}

/// Lets callers wait until something happens to an invitation (accept waits for its meeting).
final class InvitationWatch: Sendable {
    private let bells = Mutex<[UUID: [Doorbell]]>([:])

    /// Rings every bell registered for `id`; they stay registered until forgotten.
    func notify(_ id: UUID) {
        let waiting = bells.withLock { $0[id] ?? [] }
        waiting.forEach { $0.ring() }
    }

    /// Registers interest in `id` and returns the bell to wait on; register before
    /// checking the condition so that no change is missed in between.
    func bell(for id: UUID) -> Doorbell {
        let bell = Doorbell()
        bells.withLock { $0[id, default: []].append(bell) }
        return bell
    }

    func forget(_ bell: Doorbell, for id: UUID) {
        bells.withLock { bells in
            bells[id]?.removeAll { $0 === bell }
            if bells[id]?.isEmpty == true { bells[id] = nil }
        }
    }
}
