import Foundation

/// The dashboard's HTML, CSS and JavaScript, shipped beside the binary as the
/// SwiftPM resource bundle of this target and read into memory once.
///
/// The bundle is looked up where SwiftPM puts it (beside the executable, also
/// when `penpals` is started through a symlink) rather than through
/// `Bundle.module`, which stops the whole process when the bundle is missing:
/// a node without its dashboard files still serves its API and says what is wrong at `/`.
struct DashboardAssets: Sendable {
    struct File: Sendable {
        var data: Data
        var contentType: String
    }

    static let bundleName = "PenPals_PenPalsNode.resources"
    static let shared = DashboardAssets.load()

    /// Files by name (`index.html`, `app.js`, …); empty when the bundle was not found.
    let files: [String: File]
    /// Where the files were looked for, to tell the operator.
    let searched: [String]

    var isAvailable: Bool { files["index.html"] != nil }

    func file(_ name: String) -> File? { files[name] }

    static func load() -> DashboardAssets {
        let candidates = bundleCandidates()
        for bundle in candidates {
            let folder = bundle.appendingPathComponent("static", isDirectory: true)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            var files: [String: File] = [:]
            for name in names {
                guard let type = contentType(of: name),
                      let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else { continue }
                files[name] = File(data: data, contentType: type)
            }
            if files["index.html"] != nil { return DashboardAssets(files: files, searched: candidates.map(\.path)) }
        }
        return DashboardAssets(files: [:], searched: candidates.map(\.path))
    }

    /// Beside the main executable (as SwiftPM lays out `.build/<config>/`), beside the
    /// file it links to, and in `share/penpals` next to a `bin/` it was installed to.
    private static func bundleCandidates() -> [URL] {
        var folders: [URL] = [Bundle.main.bundleURL]
        if let executable = Bundle.main.executableURL {
            folders.append(executable.deletingLastPathComponent())
            let resolved = executable.resolvingSymlinksInPath().deletingLastPathComponent()
            folders.append(resolved)
            folders.append(resolved.deletingLastPathComponent().appendingPathComponent("share/penpals"))
        }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            folders.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        var seen = Set<String>()
        return folders.map { $0.standardizedFileURL.appendingPathComponent(bundleName, isDirectory: true) }
            .filter { seen.insert($0.path).inserted }
    }

    static func contentType(of name: String) -> String? {
        switch (name as NSString).pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: nil
        }
    }
}
