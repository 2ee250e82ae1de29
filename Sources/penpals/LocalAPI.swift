import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PenPalsConfig
import PenPalsNode
import OutboundHTTP

/// The running node's local API, reached on its listen address with its token.
struct LocalAPI {
    let node: NodeConfig
    let base: String
    let token: String
    let session: URLSession

    init(node: NodeConfig) throws {
        self.node = node
        var host = node.listen.host
        if host == "0.0.0.0" { host = "127.0.0.1" }
        if host == "::" { host = "::1" }
        if host.contains(":") { host = "[\(host)]" }
        self.base = "http://\(host):\(node.listen.port)"
        let files = NodeFiles(dataDir: node.dataDir)
        do {
            self.token = try files.apiToken()
        } catch {
            throw fail("node \(node.name) has not been started yet: no api.token in \(node.dataDir.path). Start it with `penpals serve --node \(node.name)`.")
        }
        // A pooled session: it reads bodies with a bound (see `cancellableData`).
        self.session = URLSessionPool.shared.session(.init(requestTimeout: 60, resourceTimeout: 7 * 86_400))
    }

    /// Sends a request; a refusal becomes the API's message on stderr and exit 1.
    func call(_ method: String, _ path: String, body: [String: Any]? = nil) async throws -> (status: Int, data: Data) {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        let data: Data
        let response: URLResponse
        do {
            // Not `data(for:)`: cancelling a task suspended in it can hang FoundationNetworking
            // (the progress of `penpals sync` is cancelled while it may be asking).
            (data, response) = try await session.cancellableData(for: request, limit: 64 << 20)
        } catch {
            throw fail("node \(node.name) is not running at \(base) (\(error.localizedDescription)). Start it with `penpals serve --node \(node.name)`.")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            let message = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])
                .flatMap { $0["error"] as? [String: Any] }.flatMap { $0["message"] as? String }
            throw fail(message ?? "node \(node.name) answered \(status)")
        }
        return (status, data)
    }

    func json(_ method: String, _ path: String, body: [String: Any]? = nil) async throws -> (status: Int, object: [String: Any], data: Data) {
        let (status, data) = try await call(method, path, body: body)
        let object = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        return (status, object, data)
    }
}

/// Prints the API's JSON as it came.
func printJSON(_ data: Data) {
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data([0x0A]))
}
