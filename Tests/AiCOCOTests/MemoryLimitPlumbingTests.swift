import Foundation
import Testing

/// `--memory-limit` is taken by every subcommand that reads a document, and passed to its
/// parser and tables: a limit small enough to spill them gives the same output, and does spill
/// them (where a large one keeps them in memory).
@Suite("--memory-limit reaches every subcommand")
struct MemoryLimitPlumbingTests {
    /// A folder of its own for one test (removed by the caller), holding a generated noisy
    /// document of about `size` ("1M": some 1,500 annotations; "100k": 187).
    static func folder(withInputOf size: String) throws -> (folder: URL, input: String) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("aicoco-memory-limit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let input = url.appendingPathComponent("noisy.json").path
        let generated = try runTool(["generate", "--bytes", size, "--seed", "4", "-o", input])
        #expect(generated.status == 0, "\(generated.stderr)")
        return (url, input)
    }

    /// `arguments` with each `OUT.ext` made a path in `folder` (named after `tag`).
    static func command(_ arguments: [String], in folder: URL, tag: String) -> [String] {
        let file = folder.appendingPathComponent(tag.replacingOccurrences(of: "/", with: "_")).path
        return arguments.map { $0.hasPrefix("OUT.") ? file + $0.dropFirst(3) : $0 }
    }

    @Test("a small --memory-limit (tables spilled) gives the output of the default", arguments: [
        ["stats", "--json"], ["validate"], ["records"], ["convert", "--to", "coco", "--image-size", "512x512"],
        ["convert", "--to", "nifti", "--image-size", "512x512", "-o", "OUT.nii"], ["measure", "--format", "json", "--image-size", "512x512"],
        ["render", "--index", "0", "--image-size", "512x512", "-o", "OUT.svg"], ["filter", "--index", "0...3"],
    ])
    func sameOutput(arguments: [String]) throws {
        let (folder, input) = try Self.folder(withInputOf: "1M")
        defer { try? FileManager.default.removeItem(at: folder) }
        var outputs: [[UInt8]] = []
        for limit in [[], ["--memory-limit", "16K"]] {
            let tag = (arguments + limit).joined(separator: "-")
            let command = Self.command(arguments, in: folder, tag: tag) + limit + [input]
            let run = try runTool(command)
            #expect(run.status == 0, "\(command): \(run.stderr)")
            var output = Array(run.stdout.utf8)
            if let written = Self.command(arguments, in: folder, tag: tag).first(where: { $0.hasPrefix(folder.path) }) {
                output += try Paths.bytes(written)
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

    /// The same output proves nothing about the limit reaching the tables (a limit dropped gives
    /// it too). With `TMPDIR` a directory that does not exist, a table that spills is an error
    /// (exit 2, "cannot create a temporary file"): 16K must spill where 512M need not. (Not
    /// `convert --to coco` and `filter`: they write a temporary file whatever the limit. `stats`
    /// keeps few tables: it needs the bigger input to spill at 16K.)
    @Test("a small --memory-limit spills the tables where a large one keeps them in memory", arguments: [
        (["stats", "--json"], "1M"), (["validate"], "100k"), (["records"], "100k"),
        (["convert", "--to", "nifti", "--image-size", "512x512", "-o", "OUT.nii"], "100k"),
        (["measure", "--format", "json", "--image-size", "512x512"], "100k"),
        (["render", "--index", "0", "--image-size", "512x512", "-o", "OUT.svg"], "100k"),
    ])
    func limitReachesTables(arguments: [String], size: String) throws {
        let (folder, input) = try Self.folder(withInputOf: size)
        defer { try? FileManager.default.removeItem(at: folder) }
        let noTemporary = ["TMPDIR": folder.appendingPathComponent("missing").path]
        for (limit, spills) in [("512M", false), ("16K", true)] {
            let tag = (arguments + [limit]).joined(separator: "-")
            let command = Self.command(arguments, in: folder, tag: tag) + ["--memory-limit", limit, input]
            let run = try runTool(command, environment: noTemporary)
            if spills {
                #expect(run.status == 2 && run.stderr.contains("cannot create a temporary file"),
                        "\(command): --memory-limit \(limit) did not spill (it did not reach the tables): \(run.status) \(run.stderr)")
            } else {
                #expect(run.status == 0, "\(command): \(run.stderr)")
            }
        }
    }
}
