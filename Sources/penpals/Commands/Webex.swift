import ArgumentParser
import Foundation
import PenPalsConfig

extension PenPals {
    struct WebexCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "webex", abstract: "This classroom's WebEx account.", subcommands: [Connect.self])

        struct Connect: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print the URL that connects this classroom's WebEx account.")
            @OptionGroup var options: NodeOptions
            @OptionGroup var output: OutputOptions

            func run() async throws {
                let (_, object, data) = try await options.client().json("POST", "/api/webex/connect")
                if output.json { return printJSON(data) }
                print("Open this URL in a browser and allow PenPals to schedule meetings (valid for 10 minutes, once):\n\(object["authorize_url"] as? String ?? "")")
            }
        }
    }
}
