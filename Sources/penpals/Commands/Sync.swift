import ArgumentParser
import Foundation
import PenPalsConfig

extension PenPals {
    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reconcile now with every partner classroom (or one).")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Only this partner classroom.") var peer: String?

        func run() async throws {
            let body: [String: Any] = peer.map { ["peer": $0] } ?? [:]
            let api = try options.client()
            // A large catch-up shows its progress: the applied counts, read while the sync runs.
            // Read before the sync starts, so a quick sync makes one request at a time.
            let start = try await Self.appliedCounts(api)
            let progress = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    let now = try await Self.appliedCounts(api)
                    let moved = now.map { name, count in "\(name) +\(count - (start[name] ?? count))" }.sorted()
                    FileHandle.standardError.write(Data("syncing… received so far: \(moved.joined(separator: ", "))\n".utf8))
                }
            }
            defer { progress.cancel() }
            let (_, object, data) = try await api.json("POST", "/api/sync", body: body)
            if output.json { return printJSON(data) }
            var failed = false
            for row in object["peers"] as? [[String: Any]] ?? [] {
                let name = row["name"] as? String ?? "?"
                if let error = row["error"] as? String {
                    failed = true
                    print("\(name): not reached (\(error))")
                } else {
                    print("\(name): sent \(row["sent"] as? Int ?? 0), received \(row["received"] as? Int ?? 0)")
                }
            }
            if failed { throw ExitCode(1) }
        }

        /// Per peer, how many of its events the node has applied.
        static func appliedCounts(_ api: LocalAPI) async throws -> [String: Int] {
            let (_, status, _) = try await api.json("GET", "/api/status")
            var counts: [String: Int] = [:]
            for peer in status["peers"] as? [[String: Any]] ?? [] {
                if let name = peer["name"] as? String { counts[name] = peer["applied"] as? Int ?? 0 }
            }
            return counts
        }
    }
}
