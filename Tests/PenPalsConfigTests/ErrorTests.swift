import Foundation
import PenPalsCore
import Testing
@testable import PenPalsConfig

@Suite struct FileErrorTests {
    @Test func missingFile() {
        let dir = TempDir()
        let path = dir.path + "/nope.toml"
        do {
            _ = try PenPalsConfig.load(path: path)
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.file == path)
            #expect(error.key == "")
            #expect(error.problem.contains("does not exist"))
            #expect(error.fix.contains("--config"))
            expectOneLine(error, file: path)
        }
    }

    @Test func folderInsteadOfFile() {
        let dir = TempDir()
        do {
            _ = try PenPalsConfig.load(path: dir.path)
            Issue.record("loaded a folder")
        } catch {
            #expect(error.problem.contains("folder"))
            expectOneLine(error, file: dir.path)
        }
    }

    @Test func relativePathNamesTheFileAsGiven() {
        do {
            _ = try PenPalsConfig.load(path: "surely-not-here-\(UUID().uuidString).toml")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.description.hasPrefix("error: surely-not-here-"))
        }
    }

    @Test func notUTF8() {
        let dir = TempDir()
        let path = dir.path + "/nodes.toml"
        _ = FileManager.default.createFile(atPath: path, contents: Data([0x6e, 0x61, 0x6d, 0x65, 0x20, 0x3d, 0x20, 0xff, 0xfe]))
        do {
            _ = try PenPalsConfig.load(path: path)
            Issue.record("loaded bad bytes")
        } catch {
            #expect(error.problem.contains("UTF-8"))
            expectOneLine(error, file: path)
        }
    }

    @Test func aFileOverFourMebibytesIsNotRead() {
        let dir = TempDir()
        let path = dir.path + "/nodes.toml"
        let line = Data("# a comment line that a config file would never hold a million of\n".utf8)
        var big = Data()
        while big.count <= 4 << 20 { big.append(line) }
        _ = FileManager.default.createFile(atPath: path, contents: big)
        do {
            _ = try PenPalsConfig.load(path: path)
            Issue.record("loaded a file of \(big.count) bytes")
        } catch {
            #expect(error.problem.contains("larger than 4 MiB"))
            expectOneLine(error, file: path)
        }
    }

    @Test func syntaxErrorHasLineAndColumn() throws {
        let text = """
        [[nodes]]
        name = "room-12"
        listen = 127.0.0.1:7411
        """
        let error = try #require(expectError(text, key: "line 3, column 12", problem: "not valid TOML"))
        #expect(error.description.contains(": line 3, column 12: "))
    }

    @Test func syntaxErrorUnclosedString() throws {
        let text = "[[nodes]]\nname = \"room-12\ndisplay_name = \"x\"\n"
        let error = try #require(expectError(text, key: "line 2, column 16", problem: "not valid TOML"))
        #expect(error.key.hasPrefix("line 2, "))
    }

    @Test("a table header that opens without a name is a syntax error, not an abort")
    func headerWithoutName() {
        // toml++ only asserts that a header opens with a key: each of these aborted the
        // process (found by Tests/Fuzz/Config).
        let node = nodeBlock("room-12", port: 7411)
        expectError("[!]\n" + node, key: "line 1, column 2", problem: "table header")
        expectError(node + "[[ \u{E9} ]]\n", key: "line 9, column 4", problem: "table header")
        expectError("[\n" + node, key: "line 1, column 2", problem: "table header")
        expectError("\u{FEFF}[\u{1}]\n" + node, key: "line 1, column 2", problem: "table header")
        // In a multi-line string such a line is text; a header after the string is not.
        expectError("x = \"\"\"\n[!]\n\"\"\"\n[\u{E9}]\n", key: "line 4, column 2", problem: "table header")
        expectError("x = '''\n[!]\n'''\n" + node, key: "x", problem: "unknown top-level key")
    }

    @Test("values nested deeper than a config file ever needs are a syntax error, not an abort")
    func deeplyNestedValues() throws {
        // toml++ asserts on arrays nested deep enough (found by Tests/Fuzz/Config).
        let node = nodeBlock("room-12", port: 7411)
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        expectError("x = " + deep + "\n" + node, key: "line 1, column 37", problem: "nested more than 32 deep")
        expectError("x = [" + String(repeating: "{a = [", count: 20) + "\n" + node, key: "line 1, column 101", problem: "nested")
        // Brackets in strings and comments do not count; 32 levels are read (and refused as unknown).
        expectError("# " + deep + "\nx = \"" + deep + "\"\n" + node, key: "x", problem: "unknown top-level key")
        expectError("x = " + String(repeating: "[", count: 32) + String(repeating: "]", count: 32) + "\n" + node,
                    key: "x", problem: "unknown top-level key")
    }

    @Test("an array missing a value before a comma or a brace is a syntax error, not an abort")
    func arrayMissingAValue() throws {
        // toml++ asserts on `[[[}` (found by Tests/Fuzz/Config after 513,240 inputs).
        let node = nodeBlock("room-12", port: 7411)
        expectError("timezone = [[[}A\n" + node, key: "line 1, column 15", problem: "a value is missing")
        expectError("x = [1, ,]\n" + node, key: "line 1, column 9", problem: "a value is missing")
        expectError("x = [\n  # none yet\n  , 2]\n" + node, key: "line 3, column 3", problem: "a value is missing")
        // Empty arrays, trailing commas and inline tables in arrays are read (and refused as unknown).
        expectError("x = [[], [1, ], [{a = [1, ]}, {}], \"[,}\"]\n" + node, key: "x", problem: "unknown top-level key")
    }

    @Test("a date followed by a space, one digit and a tab is a syntax error, not an abort")
    func loneDigitAfterDate() throws {
        // toml++ asserts on it (found by Tests/Fuzz/Config after 4,916,710 inputs).
        let node = nodeBlock("room-12", port: 7411)
        expectError("c \t=2051-01-34 0\t\n" + node, key: "line 1, column 16", problem: "lone digit")
        expectError("c = [2051-01-31 0]\n" + node, key: "line 1, column 17", problem: "lone digit")
        // toml++ counts the ten characters without `_`, and asserts on this one too.
        expectError("c = 20_51-01-31 0\t\n" + node, key: "line 1, column 17", problem: "lone digit")
        // Letters other than e, t, z and a few more add nothing to what toml++ weighs (3.5 million inputs later).
        expectError("url = 115--4--lu 1#\n" + node, key: "line 1, column 18", problem: "lone digit")
        expectError("c = 2051-0l-3l 0}\n" + node, key: "line 1, column 16", problem: "lone digit")
        // toml++'s whitespace is wider than Unicode's (5.6 million inputs later).
        expectError("l = 30x------- 0\u{FEFF}\n" + node, key: "line 1, column 16", problem: "lone digit")
        // In a string it is text; a real date-time with a space is read (and refused as unknown).
        expectError("c = \"2051-01-31 0 pm\"\n" + node, key: "c", problem: "unknown top-level key")
        expectError("c = 2051-01-31 01:02:03\n" + node, key: "c", problem: "unknown top-level key")
    }

    @Test func duplicateKeyInOneTableIsASyntaxError() throws {
        let text = nodeBlock("room-12", port: 7411, extra: ["name = \"again\""])
        let error = try #require(expectError(text, key: "line 8, column 8", problem: "not valid TOML"))
        #expect(error.key.hasPrefix("line 8"))
    }
}

