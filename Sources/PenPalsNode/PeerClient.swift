import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PenPalsCore
import OutboundHTTP

/// Outbound node-to-node HTTP: posts JSON to a peer and returns its signed answer.
public struct PeerClient: PeerTransport {
    let session: URLSession

    /// Peers share the process's sessions (see `URLSessionPool`): a node that stops
    /// leaves no session to tear down.
    public init(timeout: TimeInterval = 15) {
        session = URLSessionPool.shared.session(.init(requestTimeout: timeout, resourceTimeout: timeout * 2, connectionsPerHost: 4))
    }

    /// The most of a peer's answer read: a sync answer is at most 1 MiB, as this
    /// node reads it (after gzip is undone), and an acknowledgement or an error far
    /// less; the rest is room for a peer's whitespace. A longer answer fails the request.
    static let answerLimit = (1 << 20) + 16 * 1024

    /// POSTs `body` to `peerURL` + `path` and decodes the signed envelope it answers with.
    public func post(_ body: Data, to peer: Classroom, path: String) async throws -> SignedEnvelope {
        try await exchange(body, to: peer, path: path).answer
    }

    /// As `post`, also telling how many bytes the answer's body took on the wire
    /// (compressed, when the peer compressed it; URLSession asks for and undoes that itself).
    public func exchange(_ body: Data, to peer: Classroom, path: String) async throws -> (answer: SignedEnvelope, wireBytes: Int) {
        let (data, wireBytes) = try await postRaw(body, to: peer, path: path)
        do {
            // A PenPals node answers in exactly the form it writes (read straight from its
            // bytes); anything else is read as any JSON.
            return (try WireJSON.decode(SignedEnvelope.self, from: data), wireBytes)
        } catch {
            throw PeerFailure.badAnswer("not a signed envelope")
        }
    }

    public func postForBody(_ body: Data, to peer: Classroom, path: String) async throws -> Data {
        try await postRaw(body, to: peer, path: path).data
    }

    /// POSTs `body` and returns the body of a 200 answer (at most `answerLimit`) and
    /// its size on the wire; any other status is `PeerFailure.refused`.
    private func postRaw(_ body: Data, to peer: Classroom, path: String) async throws -> (data: Data, wireBytes: Int) {
        guard let url = URL(string: peer.url.absoluteString + path) else { throw PeerFailure.unreachable("bad URL \(peer.url)") }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.cancellableData(for: request, limit: Self.answerLimit)
        } catch {
            throw PeerFailure.unreachable(error.localizedDescription)
        }
        guard let http = response as? HTTPURLResponse else { throw PeerFailure.badAnswer("not HTTP") }
        guard http.statusCode == 200 else {
            struct ErrorBody: Decodable { struct Inner: Decodable { var message: String }; var error: Inner }
            let message = (try? JSONDecoder().decode(ErrorBody.self, from: data))?.error.message
                ?? String(decoding: data.prefix(200), as: UTF8.self)
            throw PeerFailure.refused(status: http.statusCode, message: message)
        }
        return (data, http.value(forHTTPHeaderField: "Content-Length").flatMap(Int.init) ?? data.count)
    }
}
