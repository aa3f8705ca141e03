import Foundation
import Testing
@testable import AiCOCO

// The findings of the hostile-input run (issue 14), each replayed from a fixture in
// Fixtures/hostile/ (scripts/make_hostile_fixtures.py) or generated here when big.

enum Hostile {
    static let directory = Paths.fixtures.appendingPathComponent("hostile")
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The repository's Python (`.venv`) when there is one, else `python3` from the PATH.
    static let python: String = {
        let venv = Paths.root.appendingPathComponent(".venv/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
    }()

    /// Runs `script` with `/bin/sh -c` (for pipes, ulimit and environment variables).
    static func shell(_ script: String) throws -> Tool.Result {
        try Tool.run(executable: "/bin/sh", ["-c", script])
    }
}

/// What yajl's own generator writes for `value`, recursively (the reference for `JSONValueText`).
private func yajlWrite(_ value: JSONValue, _ generator: YajlGenerator) throws {
    switch value {
    case .null: try generator.null()
    case .bool(let flag): try generator.bool(flag)
    case .number(let number): try generator.numberLiteral(number.literal)
    case .string(let text): try generator.string(text)
    case .array(let items):
        try generator.arrayOpen()
        for item in items { try yajlWrite(item, generator) }
        try generator.arrayClose()
    case .object(let members):
        try generator.mapOpen()
        for member in members {
            try generator.string(member.key)
            try yajlWrite(member.value, generator)
        }
        try generator.mapClose()
    }
}

@Suite("Hostile findings: writer depth (issue 14, item 1)")
struct WriterDepthTests {
    /// Values of every shape: the extras of the fixtures and hand-made edge cases.
    static let values: [JSONValue] = {
        var values: [JSONValue] = [
            .array([]), .object([]), .array([.array([]), .object([])]),
            .object([JSONMember("a", .array([])), JSONMember("b", .object([JSONMember("", .null)]))]),
            .array([.string(String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self))]),
            .object([JSONMember("k\u{0}\"\\/\u{7F}é\u{1F600}", .string("\u{2028}/\u{1}\u{1F}"))]),
            .array([.number(JSONNumber(literal: "-0.0e-0")), .number(JSONNumber(literal: "12345678901234567890")),
                    .bool(true), .bool(false), .null]),
        ]
        for name in Paths.goodFixtures + ["hostile/deep-extra-125.json"] {
            let records = (try? readRecords(.file(Paths.fixture(name)))) ?? []
            for record in records {
                let extra: [JSONMember]
                switch record {
                case .image(let value): extra = value.extra
                case .annotation(let value): extra = value.extra
                case .category(let value): extra = value.extra
                case .regression(let value): extra = value.extra
                case .object(let value): extra = value.extra
                case .meta(let value): extra = value.extra
                case .table(let value): extra = value.extra
                case .recordsReference(let value): extra = value.extra
                case .tabularRecord(let value): extra = value.extra
                }
                values += extra.map(\.value)
                if !extra.isEmpty { values.append(.object(extra)) }
            }
        }
        return values
    }()

    /// Nesting of a value (a scalar is 0).
    static func nesting(_ value: JSONValue) -> Int {
        switch value {
        case .array(let items): 1 + (items.map(nesting).max() ?? 0)
        case .object(let members): 1 + (members.map { nesting($0.value) }.max() ?? 0)
        default: 0
        }
    }