@Suite struct UnknownKeyTests {
    @Test func atTopLevel() {
        expectError("colour = \"blue\"\n" + nodeBlock("room-12", port: 7411), key: "colour",
                    problem: "unknown top-level key \"colour\"", fix: "[webex], [[nodes]] and [[peers]]")
    }

    @Test func misspelledSection() {
        expectError(nodeBlock("room-12", port: 7411) + "[[peer]]\nname = \"x\"\n", key: "peer",
                    problem: "unknown top-level key", fix: "Did you mean \"peers\"?")
    }

    @Test func inWebex() {
        let text = webexBlock.replacingOccurrences(of: "[webex]\n", with: "[webex]\nredirect_uri = \"x\"\n") + nodeBlock("room-12", port: 7411)
        expectError(text, key: "webex.redirect_uri", problem: "unknown key \"redirect_uri\" in [webex]",
                    fix: "api_base, authorize_url, client_id, client_secret, client_secret_file")
    }

    @Test func inNode() {
        expectError(nodeBlock("room-12", port: 7411, extra: ["dispaly_name = \"typo\""]), key: "nodes[0].dispaly_name",
                    problem: "unknown key \"dispaly_name\" in [[nodes]]",
                    fix: "Did you mean \"display_name\"? Allowed keys in [[nodes]]: name, display_name, listen, url, data_dir, timezone, public_key")
    }

