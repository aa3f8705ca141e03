import Foundation
import Testing
@testable import AiCOCO

// Hostile input: limits, bad bytes of every kind, the fuzzer's findings, and concurrency.
// The same checks at full scale (100 MB of random bytes, a 2 GB file cut short, 1,000,000-deep
// nesting, with time and memory bounds) are in scripts/hostile.sh.

/// A valid document to build broken ones from (every section, small).
let goodDocument = try! String(decoding: Paths.bytes(Paths.fixture("detection.json")), as: UTF8.self)

/// `count` opening brackets then as many closing ones.
func deepNesting(_ count: Int, prefix: String = "", suffix: String = "") -> [UInt8] {
    Array(prefix.utf8) + [UInt8](repeating: UInt8(ascii: "["), count: count)
        + [UInt8](repeating: UInt8(ascii: "]"), count: count) + Array(suffix.utf8)
}

/// A small deterministic generator of bytes (SplitMix64).
struct SeededBytes {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        while out.count < count {
            var word = next()
            for _ in 0..<min(8, count - out.count) {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }
}

/// Line and column of `offset`, counted from the bytes (the oracle for every error's place).
func placeOf(_ offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
    var line = 1
    var lineStart = 0
    for index in 0..<min(offset, bytes.count) where bytes[index] == 0x0A {
        line += 1
        lineStart = index + 1
    }
    return (line, offset - lineStart + 1)
}

func expectPlaced(_ error: DocumentError, in bytes: [UInt8], _ context: String = "",
                  sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    #expect(error.location.offset >= 0 && error.location.offset <= bytes.count, "\(context): \(error)",
            sourceLocation: sourceLocation)
    let (line, column) = placeOf(error.location.offset, in: bytes)
    #expect(error.location.line == line && error.location.column == column,
            "\(context): \(error) is at \(line):\(column) by the bytes", sourceLocation: sourceLocation)
}

@Suite("Limits")
struct LimitTests {
    /// The first `.limit` error of a validating parse.
    func limitError(_ bytes: [UInt8], _ limits: DocumentParsing.Limits) -> DocumentError? {
        validationProblems(.bytes(bytes), limits: limits).first { $0.kind == .limit }
    }

