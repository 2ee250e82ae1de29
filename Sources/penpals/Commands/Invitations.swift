import ArgumentParser
import Foundation
import PenPalsConfig

extension PenPals {
    struct Invitations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pending invitations received (or sent, or all with their status).")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions
        @Flag(help: "Invitations this classroom sent.") var sent = false
        @Flag(help: "Every status, not only pending.") var all = false

        func run() async throws {
            let (_, node) = try options.selectedNode()
            let api = try LocalAPI(node: node)
            let box = sent ? "sent" : "received"
            let (_, object, data) = try await api.json("GET", "/api/webex/invitations?box=\(box)\(all ? "&status=all" : "")")
            if output.json { return printJSON(data) }
            let list = object["invitations"] as? [[String: Any]] ?? []
            if list.isEmpty { print(all ? "No invitations." : "No pending invitations \(sent ? "sent" : "received").") }
            let localID = sent ? list.first?["sender_id"] as? String : list.first?["receiver_id"] as? String
            let display = Display(zone: node.timezone)
            print(list.map { display.invitation($0, localID: localID) }.joined(separator: "\n\n"))
        }
    }
}
