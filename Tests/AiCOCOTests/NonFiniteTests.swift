import Foundation
import Testing
@testable import AiCOCO

/// `NaN`, `Infinity`, `-Infinity` (Python's `json.dumps` for non-finite floats): a placed error
/// that says what they are by default, read and written back as they came with `--allow-nan`.
@Suite struct NonFiniteTests {
    static let nanSample = Paths.flavor.appendingPathComponent("generations/nan/tabular-nan-regression.json").path
    static let nanArtifact = Paths.flavor.appendingPathComponent("generations/nan/records_pkzkAhHKwZc_BkyBaTOLO.jsonl").path

    /// A compact document as `DocumentWriter` writes it, with the three tokens in a regression
    /// value, a coordinate, a box, an extra field and the meta.
    static let document = #"{"images":[{"id":"a","file_name":"x.dcm","index":0,"category_ids":null,"regressions":[{"regression_id":"r","value":NaN}],"extra":[Infinity,-Infinity,"NaN in a string",{"k":NaN}]}],"annotations":[{"id":"n","image_id":"a","object_id":"o","iscrowd":0,"bbox":[[1,2,Infinity,4]],"segmentation":[[1,NaN,3,4,-Infinity,6]]}],"categories":[{"id":"c","name":"C","supercategory_id":null}],"regressions":[{"id":"r","name":"R","superregression_id":null}],"objects":[{"id":"o","category_ids":["c"],"regressions":null}],"meta":{"category_ids":null,"regressions":[{"regression_id":"r","value":-Infinity}]}}"# + "\n"

    static var allowing: DocumentParsing.Options {
        var options = DocumentParsing.Options(validate: true)
        options.allowNonFinite = true
        return options
    }

