import Foundation
import Testing

/// `-o/--output FILE`: the file is written whole or not at all.
@Suite("Output files")
struct OutputFileTests {
    static func directory() throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("aicoco-output-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func contents(_ directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    static let commands: [[String]] = [
        ["convert", "--to", "coco", "--image-size", "512x512", Paths.fixture("segmentation-series.json")],
        ["filter", "--category", "Liver", Paths.fixture("segmentation-series.json")],
        ["generate", "--bytes", "20k"],
        ["assemble", "--pretty", Paths.root.appendingPathComponent("Fixtures/flavor/records_b3UbJp42tMFsBzD8Ucw9W.jsonl").path],
    ]

    @Test("-o FILE holds what standard output would, and nothing else is left beside it",
          arguments: commands.filter { $0[0] != "assemble" })
    func sameAsStandardOutput(arguments: [String]) throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("out.json")
        try Data("old content".utf8).write(to: file)
        let toStdout = try runTool(arguments)
        #expect(toStdout.status == 0, "\(toStdout.stderr)")
        for option in ["-o", "--output"] {
            let toFile = try runTool(Array(arguments.prefix(1)) + [option, file.path] + arguments.dropFirst())
            #expect(toFile.status == 0, "\(toFile.stderr)")
            #expect(toFile.stdout.isEmpty)
            #expect(try String(contentsOf: file, encoding: .utf8) == toStdout.stdout)
            #expect(Self.contents(directory) == ["out.json"])
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? Int ?? 0) & 0o044 == 0o044, "readable like a new file")
    }

    @Test("on invalid input or an unreadable file, an existing FILE stays as it was", arguments: [
        ["convert", "--to", "coco", "--image-size", "512x512"], ["filter", "--index", "0...3"], ["assemble"],
    ])
    func untouchedOnFailure(arguments: [String]) throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("out.json")
        try Data("old content".utf8).write(to: file)
        let broken = Paths.broken.appendingPathComponent("reference-dangling-object-id.json").path
        let invalid = try runTool(arguments + ["-o", file.path, broken])
        #expect(invalid.status == 1, "\(invalid.stderr)")
        let missing = try runTool(arguments + ["-o", file.path, directory.appendingPathComponent("nope.json").path])
        #expect(missing.status == 2)
        #expect(try String(contentsOf: file, encoding: .utf8) == "old content")
        #expect(Self.contents(directory) == ["out.json"])
    }

    @Test("SIGINT or SIGTERM half-way: an existing FILE stays as it was and the temporary file goes",
          arguments: [SIGINT, SIGTERM])
    func untouchedOnSignal(signal: Int32) throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("out.json")
        try Data("old content".utf8).write(to: file)
        for subcommand in [["convert", "--to", "coco", "--image-size", "512x512"], ["filter", "--index", "0...3"]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Tool.path)
            process.arguments = subcommand + ["-o", file.path, "-"]
            let input = Pipe()
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Half a document, and the pipe left open: the subcommand waits for the rest.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: Paths.fixture("segmentation-series.json")))
            input.fileHandleForWriting.write(bytes.prefix(bytes.count / 2))
            var waited = 0
            while Self.contents(directory).count < 2 && waited < 200 {
                usleep(20_000)
                waited += 1
            }
            #expect(Self.contents(directory).count == 2, "the temporary file beside FILE appears")
            kill(process.processIdentifier, signal)
            var left = 500
            while process.isRunning && left > 0 {
                usleep(20_000)
                left -= 1
            }
            if process.isRunning {
                Issue.record("\(subcommand[0]) did not end on signal \(signal)")
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
            try? input.fileHandleForWriting.close()
            #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == signal,
                    "\(subcommand[0]): \(process.terminationReason) \(process.terminationStatus)")
            #expect(try String(contentsOf: file, encoding: .utf8) == "old content")
            #expect(Self.contents(directory) == ["out.json"], "\(Self.contents(directory))")
        }
    }

    @Test("-o into a directory that does not exist: exit 2, nothing written")
    func unwritable() throws {
        let result = try runTool(["generate", "--bytes", "10k", "-o", "/nonexistent-aicoco/x.json"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent-aicoco"))
    }
}
