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

    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a meeting invitation to a partner classroom.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "The partner classroom: its name or node id.") var to: String
        @Option(help: "The call's title (at most 128 characters).") var title: String
        @Option(help: "Start, RFC 3339 with a zone, e.g. 2026-12-01T15:00:00Z.") var start: String
        @Option(help: "End, RFC 3339 with a zone.") var end: String

        func run() async throws {
            let (_, node) = try options.selectedNode()
            let (_, object, data) = try await LocalAPI(node: node).json("POST", "/api/webex/meeting", body: [
                "classroom_id": to, "title": title, "start_time": start, "end_time": end,
            ])
            if output.json { return printJSON(data) }
            let invitation = object["invitation"] as? [String: Any] ?? [:]
            print("Meeting invitation sent to \(invitation["receiver_name"] as? String ?? to)!")
            print(Display(zone: node.timezone).invitation(invitation, localID: invitation["sender_id"] as? String))
        }
    }

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

    struct Accept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Accept an invitation; prints the join link once the sender made the meeting.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The invitation id.") var id: String

        func run() async throws {
            let (_, node) = try options.selectedNode()
            let (status, object, data) = try await LocalAPI(node: node).json("POST", "/api/webex/invitations/\(id)/accept")
            if output.json { return printJSON(data) }
            let invitation = object["invitation"] as? [String: Any] ?? [:]
            if status == 200, let meeting = object["meeting"] as? [String: Any] {
                print("Accepted. The meeting is ready:\n\(Display(zone: node.timezone).meeting(meeting))")
            } else {
                let sender = invitation["sender_name"] as? String ?? "the sender"
                var text = "Accepted. Waiting for \(sender) to create the WebEx meeting; the link will show in `penpals meetings`."
                if let problem = invitation["problem"] as? [String: Any], let message = problem["message"] as? String {
                    text += "\nnote: \(message)"
                }
                print(text)
            }
        }
    }

    struct Decline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decline an invitation.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The invitation id.") var id: String
        @Option(help: "A reason the other teacher will see.") var reason: String?

        func run() async throws {
            let body: [String: Any] = reason.map { ["reason": $0] } ?? [:]
            let (_, object, data) = try await options.client().json("POST", "/api/webex/invitations/\(id)/decline", body: body)
            if output.json { return printJSON(data) }
            let invitation = object["invitation"] as? [String: Any] ?? [:]
            print("Declined \"\(invitation["title"] as? String ?? id)\" from \(invitation["sender_name"] as? String ?? "?").")
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Withdraw an invitation this classroom sent, or call off a meeting it accepted.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The invitation id.") var id: String

        func run() async throws {
            let (_, object, data) = try await options.client().json("POST", "/api/webex/invitations/\(id)/cancel", body: [:])
            if output.json { return printJSON(data) }
            let invitation = object["invitation"] as? [String: Any] ?? [:]
            print("Cancelled \"\(invitation["title"] as? String ?? id)\" of \(invitation["sender_name"] as? String ?? "?")"
                  + " with \(invitation["receiver_name"] as? String ?? "?"); the other classroom is told.")
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Try again to create the WebEx meeting of a failed invitation this classroom sent.")
        @OptionGroup var options: NodeOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The invitation id.") var id: String

        func run() async throws {
            let (_, object, data) = try await options.client().json("POST", "/api/webex/invitations/\(id)/retry", body: [:])
            if output.json { return printJSON(data) }
            let invitation = object["invitation"] as? [String: Any] ?? [:]
            print("Trying again to create the WebEx meeting for \"\(invitation["title"] as? String ?? id)\" with \(invitation["receiver_name"] as? String ?? "?"); see `penpals invitations --sent --all`.")
        }
    }

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

    struct WebexCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "webex", abstract: "This classroom's WebEx account.", subcommands: [Connect.self])

        struct Connect: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print the URL that connects this classroom's WebEx account.")
            @OptionGroup var options: NodeOptions
            @OptionGroup var output: OutputOptions

            func run() async throws {
                let (_, object, data) = try await options.client().json("POST", "/api/webex/connect")
                if output.json { return printJSON(data) }
                print("Open this URL in a browser and allow PenPals to schedule meetings (valid for 10 minutes, once):\n\(object["authorize_url"] as? String ?? "")")
            }
        }
    }
}
