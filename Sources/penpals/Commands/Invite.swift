import ArgumentParser
import Foundation
import PenPalsConfig

extension PenPals {
    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a meeting invitation to a partner classroom.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The partner classroom: its name or node id; several, comma-separated (2-8), make one group call.") var to: String
        @Option(help: "The call's title (at most 128 characters).") var title: String
        @Option(help: "Start, RFC 3339 with a zone, e.g. 2026-12-01T15:00:00Z.") var start: String
        @Option(help: "End, RFC 3339 with a zone.") var end: String
        @Option(help: "A weekly series of N calls (2-52), the first at --start.") var weekly: Int?
        @Option(help: "A daily series of N calls (2-52), the first at --start.") var daily: Int?
        @Option(help: "With --weekly or --daily: every K weeks or days (1-4; default 1).") var every: Int?

        func validate() throws {
            if weekly != nil && daily != nil { throw ValidationError("Give --weekly or --daily, not both.") }
            if every != nil && weekly == nil && daily == nil { throw ValidationError("--every goes with --weekly N or --daily N.") }
        }

        func run() async throws {
            let (_, node) = try options.selectedNode()
            // Several classrooms, comma-separated, make one group call (one WebEx meeting).
            let classrooms = to.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            var body: [String: Any] = ["title": title, "start_time": start, "end_time": end]
            if classrooms.count > 1 { body["classroom_ids"] = classrooms } else { body["classroom_id"] = to }
            if let count = weekly ?? daily {
                body["recurrence"] = ["freq": weekly != nil ? "weekly" : "daily", "interval": every ?? 1, "count": count]
            }
            let (_, object, data) = try await LocalAPI(node: node).json("POST", "/api/webex/meeting", body: body)
            if output.json { return printJSON(data) }
            let invitations = object["invitations"] as? [[String: Any]] ?? [object["invitation"] as? [String: Any] ?? [:]]
            let names = invitations.compactMap { $0["receiver_name"] as? String }
            print("Meeting invitation sent to \(names.isEmpty ? to : names.joined(separator: ", "))!")
            if let group = invitations.first?["group_id"] as? String { print("One call for the group \(group); each classroom answers on its own.") }
            for invitation in invitations {
                print(Display(zone: node.timezone).invitation(invitation, localID: invitation["sender_id"] as? String))
            }
        }
    }
}