    @Test func inSecondNode() {
        expectError(nodeBlock("a", port: 7411) + nodeBlock("b", port: 7412, extra: ["port = 7412"]), key: "nodes[1].port")
    }

    @Test func inPeer() {
        expectError(nodeBlock("room-12", port: 7411) + peerBlock("oslo-7a", key: keyA, extra: ["listen = \"x\""]),
                    key: "peers[0].listen", problem: "unknown key \"listen\" in [[peers]]",
                    fix: "Allowed keys in [[peers]]: name, display_name, url, public_key")
    }

    @Test func oddKeyIsQuotedInThePath() {
        expectError(nodeBlock("room-12", port: 7411, extra: ["\"time zone\" = \"x\""]), key: "nodes[0].\"time zone\"")
    }
}

@Suite struct MissingKeyTests {
    @Test(arguments: ["name", "display_name", "listen", "url", "data_dir", "timezone"])
    func nodeKey(_ key: String) {
        expectError(nodeBlock("room-12", port: 7411, drop: [key]), key: "nodes[0].\(key)",
                    problem: "has no \(key)", fix: "Add \(key) = ")
    }

    @Test func nodeKeyInSecondNode() {
        expectError(nodeBlock("a", port: 7411) + nodeBlock("b", port: 7412, drop: ["timezone"]), key: "nodes[1].timezone")
    }

    @Test(arguments: ["name", "url", "public_key"])
    func peerKey(_ key: String) {
        expectError(nodeBlock("room-12", port: 7411) + peerBlock("oslo-7a", key: keyA, drop: [key]),
                    key: "peers[0].\(key)", problem: "has no \(key)")
    }

    @Test func webexClientID() {
        let text = webexBlock.replacingOccurrences(of: "client_id = \"sandbox-client\"\n", with: "") + nodeBlock("room-12", port: 7411)
        expectError(text, key: "webex.client_id", problem: "no client_id", fix: "Add client_id = ")
    }

    @Test func webexSecret() {
        let text = webexBlock.replacingOccurrences(of: "client_secret = \"sandbox-secret\"\n", with: "") + nodeBlock("room-12", port: 7411)
        expectError(text, key: "webex.client_secret", problem: "neither client_secret nor client_secret_file")
    }

    @Test func noNodesAtAll() {
        expectError("", key: "nodes", problem: "defines no node", fix: "[[nodes]]")
        expectError(webexBlock, key: "nodes", problem: "defines no node")
        expectError(peerBlock("oslo-7a", key: keyA), key: "nodes", problem: "defines no node")
        expectError("nodes = []\n", key: "nodes", problem: "defines no node")
    }
}

@Suite struct WrongTypeTests {
    @Test func listenAsInteger() {
        expectError(nodeBlock("room-12", port: 7411, set: ["listen": "7411"]), key: "nodes[0].listen",
                    problem: "expected a string in quotes, found the integer 7411", fix: "listen = \"127.0.0.1:7411\"")
    }

    @Test func nameAsBool() {
        expectError(nodeBlock("room-12", port: 7411, set: ["name": "true"]), key: "nodes[0].name", problem: "found true")
    }

    @Test func publicKeyAsArray() {
        expectError(nodeBlock("room-12", port: 7411) + peerBlock("p", key: keyA, set: ["public_key": "[1, 2]"]),
                    key: "peers[0].public_key", problem: "found an array")
    }

    @Test func clientIDAsNumber() {
        let text = webexBlock.replacingOccurrences(of: "client_id = \"sandbox-client\"", with: "client_id = 12.5") + nodeBlock("room-12", port: 7411)
        expectError(text, key: "webex.client_id", problem: "found the number 12.5")
    }

    @Test func webexNotATable() {
        expectError("webex = \"yes\"\n" + nodeBlock("room-12", port: 7411), key: "webex", problem: "expected a [webex] section")
    }

    @Test func nodesAsSingleTable() {
        expectError("[nodes]\nname = \"room-12\"\n", key: "nodes", problem: "a single [nodes] table", fix: "[[nodes]]")
    }

    @Test func nodesElementNotATable() {
        expectError("nodes = [1]\n", key: "nodes[0]", problem: "expected a table, found the integer 1")
    }

    @Test func peersAsString() {
        expectError(nodeBlock("room-12", port: 7411).replacingOccurrences(of: "[[nodes]]", with: "peers = \"none\"\n[[nodes]]"),
                    key: "peers", problem: "expected [[peers]] sections")
    }

