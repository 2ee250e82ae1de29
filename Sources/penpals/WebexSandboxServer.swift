import Foundation
import Logging
import PenPalsConfig
import ServiceLifecycle
import WebexSandbox

/// The sandbox as a lifecycle service of `penpals webex-sandbox`: its HTTP
/// application runs in the service group, so SIGTERM shuts it down gracefully.
struct WebexSandboxServer: Service {
    let address: ListenAddress
    let clientID: String
    let clientSecret: String

    func run() async throws {
        let sandbox = WebexSandbox(logger: Logger(label: "webex-sandbox"), clientID: clientID, clientSecret: clientSecret)
        let host = address.host
        let app = sandbox.buildApplication(host: host, port: address.port) { port in
            say("WebEx sandbox is running at http://\(host.contains(":") ? "[\(host)]" : host):\(port)/v1 (meetings: /sandbox)")
        }
        try await app.run()
    }
}
