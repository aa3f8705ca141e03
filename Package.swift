// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "swift-aicoco",
    products: [
        .library(name: "AiCOCO", targets: ["AiCOCO"]),
        .library(name: "AiCOCOGen", targets: ["AiCOCOGen"]),
        .executable(name: "aicoco", targets: ["aicoco"]),
        // The C ABI (include/aicoco.h) the Python package `aicoco` loads with ctypes.
        .library(name: "AiCOCOCAPI", type: .dynamic, targets: ["AiCOCOCAPI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CYajl",
            pkgConfig: "yajl",
            providers: [.apt(["libyajl-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(
            name: "AiCOCO",
            dependencies: ["CYajl", "CZlib"]
        ),
        .target(
            name: "AiCOCOGen",
            dependencies: ["AiCOCO"]
        ),
        .executableTarget(
            name: "aicoco",
            dependencies: [
                "AiCOCO",
                "AiCOCOGen",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "CAiCOCOABI"),
        .target(
            name: "AiCOCOCAPI",
            dependencies: ["AiCOCO", "CAiCOCOABI"]
        ),
        .testTarget(
            name: "AiCOCOTests",
            dependencies: ["AiCOCO", "AiCOCOGen", "CYajl"]
        ),
    ]
)
