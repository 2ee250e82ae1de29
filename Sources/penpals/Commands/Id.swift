import ArgumentParser
import Foundation
import PenPalsConfig

extension PenPals {
    struct Id: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the node id, URL and a peer card another school can add.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let api = try options.client()
            let (_, status, _) = try await api.json("GET", "/api/status")
            let name = status["name"] as? String ?? api.node.name
            let display = status["display_name"] as? String ?? api.node.displayName
            let nodeID = status["node_id"] as? String ?? ""
            let url = status["url"] as? String ?? api.node.url.absoluteString
            let card = """
                [[peers]]
                name         = "\(name)"
                display_name = "\(display.replacingOccurrences(of: "\"", with: "\\\""))"
                url          = "\(url)"
                public_key   = "\(nodeID)"
                """
            if output.json {
                let object: [String: Any] = ["node_id": nodeID, "name": name, "display_name": display, "url": url, "card": card]
                printJSON(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
            } else {
                print("node id: \(nodeID)\nname:    \(name) (\(display))\nurl:     \(url)\n\nPeer card (another school adds this to its config file):\n\n\(card)")
            }
        }
    }
}
