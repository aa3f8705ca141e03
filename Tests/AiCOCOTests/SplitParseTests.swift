import Foundation
import Testing
@testable import AiCOCO
import AiCOCOGen

/// What a test visitor gathers from annotations: counts, and per image id the number of
/// annotations and the sum of their coordinates (order-free, so the split cannot hide).
struct AnnotationTotals: AnnotationPart, Equatable {
    var annotations = 0, polygons = 0, values = 0, dropped = 0
    var perImage: [String: Int] = [:]
    /// The coordinates' bit patterns summed (wrapping): the same whatever the order.
    var coordinateSum: UInt64 = 0
    var isFull: Bool { perImage.count >= 3 }

    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        values += chunk.count
        chunk.forEach { coordinateSum &+= $0.bitPattern }
    }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        annotations += 1
        polygons += fields.polygonCount ?? 0
        perImage[fields.imageID + "/" + fields.id + "/" + fields.extra.map(\.key).joined(), default: 0] += 1
    }

    mutating func visitAnnotationDropped(index: Int) throws { dropped += 1 }

    mutating func add(_ part: AnnotationTotals) {
        annotations += part.annotations
        polygons += part.polygons
        values += part.values
        dropped += part.dropped
        coordinateSum &+= part.coordinateSum
        perImage.merge(part.perImage, uniquingKeysWith: +)
    }
}

/// Every event but annotations in order, and the annotations' totals.
struct SplitTestVisitor: SplittableVisitor, Equatable {
    var events: [String] = []
    var totals = AnnotationTotals()

    func makePart() -> AnnotationTotals { AnnotationTotals() }
    mutating func absorb(_ part: AnnotationTotals) throws { totals.add(part) }

    mutating func visitSectionStart(_ section: Section) throws { events.append("start \(section)") }
    mutating func visitSectionEnd(_ section: Section, count: Int) throws {
        // The count of annotations is the skeleton's (the workers' records are not in it).
        events.append("end \(section)" + (section == .annotations ? "" : " \(count)"))
    }
    mutating func visit(_ record: Record, index: Int) throws { events.append("\(index) \(record)") }
    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws { try totals.visitCoordinates(chunk) }
    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        try totals.visitAnnotationEnd(fields, index: index)
    }
    mutating func visitAnnotationDropped(index: Int) throws { try totals.visitAnnotationDropped(index: index) }
}

/// Outcome of one parse: what was gathered, or the error.
private struct Outcome: Equatable {
    var visitor: SplitTestVisitor?
    var form: DocumentForm?
    var nonFinite = NonFiniteCounts()
    var bytes = 0
    var error: String?
}

private func outcome(_ path: String, threads: Int, stretch: Int, allowNaN: Bool = false) -> (Outcome, Bool) {
    var split = SplitOptions(threads: threads)
    split.stretchBytes = stretch
    split.minimumBytes = 0
    var options = DocumentParsing.Options()
    options.allowNonFinite = allowNaN
    do {
        let result = try parseSplitting(.file(path), visitor: SplitTestVisitor(), options: options, split: split)
        return (Outcome(visitor: result.visitor, form: result.documentForm, nonFinite: result.nonFiniteCounts,
                        bytes: result.bytesRead), result.split)
    } catch {
        return (Outcome(error: "\(error)"), false)
    }
}

@Suite struct SplitParseTests {
    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "h-parallel-\(getpid())-\(name)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The split parse gives what one parser gives; returns whether some split happened.
    @discardableResult
    private func expectSame(_ bytes: [UInt8], _ name: String, stretches: [Int] = [40, 300, 2000, 1 << 16],
                            allowNaN: Bool = false, expectsLinesSplit: Bool = false) throws -> Bool {
        let path = try write(bytes, name)
        defer { unlink(path) }
        let (one, _) = outcome(path, threads: 1, stretch: 1 << 20, allowNaN: allowNaN)
        var anySplit = false
        for stretch in stretches {
            for threads in [2, 3] {
                let (many, split) = outcome(path, threads: threads, stretch: stretch, allowNaN: allowNaN)
                #expect(many == one, "\(name): stretch \(stretch), \(threads) threads")
                if many != one { return anySplit }
                anySplit = anySplit || split
            }
        }
        // `records`, which validates, on the same file.
        let linesSplit = try expectSameRecordLines(path, name, stretches: stretches, allowNaN: allowNaN)
        // `validate` too.
        let checkSplit = try expectSameValidation(path, name, stretches: stretches, allowNaN: allowNaN)
        return anySplit && ((linesSplit && checkSplit) || !expectsLinesSplit)
    }

    @Test(arguments: [DocumentGenerator.Options.Shape.noisy, .smooth, .detection, .long])
    func generatedShapesSplitAndAgree(shape: DocumentGenerator.Options.Shape) throws {
        for pretty in [false, true] {
            let document = generate(bytes: 120_000, seed: 3, pretty: pretty, shape: shape).bytes
            let split = try expectSame(document, "\(shape)-\(pretty).json", expectsLinesSplit: true)
            #expect(split, "\(shape) pretty \(pretty) was never split")
        }
    }

    @Test func everyOrderAgrees() throws {
        let sections = DocumentGenerator.Options.imageSections
        for rotation in 0..<sections.count {
            let order = Array(sections[rotation...] + sections[..<rotation])
            let document = generate(bytes: 60_000, seed: UInt64(rotation), order: order).bytes
            try expectSame(document, "order\(rotation).json", stretches: [200, 5000])
            try expectSame(Array(order.reversed()).isEmpty ? [] : generate(bytes: 30_000, order: order.reversed()).bytes,
                           "reversed\(rotation).json", stretches: [500])
        }
    }

