import Foundation
import PenPalsCore
@testable import PenPalsNode
import PenPalsStore
import Testing

/// A node whose disk fills up: the request gets 503 with a message a person can
/// act on, nothing of it is stored, and the node works again once there is room.
/// The data folder is a small tmpfs the test mounts (root only, as in CI).
extension ProcessFailureTests {
    static var canMount: Bool { getuid() == 0 }

    @Test(.enabled(if: canMount, "mounting a tmpfs needs root"))
    func aFullDiskIs503AndStoresNothingAndTheNodeGoesOnWhenThereIsRoomAgain() async throws {
        let pair = try Pair()
        let data = pair.folder.appendingPathComponent("data/room-12")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", data.path])
        defer { try? Self.run("/bin/umount", ["-l", data.path]) }

        try await pair.start("room-12")
        try await pair.invite(3, title: "Before")
        // Everything the drive has left goes to one file.
        let filler = data.appendingPathComponent("filler")
        try Self.fill(filler)

        // Writes that still fit (SQLite reuses its log's space) are taken durably; the
        // first that needs room is refused: 503, with a message a person can act on.
        let (start, end) = tomorrow()
        var taken: [String] = [], refused: HTTPAnswer?
        for index in 0..<5_000 {
            let title = "While full \(index) " + String(repeating: "x", count: 100)
            let answer = try await pair.api("room-12", "POST", "/api/webex/meeting", json: [
                "classroom_id": "kobe-4b", "title": title, "start_time": start, "end_time": end,
            ])
            if answer.status == 201 { taken.append(title); continue }
            refused = answer
            break
        }
        let full = try #require(refused, "a write was refused before 5,000 invitations")
        #expect(full.status == 503, "\(full.text)")
        #expect(full.errorCode == "disk_full")
        #expect(full.text.contains("Free space"), "a message a person can act on")
        // The node still reads, and answers the teacher.
        #expect(try await pair.api("room-12", "GET", "/api/status").status == 200)

        // Room again: the next request goes through, with no restart.
        try FileManager.default.removeItem(at: filler)
        try await pair.invite(1, title: "After")
        let expected = (["After 0", "Before 0", "Before 1", "Before 2"] + taken).sorted()
        #expect(try await Self.sentTitles(pair).sorted() == expected, "every acknowledged one, nothing of the refused one")

        // And the store is whole after a restart.
        pair.signal("room-12", SIGKILL)
        let store = try NodeStore(path: data.appendingPathComponent("penpals.sqlite").path)
        #expect(try store.integrityCheck() == ["ok"])
        try await pair.start("room-12")
        #expect(try await Self.sentTitles(pair).sorted() == expected)
    }

    static func sentTitles(_ pair: Pair) async throws -> [String] {
        let list = try await pair.api("room-12", "GET", "/api/webex/invitations?box=sent&status=all").object["invitations"] as? [[String: Any]]
        return list?.compactMap { $0["title"] as? String } ?? []
    }

    /// Writes `url` until the file system has no room left.
    static func fill(_ url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw TestFailure("cannot create \(url.path)") }
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0xAB, count: 4096)
        while true {
            let n = write(fd, chunk, chunk.count)
            if n < chunk.count {
                guard n >= 0 || errno == ENOSPC else { throw TestFailure("filling: errno \(errno)") }
                break
            }
        }
        fsync(fd)
    }

    static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("\(tool) \(arguments.joined(separator: " ")) failed") }
    }
}
