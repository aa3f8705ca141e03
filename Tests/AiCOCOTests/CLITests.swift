import Foundation
import Testing
@testable import AiCOCO

/// The `aicoco` executable built beside the test runner.
enum Tool {
    static let path: String = {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        // The runner may sit inside an .xctest bundle.
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("aicoco").path),
              directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("aicoco").path
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `aicoco` with `arguments`, feeding `input` on standard input.
    static func run(_ arguments: [String], input: [UInt8]? = nil) throws -> Result {
        try run(executable: path, arguments, input: input)
    }

    /// Runs `executable` with `arguments`, with `environment` over this process's; standard input
    /// is `input` (else /dev/null), standard output goes to `stdoutPath` when given (then the
    /// result's `stdout` is empty).
    static func run(executable: String, _ arguments: [String], input: [UInt8]? = nil,
                    environment: [String: String] = [:], stdoutPath: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        if let stdoutPath {
            process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)!
        } else {
            process.standardOutput = out
        }
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let input {
            DispatchQueue.global().async {
                inPipe.fileHandleForWriting.write(Data(input))
                try? inPipe.fileHandleForWriting.close()
            }
        }
        final class Sink: @unchecked Sendable { var data = Data() }
        let errSink = Sink()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errSink.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stdout = stdoutPath == nil ? out.fileHandleForReading.readDataToEndOfFile() : Data()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: errSink.data, as: UTF8.self))
    }
}

