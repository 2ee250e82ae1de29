import ArgumentParser
import Foundation
import PenPalsConfig

extension PenPals {
    struct Classrooms: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The partner classrooms, with reachability.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let (_, object, data) = try await options.client().json("GET", "/api/classrooms")
            if output.json { return printJSON(data) }
            let rooms = object["classrooms"] as? [[String: Any]] ?? []
            if rooms.isEmpty { print("No partner classrooms. Add [[peers]] to the config file.") }
            for room in rooms {
                let up = (room["reachable"] as? Bool) == true ? "reachable" : "not reachable"
                print("\(room["name"] as? String ?? "?")  \(room["display_name"] as? String ?? "")  [\(up)]\n  \(room["url"] as? String ?? "")  id \(room["id"] as? String ?? "")")
            }
        }
    }
}