    @Test("a 1,000,000-deep array is a limit error, not a stack overflow, wherever it sits", arguments: [
        ("", ""),
        (#"{"images":"#, "}"),
        (#"{"unknown":"#, "}"),
        (#"{"images":[{"id":"#, "}]}"),
        (#"{"images":[{"extra":"#, "}]}"),
        (#"{"annotations":[{"segmentation":["#, "]}]}"),
    ])
    func depth(prefix: String, suffix: String) throws {
        let bytes = deepNesting(1_000_000, prefix: prefix, suffix: suffix)
        let error = try #require(limitError(bytes, DocumentParsing.Limits()))
        #expect(error.message.contains("maxDepth"), "\(error)")
        expectPlaced(error, in: bytes, prefix)
        #expect(error.location.offset < prefix.utf8.count + 600, "\(error)")
        // The record API stops there as well (or earlier, at the first problem).
        #expect(firstError(.bytes(bytes)) != nil)
    }

    @Test("maxDepth: the limit is configurable and counts every level")
    func depthConfigurable() throws {
        var limits = DocumentParsing.Limits()
        limits.maxDepth = 10
        // 10 levels in all (the document object is one) pass; 11 do not.
        let nine = Array(#"{"images":[{"id":"i","file_name":"f","index":0,"category_ids":null,"regressions":null,"x":[[[[[[[1]]]]]]]}]}"#.utf8)
        #expect(limitError(nine, limits) == nil)
        let ten = Array(#"{"images":[{"id":"i","file_name":"f","index":0,"category_ids":null,"regressions":null,"x":[[[[[[[[1]]]]]]]]}]}"#.utf8)
        let error = try #require(limitError(ten, limits))
        #expect(error.message.contains("maxDepth") && error.message.contains("10"))
        // Inside a value that is skipped (an unknown top-level key), the same count.
        #expect(limitError(deepNesting(9, prefix: #"{"x":"#, suffix: "}"), limits) == nil)
        #expect(limitError(deepNesting(10, prefix: #"{"x":"#, suffix: "}"), limits)?.message.contains("maxDepth") == true)
    }

    @Test("maxStringBytes")
    func stringLength() throws {
        var limits = DocumentParsing.Limits()
        limits.maxStringBytes = 100
        let long = String(repeating: "a", count: 101)
        let bytes = Array(goodDocument.replacingOccurrences("\"chest_001.png\"", with: "\"\(long)\"").utf8)
        #expect(bytes.count > goodDocument.utf8.count)
        let error = try #require(limitError(bytes, limits))
        #expect(error.message.contains("maxStringBytes"), "\(error)")
        expectPlaced(error, in: bytes)
        #expect(bytes[error.location.offset] == UInt8(ascii: "\""))
        limits.maxStringBytes = 101
        #expect(limitError(bytes, limits) == nil)
    }

    @Test("maxNumberBytes")
    func numberLength() throws {
        var limits = DocumentParsing.Limits()
        limits.maxNumberBytes = 20
        let bytes = Array(#"{"images":[{"id":"i","file_name":"f","index":1.00000000000000000000001,"category_ids":null,"regressions":null}]}"#.utf8)
        let error = try #require(limitError(bytes, limits))
        #expect(error.message.contains("maxNumberBytes"), "\(error)")
        let start = try #require(bytes.firstIndex(of: UInt8(ascii: "1")))
        #expect(error.location.offset == start && error.path == "$.images[0].index", "\(error)")
        // The default (1,024 bytes) lets it through.
        #expect(limitError(bytes, DocumentParsing.Limits()) == nil)
        // A 100,000-digit number is refused by default.
        let huge = Array(("{\"images\":[{\"index\":" + String(repeating: "9", count: 100_000) + "}]}").utf8)
        #expect(limitError(huge, DocumentParsing.Limits())?.message.contains("maxNumberBytes") == true)
    }

    @Test("maxTokenBytes: a string that never ends is refused after the limit, not buffered whole")
    func tokenLength() throws {
        var limits = DocumentParsing.Limits()
        limits.maxTokenBytes = 300_000
        let bytes = Array(#"{"images":[{"id":""#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 2_000_000)
        let error = try #require(limitError(bytes, limits))
        #expect(error.message.contains("maxTokenBytes"), "\(error)")
        #expect(error.location.offset < 1_000_000, "\(error)")
        expectPlaced(error, in: bytes)
    }

    @Test("maxRecordBytes: extra fields count, coordinates do not")
    func recordSize() throws {
        var limits = DocumentParsing.Limits()
        limits.maxRecordBytes = 1000
        let extras = (0..<40).map { "\"k\($0)\":\"\(String(repeating: "v", count: 30))\"" }.joined(separator: ",")
        let bytes = Array(#"{"categories":[{"id":"c","name":"n","supercategory_id":null,"#.utf8) + Array(extras.utf8) + Array("}]}".utf8)
        let error = try #require(limitError(bytes, limits))
        #expect(error.message.contains("maxRecordBytes"), "\(error)")
        #expect(error.path == "$.categories[0]" && error.location.offset == 15, "\(error)")
        // Many coordinates in a record are not counted against it.
        let numbers = (0..<2000).map { "\($0)" }.joined(separator: ",")
        let polygon = Array(#"{"annotations":[{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"bbox":null,"segmentation":[["#.utf8)
            + Array(numbers.utf8) + Array("]]}]}".utf8)
        #expect(limitError(polygon, limits) == nil)
    }

    @Test("maxCoordinatesPerRecord: the record API refuses, the visitor API streams")
    func coordinatesPerRecord() throws {
        var limits = DocumentParsing.Limits()
        limits.maxCoordinatesPerRecord = 100
        let numbers = (0..<102).map { "\($0)" }.joined(separator: ",")
        let bytes = Array(#"{"annotations":[{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"bbox":null,"segmentation":[["#.utf8)
            + Array(numbers.utf8) + Array("]]}]}".utf8)
        let error = try #require(firstError(.bytes(bytes), limits: limits))
        #expect(error.kind == .limit && error.message.contains("maxCoordinatesPerRecord"), "\(error)")
        expectPlaced(error, in: bytes)
        #expect(validationProblems(.bytes(bytes), limits: limits).allSatisfy { $0.kind != .limit })
    }

    @Test("problems kept: the record reader keeps maxProblemsKept and counts them all")
    func problemsKept() throws {
        let images = (0..<50).map { #"{"id":"i\#($0)","file_name":"f","index":"bad","category_ids":null,"regressions":null}"# }
        let bytes = Array(("{\"images\":[" + images.joined(separator: ",") + "]}").utf8)
        let reader = RecordReader(.bytes(bytes), options: RecordReader.Options(
            parser: DocumentParsing.Options(validate: true), maxProblemsKept: 7))
        while try reader.next() != nil {}
        #expect(reader.problems.count == 7)
        #expect(reader.problemCount == 50 + 1) // and the missing top-level keys
    }

    /// Each limit through the command line: exit 1 and the limit's name on the error.
    static let cliCases: [(options: [String], document: String, name: String)] = [
        (["--max-depth", "5"], #"{"images":[{"x":[[[[1]]]]}]}"#, "maxDepth"),
        (["--max-string-bytes", "10"], #"{"images":[{"id":"abcdefghijk"}]}"#, "maxStringBytes"),
        (["--max-number-bytes", "5"], #"{"images":[{"index":1234567}]}"#, "maxNumberBytes"),
        (["--max-record-bytes", "100"], "{\"images\":[{\"x\":\"" + String(repeating: "x", count: 200) + "\"}]}", "maxRecordBytes"),
        (["--max-string-bytes", "10", "--max-token-bytes", "2000"],
         #"{"images":[{"id":""# + String(repeating: "y", count: 600_000), "maxTokenBytes"),
        (["--max-record-coordinates", "3"], #"{"annotations":[{"segmentation":[[1,2,3,4]]}]}"#, "maxCoordinatesPerRecord"),
    ]

    @Test("every limit is an option of every reading subcommand", arguments: readingSubcommands)
    func limitsOnTheCommandLine(subcommand: [String]) throws {
        for (options, document, name) in Self.cliCases {
            // The coordinate limit belongs to the record API; validate and stats stream coordinates, and
            // convert and filter validate the whole document (streaming) before reading records.
            if name == "maxCoordinatesPerRecord" && ["validate", "stats", "convert", "filter"].contains(subcommand.first) { continue }
            let path = try temporaryFile(Array(document.utf8))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let result = try Tool.run(subcommand + options + [path])
            #expect(result.status == 1, "\(subcommand) \(options): \(result.stderr)")
            #expect((result.stdout + result.stderr).contains(name), "\(subcommand) \(options): \(result.stdout) \(result.stderr)")
            #expect((result.stdout + result.stderr).contains(subcommand.contains("json") ? #""kind":"limit""# : "limit error"),
                    "\(subcommand) \(options)")
        }
    }

    @Test("validate --max-errors 0 prints no problem but still fails")
    func maxErrorsZero() throws {
        let result = try Tool.run(["validate", "--max-errors", "0", Paths.broken.appendingPathComponent("schema-iscrowd-2.json").path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("... and 1 more"), "\(result.stdout)")
    }
}

/// The subcommands that read an AiCOCO input, with the options that make each a check.
/// A new reading subcommand is one more line here (e.g. `["records"]`, `["convert", "--to", "coco"]`).
let readingSubcommands: [[String]] = [
    ["stats"],
    ["stats", "--json"],
    ["validate"],
    ["validate", "--format", "json"],
    ["records"],
    ["records", "--section", "annotations"],
    ["convert", "--to", "coco", "--image-size", "512x512"],
    ["filter", "--index", "0...3"],
]

/// Bad inputs of every kind, each with what its error must say.
let hostileInputs: [(name: String, bytes: [UInt8], kind: DocumentError.Kind)] = {
    let good = Array(goodDocument.utf8)
    var cases: [(String, [UInt8], DocumentError.Kind)] = [
        ("empty file", [], .syntax),
        ("only whitespace", Array(" \n\t\r\n".utf8), .syntax),
        ("trailing garbage", good + Array(" x".utf8), .syntax),
        ("a second document", good + good, .syntax),
        ("invalid UTF-8 in a string", Array(goodDocument.replacingOccurrences("\"chest_001.png\"", with: "\"de\u{FFFF}\"").utf8)
            .map { $0 == 0xEF ? 0xC0 : $0 }, .syntax),
        ("a lone continuation byte in a string", Array(#"{"images":[{"id":""#.utf8) + [0x80] + Array(#""}]}"#.utf8), .syntax),
        ("NaN", Array(#"{"images":[{"index":NaN}]}"#.utf8), .syntax),
        ("Infinity", Array(#"{"images":[{"index":Infinity}]}"#.utf8), .syntax),
        ("-Infinity", Array(#"{"annotations":[{"segmentation":[[-Infinity]]}]}"#.utf8), .syntax),
        ("a byte order mark", [0xEF, 0xBB, 0xBF] + good, .syntax),
        ("a line comment", Array("// output\n".utf8) + good, .syntax),
        ("a block comment", Array(#"{"images":/* none */[]}"#.utf8), .syntax),
        ("a form feed", Array("{\u{0C}}".utf8), .syntax),
        ("a vertical tab", Array("{\n  \"images\": []\u{0B}\n  \"meta\": {}\n}".utf8), .syntax),
        ("random bytes", { var random = SeededBytes(state: 42); return random.bytes(4096) }(), .syntax),
        ("NUL bytes", [UInt8](repeating: 0, count: 100), .syntax),
        ("a top-level array", Array("[]".utf8), .schema),
        ("a top-level string", Array(#""images""#.utf8), .schema),
        ("a top-level number", Array("42".utf8), .schema),
        ("a top-level null", Array("null".utf8), .schema),
        ("a number that overflows a double", Array(goodDocument.replacingOccurrences("[[112,87,160,139]]", with: "[[112,87,1e400,139]]").utf8),
         .semantic),
        ("duplicate keys in a record", Array(goodDocument.replacingOccurrences(#""name":"Nodule""#, with: #""name":"Nodule","name":"Mass""#).utf8),
         .semantic),
        ("duplicate top-level keys", Array(goodDocument.utf8.dropLast(1)) + Array(#","images":[]}"#.utf8), .semantic),
    ]
    cases.append(("cut in the middle", Array(good.prefix(good.count / 2)), .syntax))
    return cases
}()

@Suite("Hostile input")
struct HostileInputTests {
    @Test("each bad input: the validator reports it, placed", arguments: hostileInputs.map(\.name))
    func library(name: String) throws {
        let (_, bytes, kind) = hostileInputs.first { $0.name == name }!
        let problems = validationProblems(.bytes(bytes))
        let first = try #require(problems.first { $0.kind == kind }, "\(name): \(problems)")
        for problem in problems { expectPlaced(problem, in: bytes, name) }
        _ = first
        // The record API never hands out a complete document: it throws (or, for what only
        // validation finds, i.e. semantic rules, it reads records that are fine).
        if kind != .semantic {
            #expect(firstError(.bytes(bytes)) != nil, "\(name)")
        }
        // Chunked, the same problems.
        var parser = DocumentParser(visitor: ProblemList(), options: DocumentParsing.Options(validate: true))
        var chunked: [DocumentError] = []
        do {
            var position = 0
            while position < bytes.count {
                let end = min(bytes.count, position + 3)
                try parser.feed(bytes[position..<end])
                position = end
            }
            try parser.finish()
            chunked = parser.visitor.problems
        } catch let error as DocumentError {
            chunked = parser.visitor.problems + [error]
        }
        #expect(chunked == problems, "\(name)")
    }

    @Test("each bad input, each subcommand: exit 1, a placed message, no complete result on stdout",
          arguments: readingSubcommands)
    func commandLine(subcommand: [String]) throws {
        for (name, bytes, _) in hostileInputs {
            let path = try temporaryFile(bytes)
            defer { try? FileManager.default.removeItem(atPath: path) }
            for viaStdin in [false, true] {
                let result = viaStdin ? try Tool.run(subcommand + ["-"], input: bytes) : try Tool.run(subcommand + [path])
                let file = viaStdin ? "-" : path
                let context = "\(subcommand) \(name)\(viaStdin ? " (stdin)" : "")"
                #expect(result.status == 1, "\(context): \(result.stderr)")
                expectNoCompleteResult(result, subcommand: subcommand, file: file, context: context)
            }
        }
    }

    @Test("a 1 MB file of random bytes, each subcommand", arguments: readingSubcommands)
    func randomMegabyte(subcommand: [String]) throws {
        for seed in [UInt64(1), 2, 3] {
            var random = SeededBytes(state: seed)
            var bytes = random.bytes(1 << 20)
            if seed == 3 { bytes[0] = UInt8(ascii: "{") } // past the first byte
            let path = try temporaryFile(bytes)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let result = try Tool.run(subcommand + [path])
            #expect(result.status == 1, "\(subcommand) seed \(seed): \(result.stderr)")
            expectNoCompleteResult(result, subcommand: subcommand, file: path, context: "\(subcommand) seed \(seed)")
        }
    }

    @Test("1,000,000-deep nesting, each subcommand", arguments: readingSubcommands)
    func deepNestingCLI(subcommand: [String]) throws {
        for (prefix, suffix) in [("", ""), (#"{"images":"#, "}"), (#"{"x":"#, "}")] {
            let path = try temporaryFile(deepNesting(1_000_000, prefix: prefix, suffix: suffix))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let result = try Tool.run(subcommand + [path])
            #expect(result.status == 1, "\(subcommand) \(prefix): \(result.stderr)")
            expectNoCompleteResult(result, subcommand: subcommand, file: path, context: "\(subcommand) \(prefix)")
            if subcommand.first == "validate" {
                #expect(result.stdout.contains("maxDepth"), "\(subcommand) \(prefix): \(result.stdout)")
            }
        }
    }

    @Test("a generated 2 MB file cut at random bytes, each subcommand", arguments: readingSubcommands)
    func generatedCut(subcommand: [String]) throws {
        let bytes = generate(bytes: 2 << 20, seed: 5).bytes
        var random = SeededBytes(state: 9)
        for _ in 0..<4 {
            let cut = Int(random.next() % UInt64(bytes.count - 1))
            let path = try temporaryFile(Array(bytes.prefix(cut)))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let result = try Tool.run(subcommand + [path])
            #expect(result.status == 1, "\(subcommand) cut at \(cut): \(result.stderr)")
            expectNoCompleteResult(result, subcommand: subcommand, file: path, context: "\(subcommand) cut at \(cut)")
            #expect((result.stdout + result.stderr).contains("unexpected end of input"),
                    "\(subcommand) cut at \(cut): \(result.stdout) \(result.stderr)")
        }
    }

    @Test("cut anywhere, through the library: a syntax error placed at the end, whatever the chunking")
    func cutAnywhere() throws {
        let bytes = generate(bytes: 200_000, seed: 3, pretty: true).bytes
        var random = SeededBytes(state: 11)
        for _ in 0..<40 {
            let cut = Int(random.next() % UInt64(bytes.count))
            let prefix = Array(bytes.prefix(cut))
            let problems = validationProblems(.bytes(prefix))
            let last = try #require(problems.last)
            #expect(last.kind == .syntax && last.location.offset == cut, "cut at \(cut): \(last)")
            expectPlaced(last, in: prefix, "cut at \(cut)")
            #expect(throws: DocumentError.self) { _ = try readRecordsChunked(prefix, chunkSizes: [1, 7, 4096]) }
        }
    }
}

/// What a failed run may write: `stats` nothing on stdout; `validate` the problems (text), or a
/// report that says `"valid":false` (JSON). The message names the file, line and column.
func expectNoCompleteResult(_ result: Tool.Result, subcommand: [String], file: String, context: String,
                            sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let placed = try! NSRegularExpression(pattern: "^\(NSRegularExpression.escapedPattern(for: file)):[0-9]+:[0-9]+: [a-z]+ error: ",
                                          options: [.anchorsMatchLines])
    func hasPlace(_ text: String) -> Bool {
        placed.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
    switch subcommand.first {
    case "validate" where subcommand.contains("json"):
        let report = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(report?["valid"] as? Bool == false, "\(context): \(result.stdout)", sourceLocation: sourceLocation)
        let errors = report?["errors"] as? [[String: Any]] ?? []
        #expect(!errors.isEmpty && errors.allSatisfy { $0["line"] is Int && $0["column"] is Int && $0["offset"] is Int },
                "\(context): \(result.stdout)", sourceLocation: sourceLocation)
    case "validate":
        #expect(hasPlace(result.stdout), "\(context): \(result.stdout)", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains(": valid"), "\(context)", sourceLocation: sourceLocation)
    case "records":
        // JSON lines stream out as they are read: the lines before the problem stay, each one
        // whole (never a cut line); the exit code and the placed message tell the pipeline.
        #expect(result.stdout.isEmpty || result.stdout.hasSuffix("\n"), "\(context): a cut line", sourceLocation: sourceLocation)
        for line in result.stdout.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "\(context): \(line.prefix(80))",
                    sourceLocation: sourceLocation)
        }
        #expect(hasPlace(result.stderr), "\(context): \(result.stderr)", sourceLocation: sourceLocation)
    default:
        #expect(result.stdout.isEmpty, "\(context): \(result.stdout)", sourceLocation: sourceLocation)
        #expect(hasPlace(result.stderr), "\(context): \(result.stderr)", sourceLocation: sourceLocation)
    }
}

@Suite("Fuzzer findings and invariants")
struct FuzzRegressionTests {
    /// Every fixture, broken fixture, fuzzer finding (Fixtures/fuzz/) and hostile-input finding
    /// (Fixtures/hostile/).
    static let inputs: [String] = {
        var paths: [String] = []
        for directory in [Paths.fixtures, Paths.broken, Paths.fixtures.appendingPathComponent("fuzz"),
                          Paths.fixtures.appendingPathComponent("hostile")] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for name in names.sorted() where name != "expected.json" && name != "README.md" && !name.hasPrefix(".") {
                var isDirectory: ObjCBool = false
                let path = directory.appendingPathComponent(name).path
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    paths.append(path)
                }
            }
        }
        return paths
    }()

    /// The harness's limits for inputs whose first byte is odd (Fuzz/Sources/AiCOCOFuzz).
    static func limits(for bytes: [UInt8]) -> DocumentParsing.Limits {
        var limits = DocumentParsing.Limits()
        if let first = bytes.first, first & 1 == 1 {
            limits.maxDepth = 8
            limits.maxStringBytes = 48
            limits.maxNumberBytes = 24
            limits.maxRecordBytes = 400
            limits.maxCoordinatesPerRecord = 40
        }
        return limits
    }

    func problems(_ bytes: [UInt8], chunk: Int, limits: DocumentParsing.Limits) -> [DocumentError] {
        var parser = DocumentParser(visitor: ProblemList(), options: DocumentParsing.Options(limits: limits, validate: true))
        do {
            var position = 0
            while position < bytes.count {
                let end = min(bytes.count, position + chunk)
                try parser.feed(bytes[position..<end])
                position = end
            }
            try parser.finish()
            return parser.visitor.problems
        } catch let error as DocumentError {
            return parser.visitor.problems + [error]
        } catch {
            return parser.visitor.problems
        }
    }

    @Test("the harness's invariants on every fixture and finding: places from the bytes, any split the same",
          arguments: inputs)
    func invariants(path: String) throws {
        let bytes = try Paths.bytes(path)
        for limits in [DocumentParsing.Limits(), Self.limits(for: bytes)] {
            let whole = problems(bytes, chunk: max(1, bytes.count), limits: limits)
            for problem in whole { expectPlaced(problem, in: bytes, path) }
            for chunk in [1, 2, 5, 64] {
                #expect(problems(bytes, chunk: chunk, limits: limits) == whole, "\(path), chunks of \(chunk)")
            }
        }
    }

    @Test("an error token right at a chunk's start is placed on it, not on the value before")
    func tokenAtChunkStart() throws {
        let bytes = Array(#"{"a": true["#.utf8)
        for chunk in [1, 10, 11] {
            let error = try #require(problems(bytes, chunk: chunk, limits: DocumentParsing.Limits()).last)
            #expect(error.location.offset == 10, "chunks of \(chunk): \(error)")
        }
    }

    @Test("a string split across chunks, with escapes, is placed at its opening quote")
    func stringAcrossChunks() throws {
        // A duplicate id with escapes, long enough to span pieces and the kept history.
        let id = String(repeating: #"\"\\\u0041x"#, count: 2000)
        let record = #"{"id":"\#(id)","file_name":"f","index":0,"category_ids":null,"regressions":null}"#
        let bytes = Array(#"{"images":[\#(record),\#(record)]}"#.utf8)
        let expected = bytes.count - record.utf8.count - 2 + 6
        for chunk in [1, 3, 4096, 5000, bytes.count] {
            let duplicate = try #require(problems(bytes, chunk: chunk, limits: DocumentParsing.Limits()).first { $0.kind == .reference })
            #expect(duplicate.location.offset == expected, "chunks of \(chunk): \(duplicate)")
        }
    }
}

@Suite("Concurrency")
struct ConcurrencyTests {
    @Test("many documents, good and bad, validated concurrently through the async API")
    func concurrentValidation() async throws {
        var documents: [[UInt8]] = (1...4).map { generate(bytes: 80_000, seed: UInt64($0), order: DocumentForm.Kind.image.sections.reversed()).bytes }
        documents += hostileInputs.prefix(8).map(\.bytes)
        documents.append(deepNesting(100_000, prefix: #"{"images":"#, suffix: "}"))
        let options = RecordReader.Options(parser: DocumentParsing.Options(validate: true), sliceBytes: 997)
        // Expected: the same reading done one at a time, synchronously.
        struct Outcome: Equatable { var records: [Record]; var problems: [DocumentError]; var error: DocumentError? }
        func sync(_ bytes: [UInt8]) -> Outcome {
            let reader = RecordReader(.bytes(bytes), options: options)
            var records: [Record] = []
            do {
                while let record = try reader.next() { records.append(record) }
                return Outcome(records: records, problems: reader.problems, error: nil)
            } catch {
                return Outcome(records: records, problems: reader.problems, error: error as? DocumentError)
            }
        }
        let expected = documents.map(sync)
        try await withThrowingTaskGroup(of: (Int, Outcome).self) { group in
            for round in 0..<3 {
                for (index, document) in documents.enumerated() {
                    group.addTask {
                        let reader = RecordReader(chunks: ChunkSequence(bytes: document, size: 1000 + 37 * round),
                                                        options: options)
                        var records: [Record] = []
                        do {
                            for try await record in reader.records { records.append(record) }
                            return (index, Outcome(records: records, problems: reader.problems, error: nil))
                        } catch {
                            return (index, Outcome(records: records, problems: reader.problems, error: error as? DocumentError))
                        }
                    }
                }
            }
            for try await (index, outcome) in group { #expect(outcome == expected[index], "document \(index)") }
        }
    }

    @Test("readers abandoned half-way, concurrently, stop and free their input")
    func concurrentCancellation() async throws {
        let document = generate(bytes: 400_000, seed: 8).bytes
        await withTaskGroup(of: Int.self) { group in
            for take in 0..<16 {
                group.addTask {
                    let reader = RecordReader(.bytes(document), options: RecordReader.Options(sliceBytes: 512))
                    var seen = 0
                    do {
                        for try await _ in reader.records {
                            seen += 1
                            if seen == take * 3 { break }
                        }
                    } catch {}
                    if take % 2 == 0 { reader.cancel() }
                    return seen
                }
            }
            for await seen in group { #expect(seen >= 0) }
        }
    }
}

/// An async sequence of chunks of `bytes`.
struct ChunkSequence: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let bytes: [UInt8]
    let size: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        let size: Int
        var position = 0
        mutating func next() async -> [UInt8]? {
            guard position < bytes.count else { return nil }
            let end = Swift.min(bytes.count, position + size)
            defer { position = end }
            await Task.yield()
            return Array(bytes[position..<end])
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes, size: size) }
}
