import Foundation
import Synchronization
import Testing

/// lazyfs (Tests/PowerCut/lazyfs.c), built by `scripts/powercut build`: a FUSE file
/// system over a backing folder that keeps file data in memory until it is fsynced
/// and undoes a name change until its directory is fsynced. Writing to the mount's
/// `.lazyfs-cut` is the power cut; after the unmount the backing folder holds
/// exactly what was synced.
enum LazyFS {
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// In CI the power-cut tests never skip: a machine without FUSE fails them.
    static var required: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The folder with `lazyfs` and `control`, built once per test run.
    static func tools() async throws -> URL {
        if let built = built.withLock({ $0 }) { return built }
        let outcome = try await Command.run("/usr/bin/env", ["bash", repository.appendingPathComponent("scripts/powercut").path, "build"])
        guard outcome.status == 0, let line = outcome.stdout.split(separator: "\n").last else {
            throw TestFailure("scripts/powercut build failed (\(outcome.status)): \(outcome.stderr)")
        }
        let folder = URL(fileURLWithPath: String(line))
        built.withLock { $0 = folder }
        return folder
    }
    private static let built = Mutex<URL?>(nil)

    /// Whether the power-cut tests can run: always in CI (where they must), else only
    /// where /dev/fuse, fusermount3 and a trial mount work. Says why when not.
    static func usable() async -> Bool { await probe.value }
    /// Once per run: the condition is asked for the suite and for each of its tests.
    private static let probe = Task { await tryAMount() }

    private static func tryAMount() async -> Bool {
        if required { return true }
        do {
            guard FileManager.default.fileExists(atPath: "/dev/fuse") else { throw TestFailure("no /dev/fuse") }
            let which = try await Command.run("/usr/bin/env", ["sh", "-c", "command -v fusermount3"])
            guard which.status == 0 else { throw TestFailure("no fusermount3 (Debian's fuse3; scripts/setup installs it)") }
            let folder = try temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let mount = try LazyMount(in: folder)
            try await mount.mount()
            try await mount.unmount()
            return true
        } catch {
            print("PowerCutTests skipped: FUSE is unavailable here: \(error). With CI=true they fail instead.")
            return false
        }
    }
}

/// One lazyfs mount of `backing` at `point`, started and stopped by process id.
final class LazyMount: @unchecked Sendable {
    let backing: URL
    let point: URL
    let log: URL
    /// How long each fsync takes (ms): the window in which a cut finds a commit in flight.
    let fsyncDelay: Int
    private var process: Process?

    init(in folder: URL, name: String = "lazyfs", fsyncDelay: Int = 0) throws {
        self.fsyncDelay = fsyncDelay
        backing = folder.appendingPathComponent("\(name)-backing")
        point = folder.appendingPathComponent("\(name)-mount")
        log = folder.appendingPathComponent("\(name).log")
        try FileManager.default.createDirectory(at: backing, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: point, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    }

    /// A test that failed half-way leaves no mount behind.
    deinit {
        if process?.isRunning == true { unmountNow() }
    }

    var controlFile: URL { point.appendingPathComponent(".lazyfs-cut") }

    /// What lazyfs said: the cut's summary ("dropped N unsynced pages …") among it.
    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Mounts and returns once the mount answers (its control file exists only through lazyfs).
    func mount() async throws {
        let process = Process()
        process.executableURL = try await LazyFS.tools().appendingPathComponent("lazyfs")
        process.arguments = [backing.path, point.path]
        process.environment = ProcessInfo.processInfo.environment.merging(["LAZYFS_FSYNC_DELAY_MS": "\(fsyncDelay)"]) { $1 }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.process = process
        try await eventually("lazyfs mounts \(point.path)") {
            guard process.isRunning else { throw TestFailure("lazyfs exited (\(process.terminationStatus)): \(self.output)") }
            return FileManager.default.fileExists(atPath: self.controlFile.path)
        }
    }

    /// The power cut: what was not synced is gone, and every later operation fails with EIO.
    func cut() throws {
        let fd = open(controlFile.path, O_WRONLY)
        guard fd >= 0 else { throw TestFailure("cannot open \(controlFile.path): errno \(errno)") }
        defer { close(fd) }
        guard write(fd, "cut", 3) == 3 else { throw TestFailure("the cut was refused: errno \(errno)") }
    }

    /// Unmounts (lazily if something still holds it) and waits for lazyfs to exit.
    func unmount() async throws {
        guard let process, process.isRunning else { return }
        let unmounted = try await Command.run("/usr/bin/env", ["fusermount3", "-u", point.path])
        if unmounted.status != 0 {
            _ = try await Command.run("/usr/bin/env", ["umount", "-l", point.path])
        }
        try await eventually("lazyfs exits after the unmount") { !process.isRunning }
        self.process = nil
    }

    /// For `deinit` and `defer`, which cannot wait asynchronously.
    func unmountNow() {
        guard let process, process.isRunning else { return }
        for command in [["fusermount3", "-u", point.path], ["umount", "-l", point.path]] {
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            unmount.arguments = command
            guard (try? unmount.run()) != nil else { continue }
            unmount.waitUntilExit()
            if unmount.terminationStatus == 0 { break }
        }
        process.waitUntilExit()
        self.process = nil
    }

    /// Makes `folder` (inside the mount) durable: creates it and fsyncs its parent, as a
    /// careful installer would, so that only what the node itself creates is on trial.
    func createDurably(_ folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        let fd = open(folder.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw TestFailure("cannot open \(folder.deletingLastPathComponent().path)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw TestFailure("fsync of \(folder.deletingLastPathComponent().path) failed: errno \(errno)") }
    }
}

/// A program run to completion; its end awaited without blocking a thread.
enum Command {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) async throws -> Outcome {
        let folder = FileManager.default.temporaryDirectory
        let name = UUID().uuidString
        let outFile = folder.appendingPathComponent("penpals-command-\(name).out")
        let errFile = folder.appendingPathComponent("penpals-command-\(name).err")
        defer {
            try? FileManager.default.removeItem(at: outFile)
            try? FileManager.default.removeItem(at: errFile)
        }
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
        let status = await CLI.exit(of: process)
        return Outcome(status: status, stdout: try String(contentsOf: outFile, encoding: .utf8),
                       stderr: try String(contentsOf: errFile, encoding: .utf8))
    }
}
