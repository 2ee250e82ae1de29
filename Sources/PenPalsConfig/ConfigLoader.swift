import Foundation
import PenPalsCore
import TOMLKit

/// Reads the config file and checks everything that can be checked without touching
/// the machine. Keys are visited in file order and the first problem is thrown.
enum ConfigLoader {
    static let rootKeys = ["sync_interval", "webex", "nodes", "peers"]
    static let webexKeys = ["api_base", "authorize_url", "client_id", "client_secret", "client_secret_file"]
    static let nodeKeys = ["name", "display_name", "listen", "url", "data_dir", "timezone", "public_key"]
    static let requiredNodeKeys = ["name", "display_name", "listen", "url", "data_dir", "timezone"]
    static let peerKeys = ["name", "display_name", "url", "public_key"]
    static let requiredPeerKeys = ["name", "url", "public_key"]

    static func load(path: String) throws(ConfigError) -> PenPalsConfig {
        let display = path
        func fail(_ problem: String, _ fix: String) -> ConfigError {
            ConfigError(file: display, key: "", problem: problem, fix: fix)
        }
        guard !path.isEmpty else {
            throw ConfigError(file: "(no file)", key: "--config", problem: "the config file name is empty",
                              fix: "Name the file with --config FILE or $PENPALS_CONFIG, e.g. --config nodes.toml")
        }
        let file = absoluteFileURL(path, base: FileManager.default.currentDirectoryPath)

        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isFolder) else {
            throw fail("the config file does not exist (looked for \(file.path))",
                       "Create it (nodes.example.toml is a working start), or name another file with --config FILE or $PENPALS_CONFIG")
        }
        guard !isFolder.boolValue else {
            throw fail("is a folder, not a config file", "Name the TOML file itself with --config FILE, e.g. --config \(path)/nodes.toml")
        }
        let data: Data
        do {
            guard let read = try readBounded(file, limit: Self.largestConfig) else {
                throw fail("the config file is larger than \(Self.largestConfig >> 20) MiB, so it is not read",
                           "Name the PenPals config file (a few kilobytes per classroom), not another file")
            }
            data = read
        } catch let error as ConfigError {
            throw error
        } catch {
            throw fail("the config file cannot be read (\(readReason(file.path, error)))",
                       "Make it readable by this user, e.g. chmod u+r \(path)")
        }
        return try read(data, file: file, display: display)
    }

    /// Parses and checks the bytes of the config file `file` (named `display` in
    /// messages); relative paths in it start at `file`'s folder. Apart from `load`
    /// so that the fuzz target (Tests/Fuzz/Config.swift) reads bytes the same way.
    static func read(_ data: Data, file: URL, display: String) throws(ConfigError) -> PenPalsConfig {
        func fail(_ problem: String, _ fix: String) -> ConfigError {
            ConfigError(file: display, key: "", problem: problem, fix: fix)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw fail("the config file is not UTF-8 text", "Save it as UTF-8")
        }

        let syntaxFix = "Correct the syntax at that spot: strings in \"quotes\", one key = value per line, sections as [webex], [[nodes]] and [[peers]] (compare with nodes.example.toml)"
        // Before the parser, which aborts the process on such a header (see TableHeaderCheck).
        if let header = TableHeaderCheck.firstBadHeader(in: text) {
            throw ConfigError(file: display, key: "line \(header.line), column \(header.column)",
                              problem: "this is not valid TOML (\(header.problem))", fix: syntaxFix)
        }
        let root: TOMLTable
        do {
            // TOMLKit never frees what it parsed (its TOMLTable has no deinit): about as
            // much again as the file, once per process; the file is read once.
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            var problem = error.description.trimmingCharacters(in: .whitespacesAndNewlines)
            while problem.hasSuffix(".") { problem.removeLast() }
            let position = error.source.begin
            throw ConfigError(file: display, key: "line \(position.line), column \(position.column)",
                              problem: "this is not valid TOML (\(problem))", fix: syntaxFix)
        } catch {
            throw fail("this is not valid TOML (\(error))", "Correct the syntax (compare with nodes.example.toml)")
        }

        var parser = ConfigParser(display: display, folder: file.deletingLastPathComponent(), map: SourceMap(text: text))
        try parser.parseRoot(root)
        return PenPalsConfig(file: file, displayPath: display, webex: parser.webex, nodes: parser.nodes, peers: parser.peers,
                             syncInterval: parser.syncInterval)
    }

    /// The most of a config file read: a thousand classrooms take some 300 KB.
    static let largestConfig = 4 << 20

    static func readReason(_ path: String, _ error: any Error) -> String {
        if access(path, R_OK) != 0 { return String(cString: strerror(errno)).lowercased() }
        return (error as NSError).localizedDescription
    }
}

