// swift-tools-version:6.1
import PackageDescription

/// Shared by every Swift target: Swift 6 mode with the stricter import rules from STYLE.md §2.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "falaj",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "falaj", targets: ["FalajCLI"]),
        .executable(name: "falaj-agent", targets: ["FalajAgent"]),
        .executable(name: "falaj-bench-server", targets: ["FalajBenchServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.0.0"),
    ],
    targets: [
        // MARK: C modules (system libraries found through pkg-config, plus small shims)
        .systemLibrary(name: "CLibPQ", path: "Sources/CModules/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/CModules/COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CArgon2", path: "Sources/CModules/CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/CModules/CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "CSystemShim", path: "Sources/CModules/CSystemShim"),
        .target(name: "COpenSSLShim", dependencies: ["COpenSSL"], path: "Sources/CModules/COpenSSLShim"),
        .target(name: "CCurlShim", dependencies: ["CCurl"], path: "Sources/CModules/CCurlShim"),

        // MARK: Foundation modules
        .target(
            name: "BlockingPool",
            dependencies: [.product(name: "DequeModule", package: "swift-collections")],
            path: "Sources/Foundation/BlockingPool",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WebServer",
            dependencies: [
                "CSystemShim", "COpenSSL", "COpenSSLShim",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PostgresClient",
            dependencies: [
                "CLibPQ", "CSystemShim", "BlockingPool",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Foundation/PostgresClient",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FalajCrypto",
            dependencies: ["COpenSSL", "COpenSSLShim", "CArgon2", "BlockingPool"],
            path: "Sources/Foundation/FalajCrypto",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "HTTPClient",
            dependencies: ["CCurl", "CCurlShim", "BlockingPool"],
            path: "Sources/Foundation/HTTPClient",
            swiftSettings: swiftSettings
        ),
        .target(name: "Tabular", path: "Sources/Foundation/Tabular", swiftSettings: swiftSettings),
        .target(name: "Learning", dependencies: ["Tabular", "FalajCrypto"], path: "Sources/Foundation/Learning", swiftSettings: swiftSettings),
        .target(
            name: "Subprocess",
            dependencies: ["CSystemShim", "BlockingPool"],
            path: "Sources/Foundation/Subprocess",
            swiftSettings: swiftSettings
        ),

        // MARK: Domain modules
        .target(
            name: "Residency",
            dependencies: [
                "PostgresClient", "FalajCrypto", "BlockingPool", "HTTPClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Tenancy",
            dependencies: [
                "Residency", "PostgresClient", "FalajCrypto", "BlockingPool",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .target(name: "Billing", dependencies: ["Tenancy", "Residency"], swiftSettings: swiftSettings),
        .target(name: "AgentProtocol", path: "Sources/ComputeAgents/AgentProtocol", swiftSettings: swiftSettings),
        .target(
            name: "ComputeAgents",
            dependencies: ["AgentProtocol", "Residency", "Tenancy", "PostgresClient", "FalajCrypto", "BlockingPool", .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            path: "Sources/ComputeAgents/ControlPlane",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AgentNode",
            dependencies: [
                "AgentProtocol", "HTTPClient", "Subprocess", "FalajCrypto", "BlockingPool", "Learning", "Tabular", "WebServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/ComputeAgents/Node",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Platform",
            dependencies: [
                "Tenancy", "Residency", "Billing", "ComputeAgents", "AgentProtocol", "Tabular", "Learning", "PostgresClient", "FalajCrypto",
                .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Edge
        .target(
            name: "Portal",
            dependencies: [
                "WebServer", "Tenancy", "Residency", "Billing", "ComputeAgents", "AgentProtocol", "Platform", "PostgresClient", "BlockingPool", "FalajCrypto",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            resources: [.copy("Templates")],
            swiftSettings: swiftSettings
        ),

        // MARK: Executables
        .executableTarget(
            name: "FalajCLI",
            dependencies: [
                "Portal", "Platform", "ComputeAgents", "AgentNode", "AgentProtocol", "HTTPClient", "WebServer", "PostgresClient", "BlockingPool", "Tenancy",
                "Residency", "FalajCrypto", "Learning", "Tabular",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Executables/falaj",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "FalajAgent",
            dependencies: [
                "AgentNode", "AgentProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Executables/falaj-agent",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "FalajBenchServer",
            dependencies: [
                "WebServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Executables/falaj-bench-server",
            swiftSettings: swiftSettings
        ),

        // MARK: Tests
        .target(
            name: "TestSupport",
            dependencies: [
                "PostgresClient", "WebServer", "Residency", "Tenancy", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WebServerTests",
            dependencies: [
                "WebServer", "TestSupport",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "PostgresClientTests", dependencies: ["PostgresClient", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "FalajCryptoTests", dependencies: ["FalajCrypto"], swiftSettings: swiftSettings),
        .testTarget(
            name: "HTTPClientTests",
            dependencies: [
                "HTTPClient", "WebServer", "FalajCrypto",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "S3BlobStoreTests", dependencies: ["Residency", "HTTPClient", "FalajCrypto"], swiftSettings: swiftSettings),
        .testTarget(name: "ResidencyTests", dependencies: ["Residency", "Tenancy", "PostgresClient", "FalajCrypto", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TenancyTests",
            dependencies: [
                "Tenancy", "Residency", "PostgresClient", "FalajCrypto", "TestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ComputeAgentsTests",
            dependencies: [
                "ComputeAgents", "AgentProtocol", "Tenancy", "Residency", "PostgresClient", "FalajCrypto", "TestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "SubprocessTests", dependencies: ["Subprocess"], swiftSettings: swiftSettings),
        .testTarget(name: "TabularTests", dependencies: ["Tabular"], swiftSettings: swiftSettings),
        .testTarget(name: "LearningTests", dependencies: ["Learning", "Tabular"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PlatformTests",
            dependencies: [
                "Platform", "Tabular", "Learning", "Tenancy", "Residency", "PostgresClient", "FalajCrypto", "TestSupport",
                .product(name: "Logging", package: "swift-log"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AgentNodeTests",
            dependencies: [
                "AgentNode", "AgentProtocol", "Subprocess", "WebServer", "FalajCrypto",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortalTests",
            dependencies: [
                "Portal", "Platform", "Tabular", "Learning", "ComputeAgents", "AgentProtocol", "Tenancy", "Residency", "PostgresClient", "WebServer", "TestSupport",
                "FalajCrypto", .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