    @Test func emptyDisplayName() {
        expectError(nodeBlock("room-12", port: 7411, set: ["display_name": "\"  \""]), key: "nodes[0].display_name", problem: "is empty")
    }

    @Test func inlineTablesWork() throws {
        let text = """
        nodes = [{ name = "a", display_name = "A", listen = "127.0.0.1:7411", url = "http://127.0.0.1:7411", data_dir = "a", timezone = "UTC" }]
        """
        #expect(try load(text).nodes.map(\.name) == ["a"])
        let bad = text.replacingOccurrences(of: "timezone = \"UTC\"", with: "timezone = \"UTC\", colour = 1")
        expectError(bad, key: "nodes[0].colour")
    }
}

@Suite struct ValueErrorTests {
    @Test(arguments: ["Room 12", "-room", "", "room_12", "Room-12", String(repeating: "a", count: 64), "école"])
    func badSlug(_ name: String) {
        expectError(nodeBlock("room-12", port: 7411, set: ["name": quotedTOML(name)]), key: "nodes[0].name",
                    problem: "is not a valid name", fix: "lowercase letters, digits and dashes")
    }

    @Test func badSlugSuggestsOne() {
        expectError(nodeBlock("x", port: 7411, set: ["name": "\"Room 12\""]), key: "nodes[0].name", fix: "e.g. \"room-12\"")
    }

    @Test func badPeerSlug() {
        expectError(nodeBlock("room-12", port: 7411) + peerBlock("Oslo 7A", key: keyA), key: "peers[0].name")
    }

    @Test func duplicateNodeName() {
        expectError(nodeBlock("room-12", port: 7411) + nodeBlock("room-12", port: 7412, set: ["data_dir": "\"other\""]),
                    key: "nodes[1].name", problem: "\"room-12\" is already the name of nodes[0]")
    }

    @Test func duplicateNameAcrossNodeAndPeer() {
        expectError(nodeBlock("room-12", port: 7411) + peerBlock("room-12", key: keyA),
                    key: "peers[0].name", problem: "already the name of nodes[0]", fix: "own name")
    }

    @Test func duplicatePeerName() {
        expectError(nodeBlock("room-12", port: 7411) + peerBlock("oslo", key: keyA) + peerBlock("oslo", key: keyB),
                    key: "peers[1].name", problem: "already the name of peers[0]")
    }

    @Test func badListenIsTheDocumentedLine() throws {
        let dir = TempDir()
        let text = nodeBlock("room-12", port: 7411) + nodeBlock("kobe-4b", port: 7412, set: ["listen": "\"127.0.0.1:99999\""])
        let error = try #require(expectError(text, key: "nodes[1].listen", in: dir))
        #expect(error.description == "error: \(dir.path)/nodes.toml: nodes[1].listen: \"127.0.0.1:99999\" is not a valid address. Use host:port with a port from 1 to 65535, e.g. \"127.0.0.1:7412\".")
    }

    @Test(arguments: ["127.0.0.1", "127.0.0.1:0", ":7411", "300.1.1.1:80", "127.0.0.1:http"])
    func badListen(_ listen: String) {
        expectError(nodeBlock("room-12", port: 7411, set: ["listen": quotedTOML(listen)]), key: "nodes[0].listen",
                    problem: "is not a valid address", fix: "port from 1 to 65535")
    }

    @Test func bareIPv6ListenGetsBracketAdvice() {
        expectError(nodeBlock("room-12", port: 7411, set: ["listen": "\"::1:7411\""]), key: "nodes[0].listen", fix: "in brackets")
    }

    @Test func duplicateListenWithoutURLPaths() {
        expectError(nodeBlock("a", port: 7411) + nodeBlock("b", port: 7412, set: ["listen": "\"127.0.0.1:7411\""]),
                    key: "nodes[1].url", problem: "nodes[0] (\"a\") listens on \"127.0.0.1:7411\" too, and nodes that share a listen address need a url path each",
                    fix: "another listen port")
    }

    /// Several nodes on one listen address, told apart by their url paths (contract §7.1).
    static func shared(_ pathA: String, _ pathB: String) -> String {
        nodeBlock("a", port: 7411, set: ["url": "\"https://penpals.district.example\(pathA)\""])
            + nodeBlock("b", port: 7411, set: ["url": "\"https://penpals.district.example\(pathB)\""])
    }

