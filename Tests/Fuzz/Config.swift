import Foundation
@testable import PenPalsConfig

// The config file (nodes.toml), read as PenPalsConfig.load reads it once it has the
// file's bytes (ConfigLoader.read: UTF-8, TOML through TOMLKit, then every key checked).
// The file sits in a folder that does not exist, so a relative client_secret_file is
// looked for and not found; nothing is written.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? ConfigLoader.read(input(bytes, size), file: file, display: "nodes.toml")
    return 0
}

private let file = URL(fileURLWithPath: "/nonexistent/penpals-fuzz/nodes.toml")
