import ArgumentParser
import Foundation
import Logging
import PenPalsConfig
import ServiceLifecycle

extension PenPals {
    struct WebexSandboxCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "webex-sandbox",
            abstract: "Run the local WebEx-compatible sandbox used by the example, the demo and the tests.")

        @Option(help: "Address to listen on.") var listen = "127.0.0.1:7400"
        @Option(help: "The OAuth client id it accepts.") var clientID = "sandbox-client"
        @Option(help: "The OAuth client secret it accepts.") var clientSecret = "sandbox-secret"

        func run() async throws {
            bootstrapLogging()
            guard let address = ListenAddress(listen) else {
                throw fail("--listen \"\(listen)\" is not host:port, e.g. 127.0.0.1:7400", code: 2)
            }
            let sandbox = WebexSandboxServer(address: address, clientID: clientID, clientSecret: clientSecret)
            let group = ServiceGroup(configuration: .init(
                services: [sandbox], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "webex-sandbox")))
            try await group.run()
        }
    }
}
