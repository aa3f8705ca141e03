// swift-tools-version: 6.1
// The libFuzzer harness, in a package of its own so that the main package never builds with
// -sanitize=fuzzer. Build and run it with scripts/fuzz.sh.
import PackageDescription

let package = Package(
    name: "AiCOCOFuzz",
    dependencies: [
        // Through the symlink swift-aicoco -> .., so that the identity is "swift-aicoco" whatever the
        // clone is called (a clone named "fuzz" would otherwise clash with this package).
        .package(path: "swift-aicoco"),
    ],
    targets: [
        .executableTarget(
            name: "AiCOCOFuzz",
            dependencies: [.product(name: "AiCOCO", package: "swift-aicoco")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
