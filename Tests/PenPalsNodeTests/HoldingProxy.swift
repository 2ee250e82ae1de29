import Foundation
import Synchronization

/// A TCP proxy on 127.0.0.1 in front of a node that can hold back the node's
/// answers: the request reaches the node and is handled, the answer waits here.
/// Lets a test kill a node while a push is provably in flight (committed by the
/// receiver, not yet acknowledged to the sender). Blocking I/O on threads of its
/// own, never on the test's cooperative pool.
final class HoldingProxy: Sendable {
    let port: Int
    private let upstream: Int
    private let listener: Int32
    private let state = Mutex(State())

    private struct State {
        var holding = false
        var held = Data()
        var sockets: [Int32] = []
        var closed = false
    }

    init(upstream: Int) throws {
        self.upstream = upstream
        port = try freePort()
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard Loopback.bind(listener, port: port), listen(listener, 64) == 0 else { throw TestFailure("the proxy cannot listen on \(port)") }
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    /// From now on, the node's answers are kept here instead of passed on.
    func hold() { state.withLock { $0.holding = true } }

    /// What the node has answered and the proxy kept.
    var held: String { String(decoding: state.withLock { $0.held }, as: UTF8.self) }

    /// Closes every connection and the listener.
    func stop() {
        let sockets = state.withLock { state -> [Int32] in
            guard !state.closed else { return [] }
            state.closed = true
            return state.sockets + [listener]
        }
        for fd in sockets { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            let connected = Loopback.connect(server, port: upstream)
            let open = state.withLock { state -> Bool in
                guard !state.closed else { return false }
                state.sockets += [client, server]
                return true
            }
            guard open, connected else {
                close(client)
                close(server)
                continue
            }
            Thread { [self] in pump(from: client, to: server, answers: false) }.start()
            Thread { [self] in pump(from: server, to: client, answers: true) }.start()
        }
    }

    /// Copies bytes one way until either side closes; then closes both.
    private func pump(from source: Int32, to target: Int32, answers: Bool) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = recv(source, &buffer, buffer.count, 0)
            guard n > 0 else { break }
            let chunk = Data(buffer[0..<n])
            if answers, state.withLock({ state -> Bool in
                if state.holding { state.held.append(chunk) }
                return state.holding
            }) {
                continue
            }
            guard send(target, buffer, n, Int32(MSG_NOSIGNAL)) == n else { break }
        }
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(target, Int32(SHUT_RDWR))
    }
}
