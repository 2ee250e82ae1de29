import ArgumentParser
import Foundation
import PenPalsConfig

extension PenPals {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Node id; per peer the vector timestamp, outbox and last contact; WebEx.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let (_, node) = try options.selectedNode()
            let (_, status, data) = try await LocalAPI(node: node).json("GET", "/api/status")
            if output.json { return printJSON(data) }
            let display = Display(zone: node.timezone)
            print("\(status["display_name"] as? String ?? "") (\(status["name"] as? String ?? ""))")
            print("node id: \(status["node_id"] as? String ?? "")\nurl:     \(status["url"] as? String ?? "")")
            let webex = status["webex"] as? [String: Any] ?? [:]
            if (webex["connected"] as? Bool) == true {
                print("WebEx:   connected (token valid until \(display.time(webex["expires_at"])))")
            } else if webex["problem"] as? String == "reconnect" {
                print("WebEx:   reconnect needed — run `penpals webex connect --node \(node.name)` and open the URL")
            } else if (webex["configured"] as? Bool) == true {
                print("WebEx:   not connected — run `penpals webex connect --node \(node.name)` and open the URL")
            } else {
                print("WebEx:   not set up (no [webex] section in the config file)")
            }
            for peer in status["peers"] as? [[String: Any]] ?? [] {
                let up = (peer["reachable"] as? Bool) == true ? "reachable" : "not reachable"
                let contact = peer["last_contact"] is String ? display.time(peer["last_contact"]) : "never"
                print("\npeer \(peer["name"] as? String ?? "?")  [\(up)]")
                print("  clock: sent \(peer["sent"] as? Int ?? 0), applied \(peer["applied"] as? Int ?? 0); outbox \(peer["outbox"] as? Int ?? 0); last contact \(contact)")
            }
        }
    }
}
