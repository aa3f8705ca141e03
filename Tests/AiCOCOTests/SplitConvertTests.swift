import Foundation
import Testing
@testable import AiCOCO
import AiCOCOGen

/// What one conversion gave: the COCO bytes and the summary, or the error.
private struct Converted: Equatable {
    var bytes: [UInt8] = []
    var summary: COCOConverter.Summary?
    var error: String?
}

private func converter(threads: Int, stretch: Int, pretty: Bool, form: COCOConverter.SegmentationForm,
                       allowNaN: Bool) -> COCOConverter {
    var options = DocumentParsing.Options()
    options.allowNonFinite = allowNaN
    var converter = COCOConverter(parserOptions: options, imageSize: (512, 512), pretty: pretty, segmentation: form)
    converter.split = SplitOptions(threads: threads)
    converter.split.stretchBytes = stretch
    converter.split.minimumBytes = 0
    return converter
}

private func convert(_ path: String, threads: Int, stretch: Int, pretty: Bool, form: COCOConverter.SegmentationForm,
                     allowNaN: Bool) -> Converted {
    var out: [UInt8] = []
    let json = JSONWriter(pretty: pretty, sink: { out.append(contentsOf: $0) })
    do {
        let summary = try converter(threads: threads, stretch: stretch, pretty: pretty, form: form, allowNaN: allowNaN)
            .convert(.file(path), to: json)
        try json.flush()
        return Converted(bytes: out, summary: summary)
    } catch {
        return Converted(error: "\(error)")
    }
}

/// Whether the pass over `path` is split among `threads` threads (not read again in order).
private func passSplits(_ path: String, threads: Int, stretch: Int, allowNaN: Bool) -> Bool {
    let converter = converter(threads: threads, stretch: stretch, pretty: false, form: .polygon, allowNaN: allowNaN)
    var options = converter.parserOptions
    options.validate = true
    options.recordsArtifact = .skip
    let pass = try? converter.passSplitting(.file(path), options: options, pretty: false, makePass: {
        COCOConverter.Pass(catalog: COCOConverter.Catalog(memoryLimit: options.memoryLimit), spill: try COCOConverter.AnnotationSpill(pretty: false),
                           maxCoordinates: options.limits.maxCoordinatesPerRecord, needsImageSizes: false)
    }, progress: nil)
    return pass != nil
}

