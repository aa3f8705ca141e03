import Foundation
import Testing

/// `--memory-limit` is taken by every subcommand that reads a document, and passed to its
/// parser and tables: a limit small enough to spill them gives the same output.
@Suite("--memory-limit reaches every subcommand")
struct MemoryLimitPlumbingTests {
    static let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("aicoco-memory-limit-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// A generated noisy document of about 1 MB (some 1,500 annotations).
    static let input: String = {
        let path = folder.appendingPathComponent("noisy.json").path
        if !FileManager.default.fileExists(atPath: path) {
            _ = try? runTool(["generate", "--bytes", "1M", "--seed", "4", "-o", path])
        }
        return path
    }()

    @Test("a small --memory-limit (tables spilled) gives the output of the default", arguments: [
        ["stats", "--json"], ["validate"], ["records"], ["convert", "--to", "coco", "--image-size", "512x512"],
        ["convert", "--to", "nifti", "--image-size", "512x512", "-o", "OUT.nii"], ["measure", "--format", "json", "--image-size", "512x512"],
        ["render", "--index", "0", "--image-size", "512x512", "-o", "OUT.svg"], ["filter", "--index", "0...3"],
    ])
    func sameOutput(arguments: [String]) throws {
        var outputs: [[UInt8]] = []
        for limit in [[], ["--memory-limit", "16K"]] {
            let name = (arguments + limit).joined(separator: "-").replacingOccurrences(of: "/", with: "_")
            let file = Self.folder.appendingPathComponent(name).path
            let command = arguments.map { $0.hasPrefix("OUT.") ? file + $0.dropFirst(3) : $0 } + limit + [Self.input]
            let run = try runTool(command)
            #expect(run.status == 0, "\(command): \(run.stderr)")
            var output = Array(run.stdout.utf8)
            if let written = arguments.first(where: { $0.hasPrefix("OUT.") }) {
                output += try Paths.bytes(file + written.dropFirst(3))
            }
            outputs.append(output.isEmpty ? [] : output)
        }
        #expect(!outputs[0].isEmpty)
        if arguments.first == "stats" {
            // Timing fields aside.
            let strip = { (bytes: [UInt8]) in String(decoding: bytes, as: UTF8.self)
                .replacing(/"(elapsed_seconds|mb_per_second)":[0-9.e+-]+/, with: "") }
            #expect(strip(outputs[0]) == strip(outputs[1]))
        } else {
            #expect(outputs[0] == outputs[1], "\(arguments): the output changes with --memory-limit 16K")
        }
    }
}
