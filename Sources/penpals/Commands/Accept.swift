import ArgumentParser
import Foundation
import PenPalsConfig

extension PenPals {
    struct Accept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Accept an invitation; prints the join link once the sender made the meeting.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The invitation id.") var id: String

        func run() async throws {
            let (_, node) = try options.selectedNode()
            let (status, object, data) = try await LocalAPI(node: node).json("POST", "/api/webex/invitations/\(id)/accept")
            if output.json { return printJSON(data) }
            let invitation = object["invitation"] as? [String: Any] ?? [:]
            if status == 200, let meeting = object["meeting"] as? [String: Any] {
                print("Accepted. The meeting is ready:\n\(Display(zone: node.timezone).meeting(meeting))")
            } else {
                let sender = invitation["sender_name"] as? String ?? "the sender"
                var text = "Accepted. Waiting for \(sender) to create the WebEx meeting; the link will show in `penpals meetings`."
                if let problem = invitation["problem"] as? [String: Any], let message = problem["message"] as? String {
                    text += "\nnote: \(message)"
                }
                print(text)
            }
        }
    }
}