/// The file's bytes if it holds at most `limit`, else nil; never more than `limit` + 1
/// bytes are read (a file that grows, or a device without end, costs nothing more).
func readBounded(_ file: URL, limit: Int) throws -> Data? {
    let handle = try FileHandle(forReadingFrom: file)
    defer { try? handle.close() }
    let data = try handle.read(upToCount: limit + 1) ?? Data()
    return data.count > limit ? nil : data
}

/// An absolute, standardised file URL for `path`: `~` expanded, relative paths taken from `base`.
func absoluteFileURL(_ path: String, base: String, isDirectory: Bool = false) -> URL {
    var path = path
    if path == "~" || path.hasPrefix("~/"),
       let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty {
        path = home + path.dropFirst()
    }
    if !path.hasPrefix("/") {
        path = base.hasSuffix("/") ? base + path : base + "/" + path
    }
    return URL(fileURLWithPath: path, isDirectory: isDirectory).standardizedFileURL
}

struct ConfigParser {
    let display: String
    let folder: URL
    let map: SourceMap

    private(set) var webex: WebexConfig?
    private(set) var syncInterval = PenPalsConfig.defaultSyncInterval
    private(set) var nodes: [NodeConfig] = []
    private(set) var peers: [PeerConfig] = []

    /// Who already uses a name, key, address or folder: the key path of the entry.
    private var names: [String: String] = [:]
    private var publicKeys: [NodeID: String] = [:]
    /// Each listen address of the file once, with the first entry that names it (nodes
    /// may share one; a file of a thousand classrooms on one address is checked against
    /// one address, not a thousand: that scan took 0.6 of the 0.9 s of reading such a file).
    private var listens: [(address: ListenAddress, entry: String)] = []
    private var listenSeen: Set<ListenAddress> = []
    /// The url paths of the nodes of each listen address (for nodes that share one).
    private var pathsByAddress: [ListenAddress: SharedPaths] = [:]
    private var dataDirs: [String: String] = [:]
    /// The name of each finished entry, to make "already used by nodes[0]" friendlier.
    private var entryNames: [String: String] = [:]

    init(display: String, folder: URL, map: SourceMap) {
        self.display = display
        self.folder = folder
        self.map = map
    }

    func fail(_ key: String, _ problem: String, _ fix: String) -> ConfigError {
        ConfigError(file: display, key: key, problem: problem, fix: fix)
    }

    /// `nodes[0]`, or `nodes[0] ("room-12")` once its name is known.
    private func entryLabel(_ entry: String) -> String {
        if let name = entryNames[entry] { return "\(entry) (\(quoted(name)))" }
        return entry
    }

    // MARK: - Top level

    mutating func parseRoot(_ root: TOMLTable) throws(ConfigError) {
        for key in map.ordered(root.keys, in: .root, canonical: ConfigLoader.rootKeys) {
            guard let value = root[key] else { continue }
            switch key {
            case "sync_interval":
                let range = PenPalsConfig.syncIntervalRange
                guard value.type == .int, let seconds = value.int, range.contains(seconds) else {
                    throw fail("sync_interval", "expected whole seconds from \(range.lowerBound) to \(range.upperBound), found \(describe(value))",
                               "Write e.g. sync_interval = 30 (how often each peer is reconciled), or leave it out for 30")
                }
                syncInterval = seconds
            case "webex":
                guard value.type == .table, let table = value.table else {
                    throw fail("webex", "expected a [webex] section, found \(describe(value))",
                               "Write the WebEx settings under a [webex] header (see nodes.example.toml)")
                }
                webex = try parseWebex(table)
            case "nodes", "peers":
                guard value.type == .array, let array = value.array else {
                    let header = key == "nodes" ? "[[nodes]]" : "[[peers]]"
                    let found = value.type == .table ? "a single [\(key)] table" : describe(value)
                    throw fail(key, "expected \(header) sections, found \(found)",
                               "Start each entry with \(header), in double brackets")
                }
                for index in 0..<array.count {
                    let element = array[index]
                    let entry = "\(key)[\(index)]"
                    guard element.type == .table, let table = element.table else {
                        throw fail(entry, "expected a table, found \(describe(element))",
                                   "Write each entry as a \(key == "nodes" ? "[[nodes]]" : "[[peers]]") section with its keys below it")
                    }
                    if key == "nodes" {
                        nodes.append(try parseNode(table, index: index))
                    } else {
                        peers.append(try parsePeer(table, index: index))
                    }
                }
            default:
                throw fail(keyPath(nil, key), "unknown top-level key \(quoted(key))",
                           didYouMean(key, ConfigLoader.rootKeys) + "The top level holds only sync_interval, [webex], [[nodes]] and [[peers]]")
            }
        }
        if nodes.isEmpty {
            throw fail("nodes", "the file defines no node",
                       "Add a [[nodes]] section with name, display_name, listen, url, data_dir and timezone (see nodes.example.toml)")
        }
    }

