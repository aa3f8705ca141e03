import Foundation
import Testing
@testable import AiCOCO

/// A generated real-shaped document with injected reference problems: duplicate annotation ids
/// at the start and at the end, a duplicate image id, references to an image and an object that
/// do not exist (forward when the sections are reordered, backward otherwise).
func documentWithReferenceProblems(reordered: Bool) throws -> [UInt8] {
    let order: [Section] = reordered ? [.meta, .annotations, .objects, .categories, .regressions, .images]
        : [.images, .annotations, .categories, .regressions, .objects, .meta]
    var text = String(decoding: generate(bytes: 1_500_000, seed: 11, order: order).bytes, as: UTF8.self)
    let document = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    let annotations = document["annotations"] as! [[String: Any]]
    let images = document["images"] as! [[String: Any]]
    func id(_ record: [String: Any], _ key: String = "id") -> String { record[key] as! String }
    func replaceFirst(_ old: String, _ new: String) {
        if let range = text.range(of: old) { text.replaceSubrange(range, with: new) }
    }
    replaceFirst("\"id\":\"\(id(annotations[1]))\"", "\"id\":\"\(id(annotations[0]))\"")
    replaceFirst("\"id\":\"\(id(annotations[annotations.count - 1]))\"", "\"id\":\"\(id(annotations[annotations.count - 2]))\"")
    replaceFirst("\"id\":\"\(id(images[images.count - 1]))\"", "\"id\":\"\(id(images[0]))\"")
    text = text.replacingOccurrences(of: "\"image_id\":\"\(id(annotations[5], "image_id"))\"", with: "\"image_id\":\"nowhere\"")
    text = text.replacingOccurrences(of: "\"object_id\":\"\(id(annotations[annotations.count - 3], "object_id"))\"",
                                     with: "\"object_id\":\"gone\"")
    return Array(text.utf8)
}

@Suite("Memory limit")
struct MemoryLimitTests {
    func problems(_ bytes: [UInt8], memoryLimit: Int) -> [DocumentError] {
        struct Collect: DocumentVisitor {
            var problems: [DocumentError] = []
            mutating func visitProblem(_ error: DocumentError) throws { problems.append(error) }
        }
        var parser = DocumentParser(visitor: Collect(), options: DocumentParsing.Options(validate: true, memoryLimit: memoryLimit))
        do {
            try parser.feed(bytes)
            try parser.finish()
        } catch {
            Issue.record("\(error)")
        }
        return parser.visitor.problems
    }

    @Test("reference problems are the same whatever the memory limit, in file order", arguments: [false, true])
    func sameProblems(reordered: Bool) throws {
        let bytes = try documentWithReferenceProblems(reordered: reordered)
        let unlimited = problems(bytes, memoryLimit: 1 << 30)
        let duplicates = unlimited.filter { $0.message.hasPrefix("duplicate id") }
        #expect(duplicates.count == 3)
        let nowhere = unlimited.filter { $0.message.contains("refers to image \"nowhere\"") }
        // Forward references are counted on the first; references to a complete section each have their own.
        #expect(reordered ? nowhere.count == 1 : nowhere.count > 1, "\(nowhere)")
        #expect(unlimited.contains { $0.message.contains("refers to object \"gone\"") })
        #expect(unlimited.map(\.location.offset) == unlimited.map(\.location.offset).sorted())
        for limit in [16 << 10, 64 << 10, DocumentParsing.Options.defaultMemoryLimit] {
            #expect(problems(bytes, memoryLimit: limit) == unlimited, "limit \(limit)")
        }
    }

