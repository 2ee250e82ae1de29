import Foundation
import PenPalsCore
import Testing
@testable import PenPalsConfig

@Suite struct LoadTests {
    @Test func exampleFileLoads() throws {
        let file = repositoryRoot().appendingPathComponent("nodes.example.toml")
        let config = try PenPalsConfig.load(path: file.path)
        #expect(config.file.path == file.standardizedFileURL.path)
        #expect(config.nodes.map(\.name) == ["room-12", "kobe-4b"])
        #expect(config.peers.isEmpty)

        let room = config.nodes[0]
        #expect(room.displayName == "Room 12 · Lincoln Elementary")
        #expect(room.listen == ListenAddress(host: "127.0.0.1", port: 7411))
        #expect(room.url.absoluteString == "http://127.0.0.1:7411")
        #expect(room.dataDir.path == file.deletingLastPathComponent().appendingPathComponent("data/room-12").path)
        #expect(room.timezone == "America/Chicago")
        #expect(room.publicKey == nil)

        let kobe = config.nodes[1]
        #expect(kobe.displayName == "4B · Kobe Minato School")
        #expect(kobe.listen.description == "127.0.0.1:7412")
        #expect(kobe.timezone == "Asia/Tokyo")

        #expect(config.webex == WebexConfig(apiBase: URL(string: "http://127.0.0.1:7400/v1")!,
                                            authorizeURL: URL(string: "http://127.0.0.1:7400/v1/authorize")!,
                                            clientID: "sandbox-client", clientSecret: "sandbox-secret"))
    }

    @Test func examplePeerEntryLoadsOnceUncommented() throws {
        let file = repositoryRoot().appendingPathComponent("nodes.example.toml")
        var text = try String(contentsOf: file, encoding: .utf8)
        text = text.replacingOccurrences(of: "# [[peers]]", with: "[[peers]]")
            .replacingOccurrences(of: "# name ", with: "name ")
            .replacingOccurrences(of: "# display_name ", with: "display_name ")
            .replacingOccurrences(of: "# url ", with: "url ")
            .replacingOccurrences(of: "# public_key   = \"<node id>\"", with: "public_key   = \"\(keyA)\"")
        let config = try load(text)
        #expect(config.peers == [PeerConfig(name: "oslo-7a", displayName: "7A · Oslo International School",
                                            url: URL(string: "https://penpals.example-school.no/7a")!,
                                            publicKey: NodeID(keyA)!)])
    }

    @Test func fullConfigLoads() throws {
        let dir = TempDir()
        let text = webexBlock
            + nodeBlock("room-12", port: 7411, set: ["public_key": "\"\(keyA)\"", "url": "\"https://penpals.lincoln.example/room-12/\""])
            + nodeBlock("kobe-4b", port: 7412, set: ["listen": "\"[::1]:7412\"", "timezone": "\"Asia/Tokyo\""])
            + nodeBlock("all-ifaces", port: 80, set: ["listen": "\"0.0.0.0:80\""])
            + nodeBlock("by-name", port: 7413, set: ["listen": "\"localhost:7413\""])
            + peerBlock("oslo-7a", key: keyB)
            + peerBlock("no-display", key: keyC, drop: ["display_name"])
        let config = try load(text, in: dir)
        #expect(config.nodes.count == 4)
        #expect(config.nodes[0].publicKey == NodeID(keyA))
        #expect(config.nodes[0].url.absoluteString == "https://penpals.lincoln.example/room-12")
        #expect(config.nodes[1].listen == ListenAddress(host: "::1", port: 7412))
        #expect(config.nodes[1].listen.description == "[::1]:7412")
        #expect(config.nodes[2].listen.description == "0.0.0.0:80")
        #expect(config.nodes[3].listen == ListenAddress(host: "localhost", port: 7413))
        #expect(config.peers.map(\.name) == ["oslo-7a", "no-display"])
        #expect(config.peers[0].displayName == "Peer oslo-7a")
        #expect(config.peers[0].url.absoluteString == "https://oslo-7a.example-school.no/penpals")
        #expect(config.peers[1].displayName == nil)
        #expect(config.peers[1].publicKey == NodeID(keyC))
    }

    @Test func webexIsOptional() throws {
        let config = try load(nodeBlock("room-12", port: 7411))
        #expect(config.webex == nil)
        #expect(config.nodes.count == 1)
    }

    @Test func webexEndpointsDefaultToRealWebex() throws {
        let text = """
        [webex]
        client_id = "id"
        client_secret = "secret"

        """ + nodeBlock("room-12", port: 7411)
        let webex = try #require(try load(text).webex)
        #expect(webex.apiBase.absoluteString == "https://webexapis.com/v1")
        #expect(webex.authorizeURL.absoluteString == "https://webexapis.com/v1/authorize")
    }

    @Test func apiBaseTrailingSlashRemoved() throws {
        let text = webexBlock.replacingOccurrences(of: "7400/v1\"\nauth", with: "7400/v1/\"\nauth") + nodeBlock("room-12", port: 7411)
        let webex = try #require(try load(text).webex)
        #expect(webex.apiBase.absoluteString == "http://127.0.0.1:7400/v1")
    }

    @Test func relativeDataDirIsResolvedAgainstTheConfigFolder() throws {
        let dir = TempDir()
        let text = nodeBlock("a", port: 7411, set: ["data_dir": "\"data/a\""])
            + nodeBlock("b", port: 7412, set: ["data_dir": "\"../elsewhere/b/\""])
            + nodeBlock("c", port: 7413, set: ["data_dir": "\"/var/lib/penpals/c\""])
            + nodeBlock("d", port: 7414, set: ["data_dir": "\"./d/./x/..\""])
        let path = dir.write("conf/nodes.toml", text)
        let config = try PenPalsConfig.load(path: path)
        let folder = dir.url.appendingPathComponent("conf").standardizedFileURL.path
        #expect(config.file.path == URL(fileURLWithPath: path).standardizedFileURL.path)
        #expect(config.folder.path == folder)
        #expect(config.nodes[0].dataDir.path == folder + "/data/a")
        #expect(config.nodes[1].dataDir.path == dir.url.standardizedFileURL.path + "/elsewhere/b")
        #expect(config.nodes[2].dataDir.path == "/var/lib/penpals/c")
        #expect(config.nodes[3].dataDir.path == folder + "/d")
        #expect(config.nodes.allSatisfy { $0.dataDir.isFileURL && $0.dataDir.path.hasPrefix("/") })
    }

    @Test func clientSecretFileIsReadRelativeToTheConfigFile() throws {
        let dir = TempDir()
        dir.write("conf/secrets/webex.txt", "file-secret\n")
        let text = """
        [webex]
        api_base = "http://127.0.0.1:7400/v1"
        authorize_url = "http://127.0.0.1:7400/v1/authorize"
        client_id = "sandbox-client"
        client_secret_file = "secrets/webex.txt"

        """ + nodeBlock("room-12", port: 7411)
        let config = try PenPalsConfig.load(path: dir.write("conf/nodes.toml", text))
        #expect(config.webex?.clientSecret == "file-secret")
    }

    @Test func clientSecretFileTrimsCRLF() throws {
        let dir = TempDir()
        let secretPath = dir.write("secret", "s3cr3t\r\n")
        let text = """
        [webex]
        client_id = "sandbox-client"
        client_secret_file = "\(secretPath)"

        """ + nodeBlock("room-12", port: 7411)
        #expect(try load(text, in: dir).webex?.clientSecret == "s3cr3t")
    }

    @Test func defaultPath() {
        #expect(PenPalsConfig.defaultPath(environment: [:]) == "nodes.toml")
        #expect(PenPalsConfig.defaultPath(environment: ["PENPALS_CONFIG": ""]) == "nodes.toml")
        #expect(PenPalsConfig.defaultPath(environment: ["PENPALS_CONFIG": "/etc/penpals.toml"]) == "/etc/penpals.toml")
    }

    @Test(arguments: ["127.0.0.1:7411", "[::1]:7411", "0.0.0.0:80", "localhost:7411", "[::]:1", "10.1.2.3:65535", "school.example:8080"])
    func validListenAddresses(_ text: String) throws {
        let address = try #require(ListenAddress(text))
        #expect(address.description == text)
    }

    @Test(arguments: ["127.0.0.1:99999", "127.0.0.1:0", "127.0.0.1", ":7411", "::1:7411", "300.1.1.1:80",
                      "host name:80", "127.0.0.1:-1", "127.0.0.1:+80", "[::1]7411", "[nonsense]:80", "127.0.0.1:7411 ", ""])
    func invalidListenAddresses(_ text: String) {
        #expect(ListenAddress(text) == nil)
    }

    @Test func listenOverlap() {
        let a = ListenAddress("127.0.0.1:7411")!
        #expect(a.overlaps(ListenAddress("127.0.0.1:7411")!))
        #expect(a.overlaps(ListenAddress("0.0.0.0:7411")!))
        #expect(a.overlaps(ListenAddress("localhost:7411")!))
        #expect(a.overlaps(ListenAddress("[::]:7411")!))
        #expect(!a.overlaps(ListenAddress("127.0.0.1:7412")!))
        #expect(!a.overlaps(ListenAddress("127.0.0.2:7411")!))
        #expect(!ListenAddress("[::1]:7411")!.overlaps(ListenAddress("0.0.0.0:7411")!))
        #expect(ListenAddress("[::1]:7411")!.overlaps(ListenAddress("[0:0:0:0:0:0:0:1]:7411")!))
    }

    @Test func errorDescriptionIsTheDocumentedLine() {
        let error = ConfigError(file: "nodes.toml", key: "nodes[1].listen",
                                problem: "\"127.0.0.1:99999\" is not a valid address",
                                fix: "Use host:port with a port from 1 to 65535, e.g. \"127.0.0.1:7412\".")
        #expect(error.description == "error: nodes.toml: nodes[1].listen: \"127.0.0.1:99999\" is not a valid address. Use host:port with a port from 1 to 65535, e.g. \"127.0.0.1:7412\".")
        let multi = ConfigError(file: "a.toml", key: "", problem: "two\nlines.", fix: "do\nthis")
        #expect(multi.description == "error: a.toml: two lines. do this.")
    }
}
