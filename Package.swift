// swift-tools-version:6.2
import PackageDescription

// One target per layer, lowest first. A lower layer never imports a higher one; the compiler enforces it.
let settings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .treatAllWarnings(as: .error),
]

let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
let nioSSL: Target.Dependency = .product(name: "NIOSSL", package: "swift-nio-ssl")
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let cryptoExtras: Target.Dependency = .product(name: "_CryptoExtras", package: "swift-crypto")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let postgresNIO: Target.Dependency = .product(name: "PostgresNIO", package: "postgres-nio")
let serviceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "swift-postgres-cdc",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "PostgresWire", targets: ["PostgresWire"]),
        .library(name: "PGOutput", targets: ["PGOutput"]),
        .library(name: "PostgresCDC", targets: ["PostgresCDC"]),
        .library(name: "PostgresCDCSinks", targets: ["PostgresCDCSinks"]),
        .executable(name: "pgcdc", targets: ["pgcdc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        // Layer 1: the walsender wire protocol (startup, auth, TLS, simple query, CopyBoth, feedback).
        .target(
            name: "PostgresWire",
            dependencies: [nioCore, nioPosix, nioSSL, crypto, cryptoExtras, logging],
            swiftSettings: settings
        ),
        // Layer 2: the pure pgoutput decoder.
        .target(name: "PGOutput", dependencies: [nioCore], swiftSettings: settings),
        // Layer 3: change model, relation cache, slot/snapshot/ack/failover pipeline.
        .target(
            name: "PostgresCDC",
            dependencies: [
                "PostgresWire", "PGOutput", nioCore, nioSSL, postgresNIO, serviceLifecycle, logging,
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ],
            swiftSettings: settings
        ),
        // Layer 4: where events go (JSON lines, ...).
        .target(name: "PostgresCDCSinks", dependencies: ["PostgresCDC", "PostgresWire", nioCore], swiftSettings: settings),
        // Layer 5: the command-line commands, as a library so that tests can parse them.
        .target(
            name: "PGCDCCommand",
            dependencies: [
                "PostgresCDCSinks", "PostgresCDC", "PostgresWire", "PGOutput", nioCore, argumentParser, logging,
                postgresNIO, serviceLifecycle, .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: settings
        ),
        // Layer 6: the executable, `@main` only.
        .executableTarget(name: "pgcdc", dependencies: ["PGCDCCommand", argumentParser], swiftSettings: settings),

        // Fuzzing the pgoutput decoder: scripts/fuzz-pgoutput.sh builds it with libFuzzer (-D PGOUTPUT_FUZZ); a plain
        // build makes a tool that replays input files (for example a crash) through the same code.
        .executableTarget(
            name: "PGOutputFuzz",
            dependencies: ["PGOutput", nioCore],
            path: "Fuzz/PGOutputFuzz",
            swiftSettings: settings
        ),

        // The benchmark consumer: the library's event loop with no output.
        .executableTarget(
            name: "pgcdc-bench",
            dependencies: ["PostgresCDC", "PostgresWire", "PGOutput", logging],
            swiftSettings: settings
        ),

        // The micro-benchmark: decoding, typing and JSON encoding of recorded pgoutput bytes, no server.
        .executableTarget(
            name: "pgcdc-microbench",
            dependencies: ["PostgresCDCSinks", "PostgresCDC", "PostgresWire", "PGOutput", nioCore],
            swiftSettings: settings
        ),

        // Test helpers shared by the test targets (mirror codecs, a manual clock, the test database settings).
        .target(
            name: "CDCTestSupport",
            dependencies: ["PostgresWire", nioCore, postgresNIO, logging],
            swiftSettings: settings
        ),
        .testTarget(
            name: "PostgresWireTests",
            dependencies: [
                "PostgresWire", "CDCTestSupport", nioCore,
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "PGOutputTests",
            dependencies: ["PGOutput", nioCore],
            resources: [.copy("Fixtures")],
            swiftSettings: settings
        ),
        .testTarget(
            name: "PostgresCDCTests",
            dependencies: ["PostgresCDC", "PGOutput", "PostgresWire", nioCore],
            resources: [.copy("Fixtures")],
            swiftSettings: settings
        ),
        .testTarget(
            name: "PostgresCDCSinksTests",
            dependencies: ["PostgresCDCSinks", "PostgresCDC", "PostgresWire", nioCore],
            swiftSettings: settings
        ),
        .testTarget(
            name: "PGCDCCommandTests",
            dependencies: [
                "PGCDCCommand", "PostgresCDC", "PostgresWire", "PGOutput", argumentParser, logging, "CDCTestSupport",
            ],
            swiftSettings: settings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "PostgresWire", "PGOutput", "PostgresCDC", "CDCTestSupport", nioCore, nioPosix, nioSSL, logging,
                serviceLifecycle,
            ],
            swiftSettings: settings
        ),
    ]
)
