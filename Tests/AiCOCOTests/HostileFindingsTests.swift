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
        let annotation = AiAnnotation(id: "a", imageID: "i", objectID: "o", iscrowd: 0,
                                      bbox: [BoundingBox(x1: 1, y1: 2, x2: 3, y2: 4)], segmentation: nil,
                                      extra: [JSONMember("deep", value)])
        for pretty in [false, true] {
            var output: [UInt8] = []
            let writer = AiCOCOWriter(pretty: pretty, sink: { output.append(contentsOf: $0) })
            try writer.writeDocument([.annotation(annotation), .meta(AiMeta(categoryIDs: nil, regressions: nil))])
            var limits = ParserLimits()
            limits.maxDepth = 1100
            let records = try readRecords(.bytes(output), options: RecordReaderOptions(parser: ParserOptions(limits: limits)))
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
        #expect(ParserLimits.maxDepthCeiling == 10_000)
        var limits = ParserLimits()
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
        var lineError: AiCOCOError?
        do {
            try AiCOCOAssembler().assemble(.file(Hostile.path("deep-extra-over-limit.jsonl")),
                                           to: AiCOCOWriter(sink: { _ in }))
        } catch let error as AiCOCOError {
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
        let lines = AiCOCORecordLineWriter(envelope: envelope, sink: { output.append(contentsOf: $0) })
        let good = AiAnnotation(id: "a", imageID: "i", objectID: "o", iscrowd: 0,
                                bbox: [BoundingBox(x1: 1, y1: 2, x2: 3, y2: 4)], segmentation: Polygons([[1, 2, 3, 4, 5, 6]]),
                                extra: [JSONMember("note", .string(String(repeating: "x", count: 100_000)))])
        var bad = good
        bad.segmentation = Polygons([[1, 2, .infinity, 4, 5, 6]])
        try lines.write(.annotation(good))
        let before = output.count + lines.json.generator.pendingBytes
        #expect(throws: JSONWriterMisuse.self) { try lines.write(.annotation(bad)) }
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
