import Foundation
import Testing
@_spi(Testing) @testable import AiCOCO

/// `records`, `filter` and `assemble` write each number with the text it had in the input
/// (`81.0`, `1e-3`, `-0`), not as a `Double` would be written.
@Suite struct NumbersAsWrittenTests {
    /// The number tokens of JSON text (outside strings), NaN and the infinities included, counted.
    static func numberTokens(_ text: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                while index < bytes.count && bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                index += 1
                continue
            }
            let starts = byte == UInt8(ascii: "-") || (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "N")
                || byte == UInt8(ascii: "I")
            guard starts else { index += 1; continue }
            var end = index + 1
            while end < bytes.count, let next = Optional(bytes[end]),
                  (next >= 0x30 && next <= 0x39) || "+-.eEaNnfinityI".utf8.contains(next) { end += 1 }
            counts[String(decoding: bytes[index..<end], as: UTF8.self), default: 0] += 1
            index = end
        }
        return counts
    }

    static let fixtures: [String] = {
        let root = Paths.fixtures
        let names = ["classification.json", "detection.json", "extras.json", "minimal.json", "regression.json",
                     "segmentation-series.json"]
        let flavor = (try? FileManager.default.contentsOfDirectory(atPath: Paths.flavor.path)) ?? []
        return names.map { root.appendingPathComponent($0).path }
            + flavor.filter { $0.hasSuffix(".json") }.sorted().map { Paths.flavor.appendingPathComponent($0).path }
            + GenerationTests.documents.filter { !$0.name.hasPrefix("..") }.map { GenerationTests.path($0.name) }
            + [NonFiniteTests.nanSample]
    }()

    @Test("records writes every number of a fixture (document and artifact) with its input text", arguments: fixtures)
    func recordsKeepNumberText(fixture: String) throws {
        var input = try String(contentsOfFile: fixture, encoding: .utf8)
        if let artifact = try readRecords(.file(fixture), options: RecordReader.Options(parser: NonFiniteTests.allowing))
            .compactMap({ record -> String? in
                if case .recordsReference(let reference) = record { return reference.fileName } else { return nil }
            }).first {
            input += try String(contentsOfFile: URL(fileURLWithPath: fixture).deletingLastPathComponent()
                .appendingPathComponent(artifact).path, encoding: .utf8)
        }
        let lines = try Tool.run(["records", "--allow-nan", fixture])
        #expect(lines.status == 0, "\(lines.stderr)")
        #expect(Self.numberTokens(lines.stdout) == Self.numberTokens(input))
    }

    @Test func typedNumbersKeepTheirTextThroughAssembleAndFilter() throws {
        let text = #"{"images":[{"id":"a","file_name":"x","index":1.0,"category_ids":null,"regressions":[{"regression_id":"r","value":81.0},{"regression_id":"r","value":1e-3}],"z":-0}],"annotations":[],"categories":[{"id":"c","name":"C","supercategory_id":null}],"regressions":[{"id":"r","name":"R","superregression_id":null}],"objects":[{"id":"o","category_ids":["c"],"regressions":[{"regression_id":"r","value":-0.0}],"confidence":0.50}],"meta":{"category_ids":null,"regressions":[{"regression_id":"r","value":2.50E+1}]}}"# + "\n"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aicoco-num-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("doc.json").path
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        let lines = try Tool.run(["records", path])
        let back = try Tool.run(["assemble"], input: Array(lines.stdout.utf8))
        #expect(back.status == 0 && back.stdout == text, "\(back.stderr)")
        let filtered = try Tool.run(["filter", "--category", "C", path])
        #expect(filtered.status == 0 && filtered.stdout == text, "\(filtered.stderr)")
        // The typed records compare by value: the text is kept beside it.
        let records = try readRecords(.file(path))
        guard case .image(let image) = records[0] else { Issue.record("no image"); return }
        #expect(image.index == 1 && image.indexText?.literal == "1.0")
        #expect(image.regressions![0] == RegressionItem(regressionID: "r", value: 81))
        #expect(image.regressions![0].valueText?.literal == "81.0")
    }

    /// Numbers of every form: zeros with a sign, fractions with trailing zeros, exponents of
    /// each case and sign, huge and tiny (to the subnormals and past them), long integers.
    static let forms = ["1.0", "-0", "-0.0", "1e-3", "1E+2", "4.50", "0.10", "1e308", "1.7976931348623157e308",
                        "5e-324", "4.9E-324", "2.2250738585072014e-308", "1e-400", "-1e-400",
                        "123456789012345678901234567890", "12345678", "0.000000000000000000000000000001", "7", "-12",
                        "3.0e0", "1.5E-3", "1e+0", "-9007199254740993", "100"]
    static let nonFinite = ["NaN", "Infinity", "-Infinity", "0"]

    /// A valid document, compact and in the writers' order (so that it comes back byte for
    /// byte), with `numbers` in bbox, segmentation, regressions and extra keys.
    static func document(_ numbers: [String]) -> String {
        let list = numbers.joined(separator: ",")
        let boxes = stride(from: 0, to: numbers.count - 3, by: 4)
            .map { "[" + numbers[$0..<$0 + 4].joined(separator: ",") + "]" }.joined(separator: ",")
        let items = numbers.prefix(4).map { #"{"regression_id":"r","value":\#($0)}"# }.joined(separator: ",")
        return #"{"images":[{"id":"i","file_name":"x.dcm","index":1.0,"category_ids":null,"regressions":[\#(items)],"z":[\#(list)]}],"annotations":[{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"bbox":[\#(boxes)],"segmentation":[[\#(list)],[\#(numbers.reversed().joined(separator: ","))]],"extra":{"n":[\#(list)],"m":-0}}],"categories":[{"id":"c","name":"C","supercategory_id":null}],"regressions":[{"id":"r","name":"R","superregression_id":null}],"objects":[{"id":"o","category_ids":["c"],"regressions":[\#(items)],"confidence":0.50}],"meta":{"category_ids":null,"regressions":[\#(items)]}}"#
            + "\n"
    }

    /// `text` written to a new temporary file; returns its path.
    static func temporaryFile(_ text: String, in directory: URL) -> String {
        let path = directory.appendingPathComponent("doc-\(UUID().uuidString).json").path
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    @Test("crafted numbers in every place: records, records | assemble and filter, compact, spaced and pretty")
    func craftedNumbersComeBackAsWritten() throws {
        let directory = try GenerationTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (numbers, flags) in [(Self.forms, [String]()), (Self.forms + Self.nonFinite, ["--allow-nan"])] {
            let text = Self.document(numbers)
            let path = Self.temporaryFile(text, in: directory)
            let lines = try Tool.run(["records"] + flags + [path])
            #expect(lines.status == 0, "\(lines.stderr)")
            // Each record is the document's own text.
            for line in lines.stdout.split(separator: "\n") {
                let record = try #require(line.range(of: #","record":"#))
                #expect(text.contains(line[record.upperBound..<line.index(before: line.endIndex)]), "\(line)")
            }
            #expect(lines.stdout.contains("\"segmentation\":[[" + numbers.joined(separator: ",") + "],"))
            let back = try Tool.run(["assemble"] + flags, input: Array(lines.stdout.utf8))
            #expect(back.status == 0 && back.stdout == text, "\(back.stderr)\n\(back.stdout)")
            let filtered = try Tool.run(["filter"] + flags + ["--category", "C", path])
            #expect(filtered.status == 0 && filtered.stdout == text, "\(filtered.stderr)")
            // Whitespace anywhere between tokens (the scanner's and yajl's paths): the same lines.
            let spaced = text.replacingOccurrences(of: ",", with: " ,\n\t").replacingOccurrences(of: "[", with: "[ \r\n")
            let spacedLines = try Tool.run(["records"] + flags + [Self.temporaryFile(spaced, in: directory)])
            #expect(spacedLines.stdout == lines.stdout, "\(spacedLines.stderr)")
            // Pretty: each list of numbers on one line, as written.
            let pretty = try Tool.run(["assemble", "--pretty"] + flags, input: Array(lines.stdout.utf8))
            #expect(pretty.stdout.contains("\n          " + numbers.joined(separator: ",") + "\n"), "\(pretty.stdout)")
            #expect(try TextTree.parse(pretty.stdout) == TextTree.parse(text))
        }
    }

    /// What `RecordLineWriter` writes for the records read in pieces of `sizes` bytes.
    static func typedLines(_ text: String, chunkSizes sizes: [Int], scanner: Bool, allowNonFinite: Bool = false) throws
        -> String {
        var options = DocumentParsing.Options(validate: true)
        options.keepsNumberText = true
        options.readsPolygonsWithoutYajl = scanner
        options.allowNonFinite = allowNonFinite
        var lines: [UInt8] = []
        let writer = RecordLineWriter(envelope: true, sink: { lines += $0 })
        writer.json.allowsNonFinite = allowNonFinite
        for record in try readRecordsChunked(Array(text.utf8), chunkSizes: sizes, options: options) {
            try writer.write(record)
        }
        return String(decoding: lines, as: UTF8.self)
    }

    @Test("numbers cut by any piece boundary, in chunks past the engine's 4096 numbers, by scanner and yajl")
    func numbersCutAnywhereAndLongPolygons() throws {
        let directory = try GenerationTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Small: every piece boundary, both paths, NaN with yajl.
        let small = Self.document(Self.forms)
        let expected = try Tool.run(["records", Self.temporaryFile(small, in: directory)]).stdout
        for scanner in [true, false] {
            for sizes in [[1], [2, 3], [613]] {
                #expect(try Self.typedLines(small, chunkSizes: sizes, scanner: scanner) == expected, "\(sizes) \(scanner)")
            }
        }
        let withNaN = Self.document(Self.forms + Self.nonFinite)
        #expect(try Self.typedLines(withNaN, chunkSizes: [1], scanner: false, allowNonFinite: true)
                == Tool.run(["records", "--allow-nan", Self.temporaryFile(withNaN, in: directory)]).stdout)
        // Long: a run of 5,000 plain integers (the scanner's quick loop fills a chunk of 4096),
        // then every form, 14,000 numbers in all.
        let long = (0..<14_000).map { $0 < 5_000 ? String($0 % 1000) : Self.forms[$0 % Self.forms.count] }
        let text = Self.document(long)
        let lines = try Tool.run(["records", Self.temporaryFile(text, in: directory)])
        #expect(lines.status == 0 && lines.stdout.contains("[[" + long.joined(separator: ",") + "],"), "\(lines.stderr)")
        for scanner in [true, false] {
            for sizes in [[7], [4093, 1], [65536]] {
                #expect(try Self.typedLines(text, chunkSizes: sizes, scanner: scanner) == lines.stdout, "\(sizes) \(scanner)")
            }
        }
        // records | assemble keeps all of them.
        let back = try Tool.run(["assemble"], input: Array(lines.stdout.utf8))
        #expect(back.stdout == text)
    }

    @Test func typedAnnotationsKeepTheTextOnlyWhileItReadsBackToTheValues() throws {
        var options = DocumentParsing.Options()
        options.keepsNumberText = true
        let records = try readRecordsChunked(Array(Self.document(Self.forms).utf8), chunkSizes: [1 << 16], options: options)
        guard case .annotation(var annotation) = try #require(records.first { $0.section == .annotations }) else { return }
        let text = try #require(annotation.coordinateText)
        #expect(String(decoding: text.segmentation, as: UTF8.self)
                == Self.forms.joined(separator: ",") + "," + Self.forms.reversed().joined(separator: ","))
        #expect(String(decoding: text.bbox, as: UTF8.self) == Self.forms.joined(separator: ","))
        // Without the option there is no text; equality ignores it.
        let plain = try readRecordsChunked(Array(Self.document(Self.forms).utf8), chunkSizes: [1 << 16])
        guard case .annotation(let untexted) = try #require(plain.first { $0.section == .annotations }) else { return }
        #expect(untexted.coordinateText == nil && untexted == annotation)

        func written(_ annotation: Annotation) throws -> String {
            var bytes: [UInt8] = []
            let writer = RecordLineWriter(envelope: false, sink: { bytes += $0 })
            try writer.write(.annotation(annotation))
            return String(decoding: bytes, as: UTF8.self)
        }
        #expect(try written(annotation).contains(#""bbox":[[1.0,-0,-0.0,1e-3],[1E+2,4.50,0.10,1e308],"#))
        // Values changed: those lists are written from the values, the others keep their text.
        annotation.bbox![1].x1 = 2
        annotation.segmentation = Polygons([Array(annotation.segmentation![0]), [1, 2, 3, 4]])
        let changed = try written(annotation)
        #expect(changed.contains(#""bbox":[[1.0,-0,-0.0,1e-3],[2,4.5,0.1,1e+308],[1.7976931348623157e308,"#), "\(changed)")
        #expect(changed.contains(#""segmentation":[["# + Self.forms.joined(separator: ",") + "],[1,2,3,4]]"), "\(changed)")
        // -0 and 0 differ: a sign changed is a value changed.
        annotation.bbox![0].y1 = 0
        #expect(try written(annotation).contains(#""bbox":[[1,0,-0,0.001],[2,4.5,0.1,1e+308],[1.7976931348623157e308,"#))
    }
}
