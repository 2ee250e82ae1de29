import ArgumentParser
import Foundation
import PenPalsConfig

extension PenPals {
    struct Decline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decline an invitation.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The invitation id.") var id: String
        @Option(help: "A reason the other teacher will see.") var reason: String?

        func run() async throws {
            let body: [String: Any] = reason.map { ["reason": $0] } ?? [:]
            let (_, object, data) = try await options.client().json("POST", "/api/webex/invitations/\(id)/decline", body: body)
            if output.json { return printJSON(data) }
            let invitation = object["invitation"] as? [String: Any] ?? [:]
            print("Declined \"\(invitation["title"] as? String ?? id)\" from \(invitation["sender_name"] as? String ?? "?").")
        }
    }
}
