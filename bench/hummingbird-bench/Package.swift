// swift-tools-version:6.1
// Comparison server for `make bench` (bench/run). Deliberately its own package so the
// main falaj package never depends on SwiftNIO / Hummingbird; built only by bench/run.
import PackageDescription

let package = Package(
    name: "hummingbird-bench",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hummingbird-bench-server", targets: ["HummingbirdBenchServer"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        .executableTarget(
            name: "HummingbirdBenchServer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