    @Test func sharedListenWithDistinctPathsLoads() throws {
        let config = try load(Self.shared("/lincoln/room-12", "/lincoln/room-14")
            + nodeBlock("c", port: 7411, set: ["url": "\"https://penpals.district.example/kobe/4b\""]))
        #expect(config.nodes.map(\.listen.description) == ["127.0.0.1:7411", "127.0.0.1:7411", "127.0.0.1:7411"])
    }

    @Test func sharedListenWithEqualPaths() {
        expectError(Self.shared("/lincoln/room-12", "/lincoln/room-12/"), key: "nodes[1].url",
                    problem: "the url path /lincoln/room-12 is already the path of nodes[0] (\"a\")", fix: "a url path of its own")
    }

    @Test(arguments: [("/lincoln", "/lincoln/room-12"), ("/lincoln/room-12", "/lincoln")])
    func sharedListenWithALeadingSegment(_ paths: (String, String)) {
        expectError(Self.shared(paths.0, paths.1), key: "nodes[1].url",
                    problem: "the url paths /lincoln and /lincoln/room-12", fix: "a url path of its own")
    }

    @Test func sharedListenWithOneAtTheRoot() {
        expectError(Self.shared("/lincoln/room-12", ""), key: "nodes[1].url", problem: "need a url path each")
    }

    @Test func aSegmentThatOnlyBeginsLikeAnotherIsNoLeadingSegment() throws {
        _ = try load(Self.shared("/lincoln/room-1", "/lincoln/room-12"))
    }

    @Test func overlappingListen() {
        expectError(nodeBlock("a", port: 7411, set: ["listen": "\"0.0.0.0:7411\""]) + nodeBlock("b", port: 7411),
                    key: "nodes[1].listen", problem: "overlaps \"0.0.0.0:7411\"")
    }

    @Test(arguments: ["ftp://example.org", "127.0.0.1:7411", "http://", "http:///path", "http://h:99999",
                      "http://h/?q=1", "http://h/#top", "https://user:pw@h", "http://exa mple.org", "", "/relative"])
    func badNodeURL(_ url: String) {
        expectError(nodeBlock("room-12", port: 7411, set: ["url": quotedTOML(url)]), key: "nodes[0].url", fix: "http")
    }

    @Test func badPeerURL() {
        expectError(nodeBlock("room-12", port: 7411) + peerBlock("p", key: keyA, set: ["url": "\"penpals.example.no\""]),
                    key: "peers[0].url", problem: "is not an http or https URL")
    }

    @Test func badTimezone() {
        expectError(nodeBlock("room-12", port: 7411, set: ["timezone": "\"Mars/Olympus_Mons\""]), key: "nodes[0].timezone",
                    problem: "\"Mars/Olympus_Mons\" is not a known time zone", fix: "IANA")
    }

    @Test func timezoneCaseSuggestion() {
        expectError(nodeBlock("room-12", port: 7411, set: ["timezone": "\"america/chicago\""]), key: "nodes[0].timezone",
                    fix: "Did you mean \"America/Chicago\"?")
    }

    @Test(arguments: ["abc", String(repeating: "A", count: 44), String(keyA.dropLast()) + "=", keyA + "=",
                      String(repeating: "A", count: 42) + "B", "<node id>"])
    func badPeerPublicKey(_ key: String) {
        expectError(nodeBlock("room-12", port: 7411) + peerBlock("p", key: key), key: "peers[0].public_key",
                    problem: "is not a node id", fix: "43 characters of base64url")
    }

    @Test func badNodePublicKey() {
        expectError(nodeBlock("room-12", port: 7411, set: ["public_key": "\"nope\""]), key: "nodes[0].public_key", problem: "is not a node id")
    }

    @Test func duplicatePublicKey() {
        expectError(nodeBlock("room-12", port: 7411, set: ["public_key": "\"\(keyA)\""]) + peerBlock("p", key: keyA),
                    key: "peers[0].public_key", problem: "already the public_key of nodes[0] (\"room-12\")")
    }

    @Test func duplicateDataDir() {
        expectError(nodeBlock("a", port: 7411, set: ["data_dir": "\"data/x\""]) + nodeBlock("b", port: 7412, set: ["data_dir": "\"./data/x/\""]),
                    key: "nodes[1].data_dir", problem: "already the data_dir of nodes[0]")
    }

    @Test func emptyDataDir() {
        expectError(nodeBlock("a", port: 7411, set: ["data_dir": "\"\""]), key: "nodes[0].data_dir", problem: "is empty")
    }
}

