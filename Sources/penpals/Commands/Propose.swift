import ArgumentParser
import Foundation
import PenPalsConfig

extension PenPals {
    struct Propose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask the classroom that sent an invitation for another time; it stays as it is until they reschedule.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The invitation id.") var id: String
        @Option(help: "Proposed start, RFC 3339 with a zone, e.g. 2026-12-03T15:00:00Z.") var start: String
        @Option(help: "Proposed end, RFC 3339 with a zone.") var end: String

        func run() async throws {
            let (_, node) = try options.selectedNode()
            let (_, object, data) = try await LocalAPI(node: node).json("POST", "/api/webex/invitations/\(id)/propose",
                                                                         body: ["start_time": start, "end_time": end])
            if output.json { return printJSON(data) }
            let invitation = object["invitation"] as? [String: Any] ?? [:]
            print("Proposed a new time to \(invitation["sender_name"] as? String ?? "the sender").")
            print(Display(zone: node.timezone).invitation(invitation, localID: invitation["receiver_id"] as? String))
        }
    }
}
