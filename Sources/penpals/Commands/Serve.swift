import ArgumentParser
import Foundation
import Logging
import PenPalsConfig
import PenPalsNode
import ServiceLifecycle

extension PenPals {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one node, or every node of the config file.",
            discussion: "Creates key, token and database on first start. SIGINT or SIGTERM finishes what is in flight and exits 0.")

        @OptionGroup var options: NodeOptions

        func run() async throws {
            bootstrapLogging()
            let config = try options.loadConfig()
            let selected: [NodeConfig]
            do {
                selected = options.node == nil ? config.nodes : [try config.node(named: options.node)]
                // The whole file is checked and the addresses bound before anything is created.
                try config.checkHost(nodes: selected)
            } catch {
                throw fail(error.description, code: 2)
            }
            NodeBootstrap.prepareKeys(config)
            var services: [any Service] = []
            // The nodes of this process reach each other without HTTP (contract §7.1)
            // and share one set of timers.
            let host: NodeHost
            let roster: Roster
            do {
                roster = try NodeBootstrap.roster(of: config)
                // Pairs with classrooms of other hosts are reconciled by one digest per remote
                // host every sync_interval (docs/protocol.md §12).
                host = NodeHost(nodes: try selected.map { try NodeBootstrap.nodeID(of: $0, in: config) },
                                digestInterval: .seconds(config.syncInterval))
            } catch {
                throw fail("\(error)", code: 2)
            }
            services.append(host.service)
            // One server per listen address; nodes that share one are told apart by their url paths.
            let nodes: [ClassroomNode]
            do {
                nodes = try await NodeBootstrap.makeNodes(selected, in: config, roster: roster, host: host) {
                    Logger(label: "penpals.\($0.name)")
                }
            } catch {
                throw fail("\(error)", code: 2)
            }
            var byAddress: [(address: ListenAddress, nodes: [ClassroomNode], banners: [String])] = []
            for (nodeConfig, node) in zip(selected, nodes) {
                let url = nodeConfig.url.absoluteString
                let banner = """
                    \(nodeConfig.name) · \(nodeConfig.displayName) is running at \(url)
                      dashboard: \(url)/?token=\(node.settings.apiToken)
                      try:       penpals --config \(options.configPath) status --node \(nodeConfig.name)
                    """
                if let index = byAddress.firstIndex(where: { $0.address == nodeConfig.listen }) {
                    byAddress[index].nodes.append(node)
                    byAddress[index].banners.append(banner)
                } else {
                    byAddress.append((nodeConfig.listen, [node], [banner]))
                }
            }
            for (address, nodes, banners) in byAddress {
                services.append(NodeService(nodes: nodes, host: address.host, port: address.port) { _ in
                    for banner in banners { say(banner) }
                })
            }
            let group = ServiceGroup(configuration: .init(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "penpals")))
            try await group.run()
        }
    }
}