    @Test func withoutAllowNanTheErrorNamesTheTokenAndItsCause() throws {
        let error = firstError(.bytes(Array(Self.document.utf8)))
        #expect(error?.kind == .syntax)
        #expect(error?.message.hasPrefix("NaN is not JSON: Python's json.dumps") == true)
        #expect(error?.location.offset == Array(Self.document.utf8).firstIndex(of: UInt8(ascii: "N")))
        #expect(error?.path == "$.images[0].regressions[0].value")
        let cli = try Tool.run(["validate", Self.nanSample])
        #expect(cli.status == 1)
        #expect(cli.stdout.contains("records_pkzkAhHKwZc_BkyBaTOLO.jsonl:8:243: syntax error: NaN is not JSON"))
        for (token, text) in [("Infinity", #"{"meta":{"x":Infinity}}"#), ("-Infinity", #"{"meta":{"x":[1,-Infinity]}}"#)] {
            let error = firstError(.bytes(Array(text.utf8)))
            #expect(error?.message.hasPrefix("\(token) is not JSON") == true, "\(String(describing: error))")
            let start = text.utf8.count - token.utf8.count - (token == "Infinity" ? 2 : 3)
            #expect(error?.location.offset == start && Array(text.utf8)[start] == token.utf8.first)
        }
    }

    @Test func allowNanReadsThemAsPythonDoesInEveryPlace() throws {
        var parser = DocumentParser(visitor: ProblemList(), options: Self.allowing)
        try parser.parse(.bytes(Array(Self.document.utf8)))
        #expect(parser.visitor.problems == [])
        #expect(parser.nonFiniteCounts.nan == 3 && parser.nonFiniteCounts.infinity == 2
                && parser.nonFiniteCounts.negativeInfinity == 3)
        let records = try readRecords(.bytes(Array(Self.document.utf8)), options: RecordReader.Options(parser: Self.allowing))
        guard case .image(let image) = records[0], case .annotation(let annotation) = records[1],
              case .meta(let meta) = records.last! else { Issue.record("\(records)"); return }
        #expect(image.regressions![0].value.isNaN)
        #expect(image.extra[0].value == .array([.number(JSONNumber(literal: "Infinity")), .number(JSONNumber(literal: "-Infinity")),
                                               .string("NaN in a string"), .object([JSONMember("k", .number(JSONNumber(literal: "NaN")))])]))
        #expect(annotation.bbox![0].x2 == .infinity)
        let coordinates = Array(annotation.segmentation!.coordinates)
        #expect(coordinates[1].isNaN && coordinates[4] == -.infinity && coordinates[5] == 6)
        #expect(meta.regressions![0].value == -.infinity)
    }

    @Test("tokens cut by any chunk boundary read the same", arguments: [1, 2, 3, 5, 7, 64])
    func chunkBoundaries(size: Int) throws {
        let bytes = Array(Self.document.utf8)
        let whole = try readRecordsChunked(bytes, chunkSizes: [bytes.count], options: Self.allowing)
        let chunked = try readRecordsChunked(bytes, chunkSizes: [size, size + 1], options: Self.allowing)
        #expect("\(chunked)" == "\(whole)")
        #expect(whole.count == 6)
    }

    @Test func recordsAndAssembleWriteThemBackAsTheyCame() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aicoco-nan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // The FLaVor sample: its artifact byte for byte, the document too (plus the newline
        // that ends every document the writer writes).
        let lines = try Tool.run(["records", "--allow-nan", Self.nanSample])
        #expect(lines.status == 0, "\(lines.stderr)")
        #expect(lines.stdout.contains(#""value":NaN}"#))
        // The artifact under its original name: assemble's reference names the artifact it writes.
        let artifact = directory.appendingPathComponent(URL(fileURLWithPath: Self.nanArtifact).lastPathComponent).path
        let out = directory.appendingPathComponent("out.json").path
        let back = try Tool.run(["assemble", "--allow-nan", "--artifact", artifact, "-o", out], input: Array(lines.stdout.utf8))
        #expect(back.status == 0, "\(back.stderr)")
        #expect(try Paths.bytes(artifact) == Paths.bytes(Self.nanArtifact))
        #expect(try Paths.bytes(out) == Paths.bytes(Self.nanSample) + [0x0A])
        // Without --allow-nan, assemble refuses them with the same words.
        let refused = try Tool.run(["assemble", "--artifact", artifact, "-o", out], input: Array(lines.stdout.utf8))
        #expect(refused.status == 1 && refused.stderr.contains("NaN is not JSON"))
        // A document with the tokens everywhere, through records | assemble and filter.
        let document = directory.appendingPathComponent("doc.json").path
        FileManager.default.createFile(atPath: document, contents: Data(Self.document.utf8))
        let docLines = try Tool.run(["records", "--allow-nan", document])
        let again = try Tool.run(["assemble", "--allow-nan"], input: Array(docLines.stdout.utf8))
        #expect(again.status == 0 && again.stdout == Self.document, "\(again.stderr)")
        let filtered = try Tool.run(["filter", "--allow-nan", "--category", "C", document])
        #expect(filtered.status == 0 && filtered.stdout == Self.document, "\(filtered.stderr)")
        let stats = try Tool.run(["stats", "--json", "--allow-nan", document])
        #expect(stats.stdout.contains(#""non_finite":{"NaN":3,"Infinity":2,"-Infinity":3}"#))
        let sampleStats = try Tool.run(["stats", "--allow-nan", Self.nanSample])
        #expect(sampleStats.stdout.contains("non-finite:   1 (NaN 1, Infinity 0, -Infinity 0)"))
    }

    /// `convert --to coco --allow-nan` refuses a contour with a NaN point as measure and `--to nifti`
    /// do (exit 1, nothing written, the error placed on the annotation), split or not; it used to
    /// paint NaN at -1e9 (a mask stretched to x = 0, exit 0).
    @Test(arguments: [["--segmentation", "polygon"], ["--segmentation", "rle"], ["--threads", "2", "--split-bytes", "1"]])
    func cocoRefusesANaNCoordinateAsMeasureAndNiftiDo(options: [String]) throws {
        let document = #"{"images":[{"id":"a","file_name":"x.dcm","index":0,"category_ids":null,"regressions":null}],"annotations":[{"id":"n","image_id":"a","object_id":"o","iscrowd":0,"bbox":null,"segmentation":[[10,10,NaN,12,14,14]]}],"categories":[{"id":"c","name":"C","supercategory_id":null}],"regressions":[],"objects":[{"id":"o","category_ids":["c"],"regressions":null}],"meta":{"category_ids":null,"regressions":null}}"#
        let input = Array(document.utf8)
        let measured = try Tool.run(["measure", "--allow-nan", "--image-size", "16x16", "-"], input: input)
        #expect(measured.status == 1 && measured.stderr.contains("NaN or infinite coordinate"))
        let converted = try Tool.run(["convert", "--to", "coco", "--allow-nan", "--image-size", "16x16"] + options + ["-"], input: input)
        #expect(converted.status == 1, "\(converted.stdout)")
        #expect(converted.stdout.isEmpty)
        #expect(converted.stderr.contains("NaN or infinite coordinate"))
    }
}