    // MARK: - [webex]

    private mutating func parseWebex(_ table: TOMLTable) throws(ConfigError) -> WebexConfig {
        var apiBase: URL?
        var authorizeURL: URL?
        var clientID: String?
        var secret: String?
        var secretKey: String?
        for key in map.ordered(table.keys, in: .table("webex"), canonical: ConfigLoader.webexKeys) {
            guard let value = table[key] else { continue }
            let path = keyPath("webex", key)
            switch key {
            case "api_base":
                let text = try string(value, path, example: "\"https://webexapis.com/v1\"")
                apiBase = try httpURL(text, path, example: "\"https://webexapis.com/v1\" (the sandbox: \"http://127.0.0.1:7400/v1\")")
            case "authorize_url":
                let text = try string(value, path, example: "\"https://webexapis.com/v1/authorize\"")
                authorizeURL = try httpURL(text, path, example: "\"https://webexapis.com/v1/authorize\" (the sandbox: \"http://127.0.0.1:7400/v1/authorize\")")
            case "client_id":
                clientID = try nonEmptyString(value, path, example: "\"sandbox-client\"",
                                              what: "the client ID of your WebEx integration")
            case "client_secret", "client_secret_file":
                if let other = secretKey {
                    throw fail(path, "both \(other) and \(key) are set",
                               "Keep only one of them: client_secret = \"...\" or client_secret_file = \"path\"")
                }
                secretKey = key
                if key == "client_secret" {
                    secret = try nonEmptyString(value, path, example: "\"sandbox-secret\"",
                                                what: "the client secret of your WebEx integration")
                } else {
                    let name = try nonEmptyString(value, path, example: "\"webex-secret.txt\"",
                                                  what: "the path of a file that holds the client secret")
                    secret = try readSecret(name, path)
                }
            default:
                throw fail(path, "unknown key \(quoted(key)) in [webex]",
                           didYouMean(key, ConfigLoader.webexKeys) + "Allowed keys in [webex]: " + ConfigLoader.webexKeys.joined(separator: ", "))
            }
        }
        guard let clientID else {
            throw fail("webex.client_id", "[webex] has no client_id",
                       "Add client_id = \"...\" with the client ID of your WebEx integration (the sandbox accepts \"sandbox-client\")")
        }
        guard let secret else {
            throw fail("webex.client_secret", "[webex] has neither client_secret nor client_secret_file",
                       "Add client_secret = \"...\", or client_secret_file = \"path\" naming a file that holds it")
        }
        return WebexConfig(apiBase: apiBase ?? WebexConfig.defaultAPIBase,
                           authorizeURL: authorizeURL ?? WebexConfig.defaultAuthorizeURL,
                           clientID: clientID, clientSecret: secret)
    }

