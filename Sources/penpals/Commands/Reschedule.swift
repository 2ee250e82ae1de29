import ArgumentParser
import Foundation
import PenPalsConfig

extension PenPals {
    struct Reschedule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move an invitation this classroom sent to new times (and a new title); the partner sees them at once.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The invitation id.") var id: String
        @Option(help: "New start, RFC 3339 with a zone, e.g. 2026-12-01T15:00:00Z.") var start: String
        @Option(help: "New end, RFC 3339 with a zone.") var end: String
        @Option(help: "A new title (at most 128 characters); the title stays as it is without it.") var title: String?

        func run() async throws {
            let (_, node) = try options.selectedNode()
            var body: [String: Any] = ["start_time": start, "end_time": end]
            if let title { body["title"] = title }
            let (_, object, data) = try await LocalAPI(node: node).json("POST", "/api/webex/invitations/\(id)/reschedule", body: body)
            if output.json { return printJSON(data) }
            let invitation = object["invitation"] as? [String: Any] ?? [:]
            let told = invitation["group_id"] is String ? "every classroom of the group is told"
                : "\(invitation["receiver_name"] as? String ?? "the partner") is told"
            print("Rescheduled (revision \(invitation["revision"] as? Int ?? 0)); \(told).")
            print(Display(zone: node.timezone).invitation(invitation, localID: invitation["sender_id"] as? String))
        }
    }
}
