import Foundation
import Testing
@testable import AiCOCO

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
}
