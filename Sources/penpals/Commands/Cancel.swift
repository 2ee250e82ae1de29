import ArgumentParser
import Foundation
import PenPalsConfig

extension PenPals {
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Withdraw an invitation this classroom sent, or call off a meeting it accepted.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The invitation id.") var id: String

        func run() async throws {
            let (_, object, data) = try await options.client().json("POST", "/api/webex/invitations/\(id)/cancel", body: [:])
            if output.json { return printJSON(data) }
            let invitation = object["invitation"] as? [String: Any] ?? [:]
            print("Cancelled \"\(invitation["title"] as? String ?? id)\" of \(invitation["sender_name"] as? String ?? "?")"
                  + " with \(invitation["receiver_name"] as? String ?? "?"); the other classroom is told.")
        }
    }
}
