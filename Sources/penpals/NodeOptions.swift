import ArgumentParser
import Foundation
import PenPalsConfig
import PenPalsNode

/// `--config` and `--node`, shared by every command.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: "The config file (default: $PENPALS_CONFIG or nodes.toml).")
    var config: String?

    @Option(name: .long, help: "The node of the file to use, where it has several.")
    var node: String?

    var configPath: String { config ?? PenPalsConfig.defaultPath() }

    /// The config file, or exit 2 with its one-line error.
    func loadConfig() throws -> PenPalsConfig {
        do {
            return try PenPalsConfig.load(path: configPath)
        } catch {
            throw fail(error.description, code: 2)
        }
    }

    /// The one node this command is about.
    func selectedNode() throws -> (PenPalsConfig, NodeConfig) {
        let config = try loadConfig()
        do {
            return (config, try config.node(named: node))
        } catch {
            throw fail(error.description, code: 2)
        }
    }

    /// A client for the selected node's local API.
    func client() throws -> LocalAPI {
        let (_, node) = try selectedNode()
        return try LocalAPI(node: node)
    }
}

/// `--json`: print the API's JSON instead of text for people.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the API's JSON instead of text.")
    var json = false
}