/// A temporary file that is removed when the test ends.
func temporaryFile(_ bytes: [UInt8], suffix: String = ".json") throws -> String {
    let path = NSTemporaryDirectory() + "aicoco-test-\(UUID().uuidString)\(suffix)"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

@Suite("Command line")
struct CLITests {
    @Test("the executable is built beside the tests")
    func toolExists() {
        #expect(FileManager.default.isExecutableFile(atPath: Tool.path), "\(Tool.path)")
    }

    @Test("stats --json: the keys and counts of a fixture")
    func statsJSON() throws {
        let result = try Tool.run(["stats", "--json", Paths.fixture("segmentation-series.json")])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let expected: [String: Int] = ["images": 8, "annotations": 15, "categories": 4, "regressions": 0,
                                       "objects": 4, "polygons": 18, "points": 204, "bboxes": 10, "bytes": 13350]
        for (key, value) in expected { #expect(object[key] as? Int == value, "\(key)") }
        #expect((object["objects_per_category"] as? [String: Int])?["Kidney"] == 2)
        #expect(result.stderr.isEmpty)
    }

    @Test("stats agrees with Python's json module on generated files", arguments: [false, true])
    func statsAgreesWithPython(pretty: Bool) throws {
        let (bytes, summary) = generate(bytes: 3_000_000, seed: 21, pretty: pretty,
                                        order: [.annotations, .meta, .images, .objects, .categories, .regressions])
        let path = try temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let ours = try Tool.run(["stats", "--json", path])
        #expect(ours.status == 0)
        let python = try Tool.run(executable: "/usr/bin/env",
                                  [Paths.python, Paths.root.appendingPathComponent("scripts/reference_stats.py").path, path])
        #expect(python.status == 0, "\(python.stderr)")
        let a = try JSONSerialization.jsonObject(with: Data(ours.stdout.utf8)) as! [String: Any]
        let b = try JSONSerialization.jsonObject(with: Data(python.stdout.utf8)) as! [String: Any]
        for key in ["images", "annotations", "categories", "regressions", "objects", "polygons", "points", "bboxes", "bytes"] {
            #expect(a[key] as? Int == b[key] as? Int, "\(key): ours \(String(describing: a[key])) python \(String(describing: b[key]))")
        }
        #expect(a["points"] as? Int == summary.points)
    }

    @Test("stats reads standard input, with - or without a file")
    func statsStdin() throws {
        let bytes = try Paths.bytes(Paths.fixture("detection.json"))
        for arguments in [["stats", "--json", "-"], ["stats", "--json"]] {
            let result = try Tool.run(arguments, input: bytes)
            #expect(result.status == 0)
            #expect(result.stdout.contains("\"bboxes\":5"))
        }
    }

    @Test("errors: exit 1 with FILE:LINE:COLUMN on stderr and nothing on stdout")
    func statsError() throws {
        let path = Paths.broken.appendingPathComponent("schema-iscrowd-2.json").path
        let result = try Tool.run(["stats", "--json", path])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("\(path):16:18: schema error:"))
        #expect(result.stderr.contains("$.annotations[0].iscrowd"))
    }

    @Test("iscrowd written -0 is a problem, as 0.0 and 1e0 are")
    func negativeZeroIscrowd() throws {
        let text = try String(contentsOfFile: Paths.fixture("detection.json"), encoding: .utf8)
        let bytes = Array(text.replacingOccurrences(of: "\"iscrowd\":0", with: "\"iscrowd\":-0").utf8)
        let result = try Tool.run(["validate", "-"], input: bytes)
        #expect(result.status == 1)
        #expect(result.stdout.contains("-:1:463: semantic error: iscrowd must be written as the integer 0 or 1, found -0 ($.annotations[0].iscrowd)"), "\(result.stdout)")
    }

    @Test("a file that cannot be read: exit 2")
    func unreadable() throws {
        let result = try Tool.run(["stats", "/nonexistent.json"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("/nonexistent.json"))
    }

    @Test("validate: exit codes, text and JSON reports")
    func validate() throws {
        let good = try Tool.run(["validate", Paths.fixture("extras.json")])
        #expect(good.status == 0)
        #expect(good.stdout == "\(Paths.fixture("extras.json")): valid\n")
        let path = Paths.broken.appendingPathComponent("reference-dangling-image-id.json").path
        let text = try Tool.run(["validate", path])
        #expect(text.status == 1)
        #expect(text.stdout.hasPrefix("\(path):24:19: reference error:"))
        #expect(text.stdout.contains("($.annotations[1].image_id)"))
        let json = try Tool.run(["validate", "--format", "json", path])
        #expect(json.status == 1)
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect(report["valid"] as? Bool == false)
        let errors = report["errors"] as! [[String: Any]]
        #expect(errors.count == 1)
        #expect(errors[0]["kind"] as? String == "reference")
        #expect(errors[0]["path"] as? String == "$.annotations[1].image_id")
        #expect(errors[0]["line"] as? Int == 24 && errors[0]["column"] as? Int == 19 && errors[0]["offset"] as? Int == 558)
        let usage = try Tool.run(["validate", "--format", "xml", path])
        #expect(usage.status == 2)
    }

    @Test("validate --max-errors caps the list and counts them all")
    func maxErrors() throws {
        var text = Array(ValidationRuleTests.valid.utf8)
        // Ten dangling references.
        let annotation = #"{"id":"a%d","image_id":"nope","object_id":"obj1","iscrowd":0,"bbox":null,"segmentation":null}"#
        let many = (0..<10).map { annotation.replacingOccurrences("%d", with: "\($0)") }.joined(separator: ",")
        let string = String(decoding: text, as: UTF8.self).replacingOccurrences(#""annotations":["#, with: #""annotations":["# + many + ",")
        text = Array(string.utf8)
        let path = try temporaryFile(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Tool.run(["validate", "--max-errors", "3", "--format", "json", path])
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect((report["errors"] as! [Any]).count == 3)
        // Images come before annotations: each of the ten is reported where it stands.
        #expect(report["error_count"] as? Int == 10)
        #expect(report["truncated"] as? Bool == true)
        #expect(result.status == 1)
    }

    @Test("generate: the requested size, seeded, and what stats reads back")
    func generateCommand() throws {
        let result = try Tool.run(["generate", "--bytes", "3M", "--seed", "3", "--summary"])
        #expect(result.status == 0)
        #expect(abs(result.stdout.utf8.count - 3 << 20) < 3 << 20 / 10)
        let again = try Tool.run(["generate", "--bytes", "3M", "--seed", "3"])
        #expect(again.stdout == result.stdout)
        let summary = try JSONSerialization.jsonObject(with: Data(result.stderr.utf8)) as! [String: Any]
        let stats = try Tool.run(["stats", "--json", "-"], input: Array(result.stdout.utf8))
        let counts = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as! [String: Any]
        for key in ["images", "annotations", "points", "bytes"] { #expect(counts[key] as? Int == summary[key] as? Int) }
    }

    @Test("the schema verdict agrees with Python's jsonschema wherever the schema is clear")
    func schemaParity() throws {
        var files: [(path: String, ours: Bool)] = []
        var cleanup: [String] = []
        defer { for path in cleanup { try? FileManager.default.removeItem(atPath: path) } }
        func add(_ bytes: [UInt8]) throws {
            let path = try temporaryFile(bytes)
            cleanup.append(path)
            let problems = validationProblems(.bytes(bytes))
            files.append((path, !problems.contains { $0.kind == .schema || $0.kind == .syntax }))
        }
        try add(Array(ValidationRuleTests.valid.utf8))
        for testCase in ValidationRuleTests.cases {
            try add(Array(ValidationRuleTests.valid.replacingOccurrences(testCase.target, with: testCase.replacement).utf8))
        }
        for name in Paths.goodFixtures { try add(try Paths.bytes(Paths.fixture(name))) }
        for name in expectedErrors.keys.sorted() where !name.hasPrefix("syntax-") || name == "syntax-top-not-object.json" {
            try add(try Paths.bytes(Paths.broken.appendingPathComponent(name).path))
        }
        let script = Paths.root.appendingPathComponent("scripts/schema_verdict.py").path
        let result = try Tool.run(executable: "/usr/bin/env", [Paths.python, script] + files.map(\.path))
        #expect(result.status == 0, "\(result.stderr)")
        let verdicts = result.stdout.split(separator: "\n").map { $0.split(separator: "\t") }
        #expect(verdicts.count == files.count)
        for (file, verdict) in zip(files, verdicts) {
            let theirs = verdict.count > 1 && verdict[1] == "valid"
            #expect(file.ours == theirs, "\(file.path): ours \(file.ours), jsonschema \(verdict)")
        }
    }

    @Test("--progress: bytes, %, MB/s and ETA on standard error, data unchanged; silent without it",
          arguments: [["stats", "--json"], ["validate"], ["records"]])
    func progressLine(subcommand: [String]) throws {
        let path = Paths.fixture("segmentation-series.json")
        let quiet = try Tool.run(subcommand + [path])
        let shown = try Tool.run(subcommand + ["--progress", path])
        #expect(quiet.status == 0 && shown.status == 0)
        #expect(shown.stderr.contains("13.0 KiB / 13.0 KiB 100.0%"), "\(shown.stderr)")
        #expect(shown.stderr.contains("MB/s") && shown.stderr.contains("ETA"))
        #expect(!quiet.stderr.contains("MB/s"), "no terminal, no --progress: \(quiet.stderr)")
        if subcommand.first != "stats" { #expect(shown.stdout == quiet.stdout) }
    }
}