@Suite struct WebexErrorTests {
    @Test(arguments: ["api_base", "authorize_url"])
    func badURL(_ key: String) {
        let text = webexBlock.replacingOccurrences(of: "\(key) = \"http://127.0.0.1:7400/v1", with: "\(key) = \"webexapis.com/v1")
            + nodeBlock("room-12", port: 7411)
        expectError(text, key: "webex.\(key)", problem: "is not an http or https URL", fix: "https://webexapis.com/v1")
    }

    @Test func bothSecrets() {
        let text = webexBlock + "client_secret_file = \"secret.txt\"\n\n"
        expectError(text.replacingOccurrences(of: "client_secret = \"sandbox-secret\"\n\n", with: "client_secret = \"sandbox-secret\"\n")
                        + nodeBlock("room-12", port: 7411),
                    key: "webex.client_secret_file", problem: "both client_secret and client_secret_file are set", fix: "Keep only one")
    }

    @Test func secretFileMissing() {
        let text = webexBlock.replacingOccurrences(of: "client_secret = \"sandbox-secret\"", with: "client_secret_file = \"missing.txt\"")
            + nodeBlock("room-12", port: 7411)
        expectError(text, key: "webex.client_secret_file", problem: "\"missing.txt\" does not exist")
    }

    @Test func secretFileEmpty() {
        let dir = TempDir()
        dir.write("secret.txt", "\n")
        let text = webexBlock.replacingOccurrences(of: "client_secret = \"sandbox-secret\"", with: "client_secret_file = \"secret.txt\"")
            + nodeBlock("room-12", port: 7411)
        expectError(text, key: "webex.client_secret_file", problem: "is empty", in: dir)
    }

    @Test func secretFileIsAFolder() {
        let dir = TempDir()
        dir.write("secrets/x", "x")
        let text = webexBlock.replacingOccurrences(of: "client_secret = \"sandbox-secret\"", with: "client_secret_file = \"secrets\"")
            + nodeBlock("room-12", port: 7411)
        expectError(text, key: "webex.client_secret_file", problem: "is a folder", in: dir)
    }

    @Test func emptyClientID() {
        let text = webexBlock.replacingOccurrences(of: "client_id = \"sandbox-client\"", with: "client_id = \"\"") + nodeBlock("room-12", port: 7411)
        expectError(text, key: "webex.client_id", problem: "is empty")
    }
}

@Suite struct FileOrderTests {
    @Test func firstProblemInFileOrderWithinANode() {
        let text = """
        [[nodes]]
        timezone = "Nowhere/Special"
        name = "Bad Name"
        display_name = "x"
        listen = "127.0.0.1:7411"
        url = "http://127.0.0.1:7411"
        data_dir = "d"
        """
        expectError(text, key: "nodes[0].timezone")
        expectError(text.replacingOccurrences(of: "Nowhere/Special", with: "UTC"), key: "nodes[0].name")
    }

    @Test func earlierNodeBeforeLaterNode() {
        let text = nodeBlock("a", port: 7411, set: ["timezone": "\"Bad/Zone\""]) + nodeBlock("B", port: 7412)
        expectError(text, key: "nodes[0].timezone")
    }

    @Test func webexBeforeNodesWhenWrittenFirst() {
        let text = webexBlock.replacingOccurrences(of: "client_id", with: "clientid") + nodeBlock("A", port: 7411)
        expectError(text, key: "webex.clientid")
    }

    @Test func nodesBeforeWebexWhenWrittenFirst() {
        let text = nodeBlock("A", port: 7411) + webexBlock.replacingOccurrences(of: "client_id", with: "clientid")
        expectError(text, key: "nodes[0].name")
    }

    @Test func unknownKeyBeforeLaterBadValue() {
        let text = nodeBlock("room-12", port: 7411, drop: ["timezone"], extra: ["colour = \"red\"", "timezone = \"Bad/Zone\""])
        expectError(text, key: "nodes[0].colour")
    }

    @Test func multiLineValuesDoNotConfuseTheOrder() {
        let text = """
        [[nodes]]
        display_name = \"\"\"
        name = "ignored"
        \"\"\"
        name = "Bad Name"
        listen = "127.0.0.1:7411"
        url = "http://127.0.0.1:7411"
        data_dir = "d"
        timezone = [
          "UTC",
        ]
        """
        // display_name is a multi-line string with a newline (allowed); the first problem is the name on line 5.
        expectError(text, key: "nodes[0].name")
    }
}

/// A TOML basic string holding `text`.
func quotedTOML(_ text: String) -> String {
    "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}
