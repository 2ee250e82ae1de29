import ArgumentParser
import Foundation
import PenPalsConfig

extension PenPals {
    struct Meetings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Upcoming meetings with their join links.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions
        @Flag(help: "Past meetings too.") var all = false

        func run() async throws {
            let (_, node) = try options.selectedNode()
            let (_, object, data) = try await LocalAPI(node: node).json("GET", "/api/meetings\(all ? "?all=1" : "")")
            if output.json { return printJSON(data) }
            let list = object["meetings"] as? [[String: Any]] ?? []
            if list.isEmpty { print(all ? "No meetings." : "No upcoming meetings.") }
            let display = Display(zone: node.timezone)
            print(list.map(display.meeting).joined(separator: "\n\n"))
        }
    }
}