    @Test("the external sorter gives every record in key order past its budget")
    func sorterSpills() throws {
        let budget = MemoryBudget(limit: 16 << 10)
        let sorter = ExternalSorter(budget: budget, indexed: true)
        var generator = SystemRandomNumberGenerator()
        var expected: [[UInt8]] = []
        for index in 0..<20_000 {
            let key = (0..<Int.random(in: 1...24, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            expected.append(key)
            let payload = withUnsafeBytes(of: index) { Array($0) }
            try key.withUnsafeBytes { key in try payload.withUnsafeBytes { _ = try sorter.append(key: key, payload: $0) } }
            #expect(budget.used <= budget.limit + 64 << 10)
        }
        #expect(sorter.hasRuns)
        let stream = try sorter.sorted()
        var got: [[UInt8]] = []
        while !stream.atEnd {
            got.append(Array(stream.key))
            try stream.advance()
        }
        #expect(got == expected.sorted { $0.lexicographicallyPrecedes($1) })
        sorter.reset()
    }

    @Test("an id map past its budget finds every id, and only those (merged file read by block, or whole once the budget is raised)",
          arguments: [false, true])
    func idMapSpills(raised: Bool) throws {
        let budget = MemoryBudget(limit: 16 << 10)
        let map = IDMap(budget: budget)
        let ids = (0..<5_000).map { "id-\($0 * 7919 % 100_003)" }
        for (index, id) in ids.enumerated() { try map.set(id, Array("\(index)".utf8)) }
        try map.set(ids[3], Array("later".utf8))  // the first value wins
        if raised { budget.raise(to: 1 << 20) }
        try map.freeze()
        #expect(map.wholeFile == raised)
        for (index, id) in ids.enumerated().shuffled() {
            #expect(try map.value(for: id).map { String(decoding: $0, as: UTF8.self) } == "\(index)")
        }
        #expect(try map.value(for: "id-missing") == nil)
    }

    @Test("nanoids pack into 16 bytes and decode back; other ids keep their bytes")
    func keys() {
        for id in ["V1StGXR8_Z5jdHi6B-myT", "aaaaaaaaaaaaaaaaaaaaa", "---------------------", "short", "é-not-a-nanoid-of-21c", ""] {
            var key: [UInt8] = []
            var text = id
            text.withUTF8 { IDKey.encode($0, into: &key) }
            if id.utf8.count == 21 && id.utf8.allSatisfy({ $0 < 128 }) { #expect(key.count == 16, "\(id)") }
            #expect(key.withUnsafeBytes { IDKey.decode($0) } == id)
        }
    }

    /// Runs `aicoco` with `arguments` and TMPDIR set.
    func run(_ arguments: [String], tmpdir: String) throws -> Tool.Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Tool.path)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = tmpdir
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Tool.Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                           stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test("--memory-limit 64K gives byte-identical output to the default, every subcommand, fixtures and generated files")
    func cliByteIdentical() throws {
        let broken = try FileManager.default.contentsOfDirectory(atPath: Paths.fixture("broken"))
            .filter { $0.hasSuffix(".json") }.sorted().map { Paths.fixture("broken/" + $0) }
        var paths = Paths.goodFixtures.map { Paths.fixture($0) } + broken
        let generated = [try temporaryFile(documentWithReferenceProblems(reordered: true)),
                         try temporaryFile(documentWithReferenceProblems(reordered: false)),
                         try temporaryFile(generate(bytes: 1_500_000, seed: 3).bytes)]
        defer { for path in generated { try? FileManager.default.removeItem(atPath: path) } }
        paths += generated
        let commands: [[String]] = [["validate", "--format", "json"], ["stats", "--json"], ["records"],
                                    ["convert", "--to", "coco", "--image-size", "512x512"],
                                    ["filter", "--category", "Lesion"], ["filter", "--index", "3...9"]]
        func masked(_ text: String) -> String {
            text.replacingOccurrences(of: #""elapsed_seconds":[0-9.]+,"mb_per_second":[0-9.]+"#, with: "", options: .regularExpression)
        }
        for path in paths {
            for command in commands {
                let small = try Tool.run(command + ["--memory-limit", "64K", path])
                let normal = try Tool.run(command + [path])
                #expect(small.status == normal.status && masked(small.stdout) == masked(normal.stdout)
                        && small.stderr == normal.stderr, "\(command) \(path)")
            }
            let lines = try Tool.run(["records", path])
            let small = try Tool.run(["assemble", "--memory-limit", "64K"], input: Array(lines.stdout.utf8))
            let normal = try Tool.run(["assemble"], input: Array(lines.stdout.utf8))
            #expect(small.status == normal.status && small.stdout == normal.stdout && small.stderr == normal.stderr,
                    "assemble \(path)")
        }
    }

    @Test("a temporary directory that cannot be used is an error naming it and TMPDIR, exit 2")
    func unusableTemporaryDirectory() throws {
        let path = try temporaryFile(generate(bytes: 1_500_000, seed: 3).bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        for command in [["validate"], ["stats"], ["convert", "--to", "coco", "--image-size", "512x512"], ["filter", "--index", "3...9"]] {
            let result = try run(command + ["--memory-limit", "16K", path], tmpdir: "/nonexistent-aicoco-dir")
            #expect(result.status == 2, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("/nonexistent-aicoco-dir") && result.stderr.contains("TMPDIR"), "\(command): \(result.stderr)")
        }
    }

    @Test("within a large --memory-limit, validate needs no temporary directory (the place log grows in memory)")
    func noTemporaryDirectoryWithinTheLimit() throws {
        let path = try temporaryFile(generate(bytes: 1_500_000, seed: 3).bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        for threads in ["1", "2"] {
            let result = try run(["validate", "--threads", threads, "--memory-limit", "512M", path], tmpdir: "/nonexistent-aicoco-dir")
            #expect(result.status == 0 && result.stdout.hasSuffix(": valid\n"), "\(result.stdout)\(result.stderr)")
        }
    }
}
