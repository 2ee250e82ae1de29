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
            do {
                try NodeBootstrap.prepareKeys(config)
            } catch {
                throw fail("\(error)", code: 1)
            }
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
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
            // Keys, tokens and settings are checked before anything listens.
            let settings: [NodeSettings]
            do {
                settings = try NodeBootstrap.settings(for: selected, in: config, roster: roster)
            } catch {
                throw fail("\(error)", code: 2)
            }
            // One server per listen address; nodes that share one are told apart by their url
            // paths. The addresses answer at once: each classroom as soon as its store is open.
            var byAddress: [(address: ListenAddress, slots: [NodeSlot])] = []
            var slots: [NodeSlot] = []
            for nodeConfig in selected {
                let slot = NodeSlot(url: nodeConfig.url)
                slots.append(slot)
                if let index = byAddress.firstIndex(where: { $0.address == nodeConfig.listen }) {
                    byAddress[index].slots.append(slot)
                } else {
                    byAddress.append((nodeConfig.listen, [slot]))
                }
            }
            // The banners come once every classroom is open and every address listens.
            let (listening, listener) = AsyncStream.makeStream(of: Void.self)
            let configPath = options.configPath
            let start = HostStart(nodes: selected, settings: settings, slots: slots, host: host,
                                  logger: { Logger(label: "penpals.\($0.name)") }) { [selected, addresses = byAddress.count] nodes in
                var iterator = listening.makeAsyncIterator()
                for _ in 0..<addresses { _ = await iterator.next() }
                for (nodeConfig, node) in zip(selected, nodes) {
                    let url = nodeConfig.url.absoluteString
                    say("""
                        \(nodeConfig.name) · \(nodeConfig.displayName) is running at \(url)
                          dashboard: \(url)/?token=\(node.settings.apiToken)
                          try:       penpals --config \(configPath) status --node \(nodeConfig.name)
                        """)
                }
            }
            // A classroom that cannot be opened stops the process, the listeners gracefully.
            services.append(.init(service: start, failureTerminationBehavior: .gracefullyShutdownGroup))
            for (address, slots) in byAddress {
                // The host starts each classroom's background work once all are open.
                services.append(.init(service: NodeService(slots: slots, host: address.host, port: address.port, background: false,
                                                           logger: Logger(label: "penpals")) { _ in listener.yield() }))
            }
            let group = ServiceGroup(configuration: .init(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "penpals")))
            do {
                try await group.run()
            } catch let error as NodeBootstrap.Failure {
                throw fail(error.description, code: 2)
            }
        }
    }
}