@Suite struct SplitConvertTests {
    /// `bytes` in a temporary file named after `name`; its path.
    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("h-splitwrite-\(getpid())-\(name)")
        guard FileManager.default.createFile(atPath: url.path, contents: Data(bytes)) else { throw CocoaError(.fileWriteUnknown) }
        return url.path
    }

    /// `convert --to coco` at 2 and 3 threads gives the one-thread bytes (or error), compact and
    /// pretty, polygons and RLE; returns whether the pass was split at some stretch size.
    @discardableResult
    private func expectSame(_ bytes: [UInt8], _ name: String, stretches: [Int] = [300, 2000, 1 << 16],
                            allowNaN: Bool = false, forms: [COCOConverter.SegmentationForm] = [.polygon, .rle],
                            fails: Bool? = nil) throws -> Bool {
        let path = try write(bytes, name)
        defer { unlink(path) }
        var anySplit = false
        for pretty in [false, true] {
            for form in forms {
                let one = convert(path, threads: 1, stretch: 1 << 20, pretty: pretty, form: form, allowNaN: allowNaN)
                if let fails { #expect((one.error != nil) == fails, "\(name): \(one.error ?? "no error")") }
                for stretch in stretches {
                    for threads in [2, 3] {
                        let many = convert(path, threads: threads, stretch: stretch, pretty: pretty, form: form, allowNaN: allowNaN)
                        #expect(many == one, "\(name): stretch \(stretch), \(threads) threads, pretty \(pretty), \(form)")
                        if many != one { return anySplit }
                    }
                }
            }
        }
        for stretch in stretches where passSplits(path, threads: 2, stretch: stretch, allowNaN: allowNaN) {
            anySplit = true
        }
        return anySplit
    }

    @Test(arguments: [DocumentGenerator.Options.Shape.noisy, .smooth, .detection, .long])
    func generatedShapesSplitAndAgree(shape: DocumentGenerator.Options.Shape) throws {
        for pretty in [false, true] {
            let document = generate(bytes: 100_000, seed: 5, pretty: pretty, shape: shape).bytes
            let split = try expectSame(document, "\(shape)-\(pretty).json")
            #expect(split, "\(shape) pretty \(pretty) was never split")
        }
    }

    @Test func everyOrderAgrees() throws {
        let sections = DocumentGenerator.Options.imageSections
        for rotation in 0..<sections.count {
            let order = Array(sections[rotation...] + sections[..<rotation])
            try expectSame(generate(bytes: 50_000, seed: UInt64(rotation + 20), order: order).bytes, "order\(rotation).json",
                           stretches: [400, 5000], forms: [.polygon])
            try expectSame(generate(bytes: 30_000, order: order.reversed()).bytes, "reversed\(rotation).json",
                           stretches: [700], forms: [.rle])
        }
    }

    @Test func everyFixtureAgrees() throws {
        let directories = [Paths.fixtures, Paths.broken, Paths.flavor, Paths.fixtures.appendingPathComponent("hostile")]
        var anySplit = false
        for directory in directories {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".json") {
                let bytes = try Paths.bytes(directory.appendingPathComponent(name).path)
                if try expectSame(bytes, "fixture-" + name, stretches: [30, 400], forms: [.polygon]) { anySplit = true }
            }
        }
        #expect(anySplit)
    }

    @Test func cutAndDamagedFilesAgree() throws {
        let document = generate(bytes: 40_000, seed: 11).bytes
        for cut in stride(from: document.count / 6, to: document.count, by: document.count / 6) {
            try expectSame(Array(document[..<cut]), "cut\(cut).json", stretches: [100, 3000], forms: [.polygon])
        }
        var random = SystemRandomNumberGenerator()
        for round in 0..<10 {
            var damaged = document
            damaged[Int.random(in: 0..<damaged.count, using: &random)] = Array("{}[],:\"\\x0 ".utf8).randomElement(using: &random)!
            try expectSame(damaged, "damaged\(round).json", stretches: [100, 3000], forms: [.polygon])
        }
    }

    /// Two images with sizes, two objects (one without category) around `records`.
    private func series(_ records: [String], between separator: String = ",") -> [UInt8] {
        let text = """
        {"images":[{"id":"i1","file_name":"1.dcm","index":0,"width":64,"height":48,"category_ids":null,"regressions":null},\
        {"id":"i2","file_name":"2.dcm","index":1,"category_ids":null,"regressions":null}],\
        "annotations":[\(records.joined(separator: separator))],\
        "categories":[{"id":"c1","name":"Liver","supercategory_id":null,"color":"#ff0000"}],"regressions":[],\
        "objects":[{"id":"o1","category_ids":["c1"],"regressions":null,"confidence":0.5},{"id":"o2","category_ids":null,"regressions":null}],\
        "meta":{"category_ids":null,"regressions":null}}
        """
        return Array(text.utf8)
    }

    private func record(_ number: Int, note: String = "", contour: String? = nil) -> String {
        let segmentation = contour ?? (number % 4 == 0 ? "null" : "[[\(number % 60),\(number % 40),\(number % 60 + 3),\(number % 40 + 1),\(number % 60 + 1),\(number % 40 + 5)]]")
        let box = number % 4 == 0 ? "[[1,2,\(number % 9 + 1),4]]" : "null"
        return "{\"id\":\"a\(number)\",\"image_id\":\"i\(number % 2 + 1)\",\"object_id\":\"o\(number % 7 == 0 ? 2 : 1)\",\"iscrowd\":0,\"bbox\":\(box),\"segmentation\":\(segmentation)\(note)}"
    }

    @Test func documentsBuiltToDefeatTheGuess() throws {
        let decoys = ["},{", "}, {\\\"id\\\":\\\"z\\\"", "\\\"},{\\\"", "\\\\", "\\\"annotations\\\":[{", "}]}", "\\u007d,{"]
        let noted = (0..<150).map { record($0, note: ",\"note\":\"\(decoys[$0 % decoys.count])\(String(repeating: "},{", count: $0 % 4))\"") }
        // (Most guesses land in a note's `},{`: the file is then read again in order.)
        try expectSame(series(noted), "decoys.json", stretches: [1, 25, 120, 900])
        let plain = (0..<150).map { record($0) }
        #expect(try expectSame(series(plain), "one-line.json", stretches: [60, 700], fails: false))
        try expectSame(series(plain, between: ",\n"), "per-line.json", stretches: [60, 700])
        try expectSame(series(plain, between: String(repeating: " ", count: 3000) + "," + String(repeating: "\n", count: 2000)),
                       "whitespace-runs.json", stretches: [100, 4000])
        let nested = (0..<80).map { record($0, note: ",\"parts\":[{\"a\":1},{\"b\":[{},{}]}]") }
        try expectSame(series(nested), "nested.json", stretches: [30, 300])
        let nan = (0..<60).map { record($0, contour: "[[1,NaN,3,Infinity,5,-Infinity]]") }
        try expectSame(series(nan), "nan.json", stretches: [100, 700], allowNaN: true)
        try expectSame(series(nan), "nan-refused.json", stretches: [100, 700])
    }

    @Test func problemsAgree() throws {
        // A problem late, early and in the middle (each file read again in order, placed alike).
        let plain = (0..<200).map { record($0) }
        let cases: [(name: String, changes: [Int: String])] = [
            ("problem-late", [170: "{\"id\":\"bad\",\"image_id\":5}"]),
            ("syntax-early", [4: record(4, contour: "[[1,2,3]")]),
            ("duplicate-key", [90: record(90, note: ",\"object_id\":\"o1\"")]),
            ("missing-object", [90: record(90).replacingOccurrences(of: "\"o1\"", with: "\"missing\"")]),
            ("duplicate-id", [90: record(2).replacingOccurrences(of: "a2", with: "a90"),
                              120: record(120).replacingOccurrences(of: "a120", with: "a3")]),
        ]
        for (name, changes) in cases {
            let records = plain.indices.map { changes[$0] ?? plain[$0] }
            try expectSame(series(records), name + ".json", stretches: [300, 3000], forms: [.polygon], fails: true)
        }
    }
}
