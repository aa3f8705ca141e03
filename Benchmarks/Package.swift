// swift-tools-version: 6.1
// The benchmarks of swift-aicoco, kept in their own package so that the library and its
// users never build the benchmark harness. Run from the repository's root:
//   swift package --package-path Benchmarks benchmark
import Foundation
import PackageDescription

/// A path dependency is known by its folder's name (the clone's, whatever it is called).
let rootPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let package = Package(
    name: "swift-aicoco-benchmarks",
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // yajl driven from C with callbacks that only count: the ceiling, measured in the same run.
        .target(
            name: "CYajlBaseline",
            path: "CYajlBaseline",
            linkerSettings: [.linkedLibrary("yajl")]
        ),
        .executableTarget(
            name: "AiCOCOBenchmarks",
            dependencies: [
                .product(name: "AiCOCO", package: rootPackage),
                .product(name: "AiCOCOGen", package: rootPackage),
                "CYajlBaseline",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "AiCOCOBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