    @Test("JSONWriter writes any value byte for byte as yajl's generator does, compact and pretty, in arrays and objects")
    func sameTextAsYajl() throws {
        #expect(Self.values.count > 20)
        #expect(Self.values.contains { Self.nesting($0) >= 125 })
        var compared = 0
        for value in Self.values {
            for pretty in [false, true] {
                for depth in [0, 1, 2, 5] where depth + Self.nesting(value) < 120 {
                    for inObject in [false, true] {
                        var ours: [UInt8] = []
                        let writer = JSONWriter(pretty: pretty, sink: { ours.append(contentsOf: $0) })
                        let reference = YajlGenerator(pretty: pretty)
                        for _ in 0..<depth { try writer.beginArray(); try reference.arrayOpen() }
                        if inObject { try writer.beginObject(); try writer.key("x"); try reference.mapOpen(); try reference.string("x") }
                        try writer.value(value)
                        try yajlWrite(value, reference)
                        if inObject { try writer.endObject(); try reference.mapClose() }
                        for _ in 0..<depth { try writer.endArray(); try reference.arrayClose() }
                        try writer.flush()
                        var theirs: [UInt8] = []
                        try reference.drain { theirs.append(contentsOf: $0) }
                        #expect(ours == theirs, "\(value) at depth \(depth), pretty \(pretty), in object \(inObject): \(String(decoding: ours, as: UTF8.self)) vs \(String(decoding: theirs, as: UTF8.self))")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared > 100)
    }

    @Test("a value 1,000 deep is written and read back the same (beyond yajl's 128 levels)")
    func deeperThanYajl() throws {
        var value = JSONValue.object([JSONMember("leaf", .string("é\n"))])
        for level in 0..<1000 { value = level % 2 == 0 ? .array([value, .null]) : .object([JSONMember("o", value)]) }
        let annotation = Annotation(id: "a", imageID: "i", objectID: "o", iscrowd: 0,
                                      bbox: [BoundingBox(x1: 1, y1: 2, x2: 3, y2: 4)], segmentation: nil,
                                      extra: [JSONMember("deep", value)])
        for pretty in [false, true] {
            var output: [UInt8] = []
            let writer = DocumentWriter(pretty: pretty, sink: { output.append(contentsOf: $0) })
            try writer.writeDocument([.annotation(annotation), .meta(Meta(categoryIDs: nil, regressions: nil))])
            var limits = DocumentParsing.Limits()
            limits.maxDepth = 1100
            let records = try readRecords(.bytes(output), options: RecordReader.Options(parser: DocumentParsing.Options(limits: limits)))
            #expect(records.first == .annotation(annotation), "pretty \(pretty)")
        }
    }

    @Test("the depth-125 and the 512-deep (reader's limit) documents: records | assemble, filter and convert give back the input",
          arguments: ["deep-extra-125.json", "deep-extra-at-limit.json"])
    func roundTrip(name: String) throws {
        let path = Hostile.path(name)
        let input = try readRecords(.file(path))
        #expect(input.count > 10)

        let filtered = try Tool.run(["filter", path])
        #expect(filtered.status == 0, "\(filtered.stderr)")
        #expect(try readRecords(.bytes(Array(filtered.stdout.utf8))) == input)

        let lines = try Tool.run(["records", path])
        #expect(lines.status == 0, "\(lines.stderr)")
        #expect(lines.stdout.hasSuffix("\n") && lines.stdout.split(separator: "\n").count == input.count)
        for pretty in [false, true] {
            let assembled = try Tool.run(["assemble", "-"] + (pretty ? ["--pretty"] : []), input: Array(lines.stdout.utf8))
            #expect(assembled.status == 0, "\(assembled.stderr)")
            #expect(try readRecords(.bytes(Array(assembled.stdout.utf8))) == input, "pretty \(pretty)")
            // The same writer both ways: byte for byte what filter writes.
            if !pretty { #expect(assembled.stdout == filtered.stdout) }
        }

        // convert keeps meta whole under info.aicoco_meta: compared with Python's json module.
        let converted = try Tool.run(["convert", "--to", "coco", "--image-size", "64x64", path])
        #expect(converted.status == 0, "\(converted.stderr)")
        let output = try temporaryFile(Array(converted.stdout.utf8))
        defer { try? FileManager.default.removeItem(atPath: output) }
        let check = try Tool.run(executable: "/usr/bin/env", [Hostile.python, "-c", """
            import json, sys
            source, coco = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
            assert coco["info"]["aicoco_meta"] == source["meta"], "meta differs"
            assert len(coco["images"]) == len(source["images"])
            """, path, output])
        #expect(check.status == 0, "\(check.stderr)")
    }

    @Test("one level past the reader's limit: every subcommand, and assemble on the same record as a line, give the same placed limit error",
          arguments: readingSubcommands + [["assemble"]])
    func pastTheLimit(subcommand: [String]) throws {
        let document = Hostile.path("deep-extra-over-limit.json")
        let lines = Hostile.path("deep-extra-over-limit.jsonl")
        let path = subcommand == ["assemble"] ? lines : document
        let bytes = try Paths.bytes(path)
        let result = try Tool.run(subcommand + [path])
        #expect(result.status == 1, "\(subcommand): \(result.stderr)")
        expectNoCompleteResult(result, subcommand: subcommand, file: path, context: "\(subcommand)")
        let text = result.stdout + result.stderr
        #expect(text.contains("nesting deeper than 512 (limit maxDepth)"), "\(subcommand): \(text.prefix(300))")
        #expect(text.contains("$.annotations[1].deep[0]"), "\(subcommand)")
        // Placed on the innermost '[': the 510th of the extra field, in the document or on its line.
        let deep = Array(#""deep":"#.utf8)
        let start = try #require((0...(bytes.count - deep.count)).first { Array(bytes[$0..<($0 + deep.count)]) == deep })
        let offset = start + deep.count + 509
        let (line, column) = placeOf(offset, in: bytes)
        if !subcommand.contains("json") {
            #expect(text.contains("\(path):\(line):\(column): limit error"), "\(subcommand) at \(line):\(column): \(text.prefix(300))")
        } else {
            #expect(text.contains(#""offset":\#(offset)"#), "\(subcommand): \(text.prefix(300))")
        }
    }

    @Test("--max-depth has a ceiling (10,000): a 200,000-deep extra field is a limit error, not a crash; 10,000 levels go through")
    func depthCeiling() throws {
        #expect(DocumentParsing.Limits.maxDepthCeiling == 10_000)
        var limits = DocumentParsing.Limits()
        limits.maxDepth = 1_000_000
        #expect(limits.maxDepth == 10_000)
        func document(_ nesting: Int) throws -> String {
            let text = String(decoding: try Paths.bytes(Paths.fixture("detection.json")), as: UTF8.self)
            let deep = String(repeating: "[", count: nesting) + String(repeating: "]", count: nesting)
            let range = try #require(text.range(of: #""iscrowd""#))
            return try temporaryFile(Array(text.replacingCharacters(in: range, with: #""deep":\#(deep),"iscrowd""#).utf8))
        }
        let tooDeep = try document(200_000)
        let atCeiling = try document(10_000 - 3)
        defer {
            try? FileManager.default.removeItem(atPath: tooDeep)
            try? FileManager.default.removeItem(atPath: atCeiling)
        }
        for subcommand in [["validate"], ["records"], ["filter"], ["stats"]] {
            let result = try Tool.run(subcommand + ["--max-depth", "1000000", tooDeep])
            #expect(result.status == 1, "\(subcommand): \(result.stderr.prefix(300))")
            #expect((result.stdout + result.stderr).contains("nesting deeper than 10000 (limit maxDepth)"), "\(subcommand)")
        }
        let filtered = try Tool.run(["filter", "--max-depth", "10000", atCeiling])
        #expect(filtered.status == 0, "\(filtered.stderr.prefix(300))")
        let again = try Tool.run(["records", "--max-depth", "10000", "-"], input: Array(filtered.stdout.utf8))
        let direct = try Tool.run(["records", "--max-depth", "10000", atCeiling])
        #expect(again.status == 0 && direct.status == 0 && again.stdout == direct.stdout, "\(again.stderr.prefix(300))")
    }

    @Test("the library reader gives the same error for the document and for its records as lines")
    func sameErrorBothSides() throws {
        let documentError = try #require(firstError(.file(Hostile.path("deep-extra-over-limit.json"))))
        var lineError: DocumentError?
        do {
            try DocumentAssembler().assemble(.file(Hostile.path("deep-extra-over-limit.jsonl")),
                                           to: DocumentWriter(sink: { _ in }))
        } catch let error as DocumentError {
            lineError = error
        }
        let error = try #require(lineError)
        #expect(error.kind == .limit && error.kind == documentError.kind)
        #expect(error.message == documentError.message)
        #expect(error.path == documentError.path)
        #expect(error.location.line == 5)
    }
}

@Suite("Hostile findings: records never leaves a partial line (issue 14, item 1)")
struct PartialLineTests {
    @Test("a record that cannot be written leaves nothing of itself; the lines before it stay whole",
          arguments: [false, true])
    func noPartialLine(envelope: Bool) throws {
        var output: [UInt8] = []
        let lines = RecordLineWriter(envelope: envelope, sink: { output.append(contentsOf: $0) })
        let good = Annotation(id: "a", imageID: "i", objectID: "o", iscrowd: 0,
                                bbox: [BoundingBox(x1: 1, y1: 2, x2: 3, y2: 4)], segmentation: Polygons([[1, 2, 3, 4, 5, 6]]),
                                extra: [JSONMember("note", .string(String(repeating: "x", count: 100_000)))])
        var bad = good
        bad.segmentation = Polygons([[1, 2, .infinity, 4, 5, 6]])
        try lines.write(.annotation(good))
        let before = output.count + lines.json.generator.pendingBytes
        #expect(throws: JSONWriter.Misuse.self) { try lines.write(.annotation(bad)) }
        try lines.write(.annotation(good))
        try lines.flush()
        let text = String(decoding: output, as: UTF8.self)
        #expect(before > 100_000)
        #expect(text.hasSuffix("\n") && text.split(separator: "\n").count == 2)
        for line in text.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil)
        }
    }
}

@Suite("Hostile findings: long tokens in small chunks (issue 14, item 3)")
struct LongTokenTests {
    /// Limits raised for tokens of a few MB.
    static var limits: DocumentParsing.Limits {
        var limits = DocumentParsing.Limits()
        limits.maxStringBytes = 8 << 20
        limits.maxTokenBytes = 12 << 20
        limits.maxNumberBytes = 4 << 20
        return limits
    }

    /// A document whose meta has `"note"` = `text` (already JSON-escaped) and `"big"` = `number`.
    static func document(note text: String, number: String = "1") -> [UInt8] {
        Array(#"{"images":[],"annotations":[],"categories":[],"regressions":[],"objects":[],"meta":{"category_ids":null,"regressions":null,"note":""#.utf8)
            + Array(text.utf8) + Array(#"","big":"#.utf8) + Array(number.utf8) + Array("}}\n".utf8)
    }

    /// Every problem of a validating parse fed in chunks of `chunk` bytes (0: whole).
    static func problems(_ bytes: [UInt8], chunk: Int, limits: DocumentParsing.Limits = limits) -> [DocumentError] {
        var parser = DocumentParser(visitor: ProblemList(), options: DocumentParsing.Options(limits: limits, validate: true))
        do {
            var position = 0
            let size = chunk == 0 ? bytes.count : chunk
            while position < bytes.count {
                let end = min(bytes.count, position + size)
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

    @Test("MBs of escapes of every kind, fed in chunks of 7 bytes to 1 MiB, decode to the same text")
    func escapesDecoded() throws {
        // Every escape JSON has, a surrogate pair, raw UTF-8 and plain ASCII, repeated to ~1.5 MB.
        let unit = #"\u00e9\"\\\/\b\f\n\r\t\ud83d\ude00é€ plain text \u0041"#
        let decodedUnit = "é\"\\/\u{8}\u{C}\n\r\t😀é€ plain text A"
        let repeats = 25_000
        let bytes = Self.document(note: String(repeating: unit, count: repeats),
                                  number: "-" + String(repeating: "9", count: 300_000) + ".5e-7")
        #expect(bytes.count > 1_500_000)
        let expectedNote = String(repeating: decodedUnit, count: repeats)
        for chunks in [[7], [4096], [65_537], [1 << 20], [bytes.count], [3, 70_000, 5, 1 << 20]] {
            let records = try readRecordsChunked(bytes, chunkSizes: chunks, options: DocumentParsing.Options(limits: Self.limits))
            guard case .meta(let meta)? = records.last else {
                Issue.record("chunks \(chunks): no meta record")
                continue
            }
            #expect(meta.extra[key: "note"] == .string(expectedNote), "chunks \(chunks)")
            #expect(meta.extra[key: "big"] == .number(JSONNumber(literal: "-" + String(repeating: "9", count: 300_000) + ".5e-7")),
                    "chunks \(chunks)")
        }
    }

    @Test("an error far inside a long string is the same error, at the same place, whatever the chunks",
          arguments: [#"\x"#, "\u{1}", "\u{FF}", "\n"])
    func errorInsideLongString(bad: String) throws {
        let text = String(repeating: #"\u00e9abc"#, count: 200_000) + bad + String(repeating: "z", count: 100_000)
        var bytes = Self.document(note: text)
        if bad == "\u{FF}" {
            // A lone 0xFF byte (not UTF-8): put it in as a byte.
            let marker = Array("\u{FF}".utf8)
            let at = try #require((0..<(bytes.count - 1)).first { bytes[$0] == marker[0] && bytes[$0 + 1] == marker[1] })
            bytes.replaceSubrange(at..<(at + 2), with: [0xFF])
        }
        let whole = Self.problems(bytes, chunk: 0)
        let last = try #require(whole.last, "\(bad)")
        expectPlaced(last, in: bytes, bad)
        #expect(last.location.offset > 1_000_000, "\(bad): \(last)")
        for chunk in [7, 4096, 65_536 + 1] {
            #expect(Self.problems(bytes, chunk: chunk) == whole, "\(bad), chunks of \(chunk)")
        }
    }

    @Test("a string that never ends, fed in small chunks, is refused soon after maxTokenBytes, placed on its first byte")
    func neverEnding() throws {
        var limits = Self.limits
        limits.maxTokenBytes = 1 << 20
        let prefix = Array(#"{"images":[{"id":""#.utf8)
        let bytes = prefix + [UInt8](repeating: UInt8(ascii: "a"), count: 3 << 20)
        for chunk in [0, 7, 4096, 65_536] {
            let error = try #require(Self.problems(bytes, chunk: chunk, limits: limits).last)
            #expect(error.kind == .limit && error.message.contains("maxTokenBytes"), "\(chunk): \(error)")
            // Issue 25: on the string's opening quote, not where reading stopped.
            #expect(error.location.offset == prefix.count - 1, "\(chunk): \(error)")
            let reported = error.message.split(separator: " ").compactMap { Int($0) }.first ?? 0
            #expect(reported > 1 << 20 && reported < (1 << 20) + (300 << 10), "refused soon after the limit: \(error)")
            expectPlaced(error, in: bytes, "chunks of \(chunk)")
        }
    }
}

@Suite("Hostile findings: numbers and temporary files on the command line (issue 14, items 2 and 4)")
struct NumberAndTemporaryFileTests {
    @Test("a 2,000-character decimal in a polygon or a bbox: every subcommand, a placed limit error on lines under 1 KB",
          arguments: readingSubcommands)
    func longCoordinate(subcommand: [String]) throws {
        for name in ["number-2000-digits-in-polygon.json", "number-2000-digits-in-bbox.json"] {
            let path = Hostile.path(name)
            let result = try Tool.run(subcommand + [path])
            #expect(result.status == 1, "\(subcommand) \(name): \(result.stderr)")
            expectNoCompleteResult(result, subcommand: subcommand, file: path, context: "\(subcommand) \(name)")
            let text = result.stdout + result.stderr
            #expect(text.contains("maxNumberBytes"), "\(subcommand) \(name): \(text.prefix(300))")
            // `records` writes the records before the bad one: only the messages are bounded.
            let messages = subcommand.first == "records" ? result.stderr : text
            for line in messages.split(separator: "\n") {
                #expect(line.utf8.count < 1024, "\(subcommand) \(name): a line of \(line.utf8.count) bytes")
            }
        }
    }

    @Test("a temporary file that cannot be written: the error names its directory and TMPDIR")
    func temporaryFileFull() throws {
        // A file-size limit (with SIGXFSZ ignored) makes writes fail as a full disk would;
        // standard output is a pipe, which the limit does not touch.
        let directory = NSTemporaryDirectory() + "aicoco-full-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lines = try Tool.run(["records", "-"], input: generate(bytes: 3 << 20, seed: 4).bytes)
        #expect(lines.status == 0)
        let input = try temporaryFile(Array(lines.stdout.utf8), suffix: ".jsonl")
        defer { try? FileManager.default.removeItem(atPath: input) }
        let result = try Hostile.shell("trap '' XFSZ; ulimit -f 512; TMPDIR='\(directory)' exec '\(Tool.path)' assemble '\(input)'")
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(directory) && result.stderr.contains("TMPDIR"), "\(result.stderr)")
        #expect(!result.stdout.hasSuffix("}\n"), "a complete document despite the error")
    }
}