    @Test func everyFixtureAgrees() throws {
        let directories = [Paths.fixtures, Paths.broken, Paths.flavor, Paths.fixtures.appendingPathComponent("hostile")]
        for directory in directories {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".json") {
                let bytes = try Paths.bytes(directory.appendingPathComponent(name).path)
                try expectSame(bytes, "fixture-" + name, stretches: [30, 400])
            }
        }
    }

    @Test func cutAndDamagedFilesAgree() throws {
        let document = generate(bytes: 40_000, seed: 9).bytes
        var random = SystemRandomNumberGenerator()
        for cut in stride(from: document.count / 7, to: document.count, by: document.count / 7) {
            try expectSame(Array(document[..<cut]), "cut\(cut).json", stretches: [100, 3000])
        }
        for round in 0..<12 {
            var damaged = document
            let at = Int.random(in: 0..<damaged.count, using: &random)
            damaged[at] = Array("{}[],:\"\\x0 ".utf8).randomElement(using: &random)!
            try expectSame(damaged, "damaged\(round).json", stretches: [100, 3000])
        }
    }

    /// A minimal image output around `annotations` (a list of record texts joined by `separator`).
    private func document(_ annotations: [String], separator: String = ",", imageName: String = "a.dcm") -> [UInt8] {
        let images = "[{\"file_name\":\"\(imageName)\",\"id\":\"i1\",\"index\":0,\"category_ids\":null,\"regressions\":null}]"
        let rest = "\"categories\":[{\"id\":\"c1\",\"name\":\"x\",\"supercategory_id\":null,\"color\":\"#ff0000\"}],\"regressions\":[],\"objects\":[{\"id\":\"o1\",\"category_ids\":[\"c1\"],\"regressions\":null}],\"meta\":{\"category_ids\":null,\"regressions\":null}"
        return Array("{\"images\":\(images),\"annotations\":[\(annotations.joined(separator: separator))],\(rest)}".utf8)
    }

    private func annotation(_ number: Int, extra: String = "", polygon: String = "[[1,2,3,4,5,6]]") -> String {
        "{\"id\":\"a\(number)\",\"image_id\":\"i1\",\"object_id\":\"o1\",\"iscrowd\":0,\"bbox\":null,\"segmentation\":\(polygon)\(extra)}"
    }

    @Test func recordStartsInsideStringsAndEscapes() throws {
        // Text that looks like a record boundary, inside strings, after escaped quotes, in keys.
        let decoys = ["},{", "}, {\"id\":\"z\"", "\\\"},{\\\"", "\\\\\"", "\"annotations\":[{", "}]}", "\\u007d,{"]
        var records: [String] = []
        for number in 0..<120 {
            let decoy = decoys[number % decoys.count]
            records.append(annotation(number, extra: ",\"note\":\"\(decoy)\(String(repeating: "},{", count: number % 5))\""))
        }
        try expectSame(document(records), "decoys.json", stretches: [1, 20, 90, 700])
        try expectSame(document(records, imageName: "x\\\"annotations\\\":[},{"), "decoy-image.json", stretches: [50, 600])
        // Records with nested objects: `},{` between two objects of one record's extra array.
        let nested = (0..<80).map { annotation($0, extra: ",\"parts\":[{\"a\":1},{\"b\":[{},{}]}]") }
        try expectSame(document(nested), "nested.json", stretches: [30, 300])
    }

    @Test func layoutsAgree() throws {
        let records = (0..<150).map { annotation($0, polygon: $0 % 3 == 0 ? "null" : "[[1.5,2,3e2,4,5,6],[7,8,9,10,11,12]]") }
        // A valid document: records and validate split too (an invalid one goes back to one thread).
        #expect(try expectSame(document(records, separator: ",\n"), "per-line.json", expectsLinesSplit: true))
        #expect(try expectSame(document(records, separator: "\n,\n  \t"), "comma-lines.json", expectsLinesSplit: true))
        try expectSame(document(records, separator: String(repeating: " ", count: 9000) + "," + String(repeating: "\n", count: 5000)),
                       "whitespace-runs.json", stretches: [100, 4000, 20000])
        try expectSame(document(records.map { $0.replacingOccurrences(of: ",", with: " , ") }), "spaced.json")
        let long = (0..<20).map { annotation($0, polygon: "[[" + (0..<3000).map { "\($0 % 97)" }.joined(separator: ",") + "]]") }
        try expectSame(document(long), "long-polygons.json", stretches: [100, 5000, 50000])
        let strings = (0..<30).map { annotation($0, extra: ",\"s\":\"" + String(repeating: "x", count: 9000 + $0) + "\"") }
        try expectSame(document(strings), "long-strings.json", stretches: [100, 5000, 50000])
        let nan = (0..<60).map { annotation($0, polygon: "[[1,NaN,3,Infinity,5,-Infinity]]") }
        try expectSame(document(nan), "nan.json", stretches: [100, 700], allowNaN: true)
        try expectSame(document(nan), "nan-refused.json", stretches: [100, 700])
    }

    @Test func problemsAreFoundAsInOrder() throws {
        // A problem after, inside and before the stretches: each read again in order, placed alike.
        var records = (0..<200).map { annotation($0) }
        records[150] = "{\"id\":\"bad\",\"image_id\":5}"
        try expectSame(document(records), "problem-late.json", stretches: [300, 3000])
        records[150] = annotation(150)
        records[3] = annotation(3, polygon: "[[1,2,3]")
        try expectSame(document(records), "syntax-early.json", stretches: [300, 3000])
        records[3] = annotation(3)
        records[100] = annotation(100, polygon: "[[1,2,\"x\"]]")
        try expectSame(document(records), "type-middle.json", stretches: [300, 3000])
    }
}