    private func readSecret(_ name: String, _ path: String) throws(ConfigError) -> String {
        let file = absoluteFileURL(name, base: folder.path)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file.path, isDirectory: &isFolder) else {
            throw fail(path, "the secret file \(quoted(name)) does not exist (looked for \(file.path))",
                       "Create it with the client secret in it, or set client_secret instead; relative paths start at the config file's folder")
        }
        guard !isFolder.boolValue else {
            throw fail(path, "\(quoted(name)) is a folder, not a file", "Name the file that holds the client secret")
        }
        let data: Data
        do {
            guard let read = try readBounded(file, limit: 64 << 10) else {
                throw fail(path, "the secret file \(quoted(name)) is larger than 64 KiB, so it is not read",
                           "Put the client secret alone in it")
            }
            data = read
        } catch let error as ConfigError {
            throw error
        } catch {
            throw fail(path, "the secret file \(quoted(name)) cannot be read (\(ConfigLoader.readReason(file.path, error)))",
                       "Make it readable by the user that runs penpals, e.g. chmod 600 \(file.path) as that user")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw fail(path, "the secret file \(quoted(name)) is not UTF-8 text", "Put the client secret in it as plain text")
        }
        var secret = Substring(text)
        while let last = secret.last, last.isNewline || last == " " || last == "\t" { secret.removeLast() }
        guard !secret.isEmpty else {
            throw fail(path, "the secret file \(quoted(name)) is empty", "Put the client secret of your WebEx integration in it")
        }
        guard !secret.contains(where: \.isNewline) else {
            throw fail(path, "the secret file \(quoted(name)) holds more than one line",
                       "Put only the client secret in it, on one line")
        }
        return String(secret)
    }

    // MARK: - [[nodes]]

    private mutating func parseNode(_ table: TOMLTable, index: Int) throws(ConfigError) -> NodeConfig {
        let entry = "nodes[\(index)]"
        var name: String?
        var displayName: String?
        var listen: ListenAddress?
        var url: URL?
        var dataDir: URL?
        var timezone: String?
        var publicKey: NodeID?
        let examplePort = 7411 + index

        for key in map.ordered(table.keys, in: .element("nodes", index), canonical: ConfigLoader.nodeKeys) {
            guard let value = table[key] else { continue }
            let path = keyPath(entry, key)
            switch key {
            case "name":
                name = try uniqueName(value, path, entry: entry)
            case "display_name":
                displayName = try nonEmptyString(value, path, example: "\"Room 12 · Lincoln Elementary\"",
                                                 what: "the classroom's name as people see it")
            case "listen":
                let text = try string(value, path, example: "\"127.0.0.1:\(examplePort)\"")
                guard let address = ListenAddress(text) else {
                    let colons = text.filter { $0 == ":" }.count
                    let fix = colons > 1 && !text.hasPrefix("[")
                        ? "Put an IPv6 address in brackets, e.g. \"[::1]:\(examplePort)\""
                        : "Use host:port with a port from 1 to 65535, e.g. \"127.0.0.1:\(examplePort)\""
                    throw fail(path, "\(quoted(text)) is not a valid address", fix)
                }
                // Nodes may share one address exactly when their url paths keep them
                // apart (checked once the url is read, below); an address that overlaps
                // another without being it (0.0.0.0 and 127.0.0.1 on one port) cannot be shared.
                if let other = listens.first(where: { $0.address.overlaps(address) && $0.address != address }) {
                    let free = (listens.map(\.address.port) + [address.port]).max()! + 1
                    let same = other.address == address
                    throw fail(path,
                               same ? "\(quoted(text)) is already the listen address of \(entryLabel(other.entry))"
                                    : "\(quoted(text)) overlaps \(quoted(other.address.description)), the listen address of \(entryLabel(other.entry))",
                               "Give each node its own port, e.g. \(quoted(ListenAddress(host: address.host, port: min(free, 65535)).description))")
                }
                if listenSeen.insert(address).inserted { listens.append((address, entry)) }
                listen = address
            case "url":
                let text = try string(value, path, example: "\"http://127.0.0.1:\(examplePort)\"")
                let example = listen.map { "\"http://\($0.host == "0.0.0.0" || $0.host == "::" ? "127.0.0.1:\($0.port)" : $0.description)\"" }
                    ?? "\"http://127.0.0.1:\(examplePort)\""
                url = try httpURL(text, path, example: example + ", the address at which peers reach this node")
            case "data_dir":
                let text = try nonEmptyString(value, path, example: "\"data/room-12\"",
                                              what: "the folder that holds this node's key and database")
                let dir = absoluteFileURL(text, base: folder.path, isDirectory: true)
                if let other = dataDirs[dir.path] {
                    throw fail(path, "\(quoted(text)) is already the data_dir of \(entryLabel(other))",
                               "Give each node its own folder, e.g. \"data/\(name ?? "node-\(index)")\"")
                }
                dataDirs[dir.path] = entry
                dataDir = dir
            case "timezone":
                let text = try string(value, path, example: "\"America/Chicago\"")
                guard !text.isEmpty, TimeZone(identifier: text) != nil else {
                    var fix = "Use an IANA time zone name, e.g. \"America/Chicago\", \"Europe/Oslo\" or \"Asia/Tokyo\""
                    if let match = TimeZone.knownTimeZoneIdentifiers.first(where: {
                        $0.caseInsensitiveCompare(text) == .orderedSame
                            || $0.caseInsensitiveCompare(text.replacingOccurrences(of: " ", with: "_")) == .orderedSame
                    }) {
                        fix = "Did you mean \(quoted(match))? Time zone names are case-sensitive IANA names"
                    }
                    throw fail(path, "\(quoted(text)) is not a known time zone", fix)
                }
                timezone = text
            case "public_key":
                publicKey = try uniqueKey(value, path, entry: entry)
            default:
                throw fail(path, "unknown key \(quoted(key)) in [[nodes]]",
                           didYouMean(key, ConfigLoader.nodeKeys) + "Allowed keys in [[nodes]]: " + ConfigLoader.nodeKeys.joined(separator: ", "))
            }
        }

        let examples = ["name": "\"room-12\"", "display_name": "\"Room 12 · Lincoln Elementary\"",
                        "listen": "\"127.0.0.1:\(examplePort)\"", "url": "\"http://127.0.0.1:\(examplePort)\"",
                        "data_dir": "\"data/\(name ?? "room-12")\"", "timezone": "\"America/Chicago\""]
        for key in ConfigLoader.requiredNodeKeys where table[key] == nil {
            throw fail(keyPath(entry, key), "this [[nodes]] entry has no \(key)",
                       "Add \(key) = \(examples[key]!) to it (every [[nodes]] entry needs " + ConfigLoader.requiredNodeKeys.joined(separator: ", ") + ")")
        }
        try checkSharedListen(entry: entry, listen: listen!, url: url!, urlPath: keyPath(entry, "url"))
        entryNames[entry] = name!
        return NodeConfig(name: name!, displayName: displayName!, listen: listen!, url: url!, dataDir: dataDir!,
                          timezone: timezone!, publicKey: publicKey)
    }

    /// Several nodes on one listen address are told apart by their url paths (contract
    /// §7.1): each needs a path, and no path may equal another or be a leading segment
    /// of it (`/lincoln` and `/lincoln/room-12`).
    private mutating func checkSharedListen(entry: String, listen: ListenAddress, url: URL, urlPath path: String) throws(ConfigError) {
        let mine = url.path.split(separator: "/").map(String.init)
        var paths = pathsByAddress[listen, default: SharedPaths()]
        defer { pathsByAddress[listen] = paths }
        guard let first = paths.entries.first else {
            paths.add(mine, entry: entry)
            return
        }
        let fix = "Give each node on \(quoted(listen.description)) a url path of its own, e.g. \(quoted("\(url.scheme ?? "https")://\(url.host ?? "host")/school/room-12")) and \(quoted("\(url.scheme ?? "https")://\(url.host ?? "host")/school/room-14")), or give this node another listen port"
        // The first node without a path, or this one, clashes with every other.
        if mine.isEmpty || paths.rootEntry != nil {
            let other = paths.rootEntry ?? first.entry
            throw fail(path, "\(entryLabel(other)) listens on \(quoted(listen.description)) too, and nodes that share a listen address need a url path each (\(quoted(url.absoluteString)) has none\(mine.isEmpty ? "" : " there"))", fix)
        }
        let joined = mine.joined(separator: "/")
        if let other = paths.whole[joined] {
            throw fail(path, "the url path /\(joined) is already the path of \(entryLabel(other)), which listens on \(quoted(listen.description)) too", fix)
        }
        // A path of another node leads this one, or this one leads another's.
        for count in 1..<mine.count {
            let lead = mine.prefix(count).joined(separator: "/")
            if let other = paths.whole[lead] {
                throw fail(path, "the url paths /\(lead) and /\(joined) (of \(entryLabel(other)), on \(quoted(listen.description)) too) cannot share a listen address: the first is a leading segment of the second", fix)
            }
        }
        if let (other, longer) = paths.leading[joined] {
            throw fail(path, "the url paths /\(joined) and /\(longer) (of \(entryLabel(other)), on \(quoted(listen.description)) too) cannot share a listen address: the first is a leading segment of the second", fix)
        }
        paths.add(mine, entry: entry)
    }

    /// The url paths of the nodes on one listen address: whole, and every leading part of each.
    private struct SharedPaths {
        var entries: [(entry: String, path: [String])] = []
        var rootEntry: String?
        var whole: [String: String] = [:]
        var leading: [String: (entry: String, path: String)] = [:]

        mutating func add(_ path: [String], entry: String) {
            entries.append((entry, path))
            if path.isEmpty { rootEntry = rootEntry ?? entry; return }
            let joined = path.joined(separator: "/")
            whole[joined] = entry
            for count in 1..<path.count where leading[path.prefix(count).joined(separator: "/")] == nil {
                leading[path.prefix(count).joined(separator: "/")] = (entry, joined)
            }
        }
    }

    // MARK: - [[peers]]

    private mutating func parsePeer(_ table: TOMLTable, index: Int) throws(ConfigError) -> PeerConfig {
        let entry = "peers[\(index)]"
        var name: String?
        var displayName: String?
        var url: URL?
        var publicKey: NodeID?

        for key in map.ordered(table.keys, in: .element("peers", index), canonical: ConfigLoader.peerKeys) {
            guard let value = table[key] else { continue }
            let path = keyPath(entry, key)
            switch key {
            case "name":
                name = try uniqueName(value, path, entry: entry)
            case "display_name":
                displayName = try nonEmptyString(value, path, example: "\"7A · Oslo International School\"",
                                                 what: "the classroom's name as people see it, or leave the key out")
            case "url":
                let text = try string(value, path, example: "\"https://penpals.example-school.no/7a\"")
                url = try httpURL(text, path, example: "\"https://penpals.example-school.no/7a\", the url that the other school's `penpals id` prints")
            case "public_key":
                publicKey = try uniqueKey(value, path, entry: entry)
            default:
                throw fail(path, "unknown key \(quoted(key)) in [[peers]]",
                           didYouMean(key, ConfigLoader.peerKeys) + "Allowed keys in [[peers]]: " + ConfigLoader.peerKeys.joined(separator: ", "))
            }
        }
        let examples = ["name": "\"oslo-7a\"", "url": "\"https://penpals.example-school.no/7a\"",
                        "public_key": "\"<node id>\" (the 43-character node id that `penpals id` prints on that node)"]
        for key in ConfigLoader.requiredPeerKeys where table[key] == nil {
            throw fail(keyPath(entry, key), "this [[peers]] entry has no \(key)",
                       "Add \(key) = \(examples[key]!) to it (every [[peers]] entry needs name, url and public_key)")
        }
        entryNames[entry] = name!
        return PeerConfig(name: name!, displayName: displayName, url: url!, publicKey: publicKey!)
    }

    // MARK: - Values

    private mutating func uniqueName(_ value: any TOMLValueConvertible, _ path: String, entry: String) throws(ConfigError) -> String {
        let text = try string(value, path, example: "\"room-12\"")
        guard isSlug(text) else {
            let suggestion = slugified(text)
            throw fail(path, "\(quoted(text)) is not a valid name",
                       "Use 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit, e.g. \(quoted(suggestion.isEmpty ? "room-12" : suggestion))")
        }
        if let other = names[text] {
            throw fail(path, "\(quoted(text)) is already the name of \(other)",
                       "Give every node and peer its own name, e.g. \(quoted(String((text + "-2").prefix(63))))")
        }
        names[text] = entry
        return text
    }

    private mutating func uniqueKey(_ value: any TOMLValueConvertible, _ path: String, entry: String) throws(ConfigError) -> NodeID {
        let text = try string(value, path, example: "\"<node id>\"")
        guard let id = NodeID(text) else {
            throw fail(path, "\(quoted(text)) is not a node id",
                       "Use the node id that `penpals id` prints on that node: 43 characters of base64url (A-Z, a-z, 0-9, - and _) encoding its 32-byte public key")
        }
        if let other = publicKeys[id] {
            throw fail(path, "this key is already the public_key of \(entryLabel(other))",
                       "Every node has its own key: correct the key, or remove the entry that repeats the other one")
        }
        publicKeys[id] = entry
        return id
    }

    private func string(_ value: any TOMLValueConvertible, _ path: String, example: String) throws(ConfigError) -> String {
        guard value.type == .string, let text = value.string else {
            throw fail(path, "expected a string in quotes, found \(describe(value))",
                       "Write it as \(leaf(path)) = \(example)")
        }
        return text
    }

    private func nonEmptyString(_ value: any TOMLValueConvertible, _ path: String, example: String, what: String) throws(ConfigError) -> String {
        let text = try string(value, path, example: example)
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw fail(path, "is empty", "Write \(what), e.g. \(leaf(path)) = \(example)")
        }
        return text
    }

    /// An absolute http(s) URL with a host, no query or fragment, trailing slashes removed.
    private func httpURL(_ text: String, _ path: String, example: String) throws(ConfigError) -> URL {
        let fix = "Use an absolute http:// or https:// URL, e.g. \(example)"
        guard !text.isEmpty, !text.contains(where: { $0.isWhitespace }),
              let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw fail(path, "\(quoted(text)) is not an http or https URL", fix)
        }
        guard let host = url.host, !host.isEmpty else {
            throw fail(path, "\(quoted(text)) has no host", fix)
        }
        if let port = url.port, !(1...65535).contains(port) {
            throw fail(path, "\(quoted(text)) has a port outside 1 to 65535", fix)
        }
        guard url.user == nil, url.password == nil else {
            throw fail(path, "\(quoted(text)) carries a user name or password", "Leave credentials out of the URL. " + fix)
        }
        guard url.query == nil, url.fragment == nil else {
            throw fail(path, "\(quoted(text)) has a query or fragment (a ? or # part)", "Remove the part from ? or #. " + fix)
        }
        var trimmed = text
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let result = URL(string: trimmed) else {
            throw fail(path, "\(quoted(text)) is not an http or https URL", fix)
        }
        return result
    }
}

