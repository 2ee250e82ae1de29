import ArgumentParser
import Foundation
import PenPalsConfig

extension PenPals {
    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Try again to create the WebEx meeting of a failed invitation this classroom sent.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The invitation id.") var id: String

        func run() async throws {
            let (_, object, data) = try await options.client().json("POST", "/api/webex/invitations/\(id)/retry", body: [:])
            if output.json { return printJSON(data) }
            let invitation = object["invitation"] as? [String: Any] ?? [:]
            print("Trying again to create the WebEx meeting for \"\(invitation["title"] as? String ?? id)\" with \(invitation["receiver_name"] as? String ?? "?"); see `penpals invitations --sent --all`.")
        }
    }
}
