import ArgumentParser
import Foundation
import PenPalsConfig

extension PenPals {
    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a meeting invitation to a partner classroom.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The partner classroom: its name or node id.") var to: String
        @Option(help: "The call's title (at most 128 characters).") var title: String
        @Option(help: "Start, RFC 3339 with a zone, e.g. 2026-12-01T15:00:00Z.") var start: String
        @Option(help: "End, RFC 3339 with a zone.") var end: String

        func run() async throws {
            let (_, node) = try options.selectedNode()
            let (_, object, data) = try await LocalAPI(node: node).json("POST", "/api/webex/meeting", body: [
                "classroom_id": to, "title": title, "start_time": start, "end_time": end,
            ])
            if output.json { return printJSON(data) }
            let invitation = object["invitation"] as? [String: Any] ?? [:]
            print("Meeting invitation sent to \(invitation["receiver_name"] as? String ?? to)!")
            print(Display(zone: node.timezone).invitation(invitation, localID: invitation["sender_id"] as? String))
        }
    }
}