// MARK: - Helpers

/// `^[a-z0-9][a-z0-9-]{0,62}$`
func isSlug(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard (1...63).contains(bytes.count) else { return false }
    func ok(_ b: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) }
    return ok(bytes[0]) && bytes.dropFirst().allSatisfy { ok($0) || $0 == UInt8(ascii: "-") }
}

/// A slug made from any text: "Room 12" → "room-12".
func slugified(_ text: String) -> String {
    var out = ""
    for ch in text.lowercased() {
        if ch.isASCII && (ch.isLetter || ch.isNumber) {
            out.append(ch)
        } else if !out.isEmpty && out.last != "-" {
            out.append("-")
        }
    }
    while out.hasSuffix("-") { out.removeLast() }
    return String(out.prefix(63))
}

/// `nodes[0].name`; keys that are not bare TOML keys are quoted: `nodes[0]."odd key"`.
func keyPath(_ base: String?, _ key: String) -> String {
    let bare = !key.isEmpty && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    let part = bare ? key : quoted(key)
    guard let base else { return part }
    return base + "." + part
}

/// The last key of a path: `nodes[0].listen` → `listen`.
func leaf(_ path: String) -> String {
    if let dot = path.lastIndex(of: ".") { return String(path[path.index(after: dot)...]) }
    return path
}

/// "the integer 7411", "a table", …
func describe(_ value: any TOMLValueConvertible) -> String {
    switch value.type {
    case .string: return "the string \(quoted(value.string ?? ""))"
    case .int: return "the integer \(value.int.map(String.init) ?? "")"
    case .double: return "the number \(value.double.map { String($0) } ?? "")"
    case .bool: return value.bool == true ? "true" : "false"
    case .table: return "a table"
    case .array: return "an array"
    case .date: return "a date"
    case .time: return "a time"
    case .dateTime: return "a date-time"
    }
}

/// "Did you mean "display_name"? " when `key` is a likely typo of one of `allowed`, else "".
func didYouMean(_ key: String, _ allowed: [String]) -> String {
    guard let guess = closest(to: key, among: allowed) else { return "" }
    return "Did you mean \(quoted(guess))? "
}

func closest(to word: String, among candidates: [String]) -> String? {
    let lower = word.lowercased()
    var best: (String, Int)?
    for candidate in candidates {
        let distance = editDistance(lower, candidate.lowercased())
        let limit = max(1, min(3, candidate.count / 3))
        if distance <= limit, best == nil || distance < best!.1 { best = (candidate, distance) }
    }
    return best?.0
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
