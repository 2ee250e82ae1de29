// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "PenPals",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "penpals", targets: ["penpals"]),
        .executable(name: "penpals-bench", targets: ["PenPalsBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/swift-extras/swift-extras-base64", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // libsodium, the only C: Ed25519 identities, sealed boxes, secretbox.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        // Pure domain and protocol: no I/O, no HTTP, no SQL.
        .target(name: "PenPalsCore", dependencies: [
            "CSodium",
            .product(name: "ExtrasBase64", package: "swift-extras-base64"),
        ]),
        // The node's SQLite store.
        .target(name: "PenPalsStore", dependencies: [
            "PenPalsCore",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        // The TOML file that describes the nodes of one host and their peers.
        .target(name: "PenPalsConfig", dependencies: [
            "PenPalsCore",
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        // Outbound HTTP over URLSession (libcurl): the process's shared sessions, and
        // requests that read at most a bound and stop when their task is cancelled.
        .target(name: "OutboundHTTP"),
        // WebEx REST client and OAuth.
        .target(name: "Webex", dependencies: [
            "OutboundHTTP",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // A WebEx-compatible server for the demo and the tests.
        .target(name: "WebexSandbox", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The running node: HTTP routes and background services, and the dashboard's
        // HTML, CSS and JavaScript, shipped beside the binary as its resource bundle.
        .target(name: "PenPalsNode", dependencies: [
            "PenPalsCore", "PenPalsStore", "PenPalsConfig", "Webex", "OutboundHTTP",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "CompressNIO", package: "compress-nio"),
            .product(name: "HeapModule", package: "swift-collections"),
            .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
        ], resources: [.copy("Dashboard/static")]),
        // The thin command line.
        .executableTarget(name: "penpals", dependencies: [
            "PenPalsNode", "PenPalsConfig", "Webex", "WebexSandbox", "OutboundHTTP",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Release-build figures for catch-up and ingest (scripts/bench).
        .executableTarget(name: "PenPalsBench", dependencies: [
            "PenPalsNode", "PenPalsCore", "PenPalsStore",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "PenPalsCoreTests", dependencies: ["PenPalsCore"]),
        .testTarget(name: "PenPalsStoreTests", dependencies: ["PenPalsStore"]),
        .testTarget(name: "PenPalsConfigTests", dependencies: ["PenPalsConfig"]),
        .testTarget(name: "WebexTests", dependencies: ["Webex", "WebexSandbox", "OutboundHTTP"]),
        .testTarget(name: "PenPalsNodeTests", dependencies: [
            "PenPalsNode", "PenPalsConfig", "WebexSandbox", "OutboundHTTP",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
    ]
)
