import Foundation
@testable import AiCOCO
import AiCOCOGen
import Testing

/// `RecordLines` (lines rendered as the input is parsed, what `aicoco records` uses)
/// against typed records written one by one with `RecordLineWriter`, the way `records`
/// wrote them before: the same bytes, stopping at the same record on a problem, the same error.
@Suite("Record lines")
struct RecordLinesTests {
    /// What a `records` run leaves: the lines written, then the first problem or the error.
    struct Outcome: Equatable {
        var lines: [UInt8] = []
        var records = 0
        var ending = ""
    }

    /// The typed way: each record from `next()`, stopping at the first record read once a
    /// problem is known, each written by the line writer.
    static func typed(_ input: DocumentSource, _ options: RecordReader.Options, sections: Set<Section>) -> Outcome {
        var outcome = Outcome()
        let writer = RecordLineWriter(envelope: sections.count != 1, sink: { outcome.lines += $0 })
        let reader = RecordReader(input, options: options)
        do {
            while let record = try reader.next() {
                outcome.records += 1
                if reader.problemCount > 0 { break }
                if !sections.isEmpty && !sections.contains(record.section) { continue }
                try writer.write(record)
            }
        } catch {
            outcome.ending = "error: \(error)"
            return outcome
        }
        if reader.problemCount > 0 { outcome.ending = "problem: \(reader.problems[0])" }
        return outcome
    }

    /// The rendered way, as `aicoco records` runs it.
    static func rendered(_ input: DocumentSource, _ options: RecordReader.Options, sections: Set<Section>) -> Outcome {
        var outcome = Outcome()
        let lines = RecordLines(input, options: options, envelope: sections.count != 1, sections: sections)
        do {
            var stopped = false
            while !stopped, try lines.next({ bytes, records in
                // Counted up to the first record read once a problem is known, as above.
                outcome.records += lines.problemCount > 0 ? 1 : records
                if lines.problemCount > 0 {
                    stopped = true
                    return
                }
                outcome.lines += bytes
            }) {}
        } catch {
            outcome.ending = "error: \(error)"
            return outcome
        }
        if lines.problemCount > 0 { outcome.ending = "problem: \(lines.problems[0])" }
        return outcome
    }

    static func compare(_ name: String, _ input: DocumentSource, sliceBytes: [Int] = [1 << 16, 4096, 613, 1],
                        artifact: RecordsArtifactSource = .besideDocument) {
        // One-byte slices (every record its own batch) only on small inputs: they are slow.
        let size: Int
        switch input {
        case .bytes(let bytes): size = bytes.count
        case .file(let path): size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        default: size = 0
        }
        for slice in sliceBytes where slice >= 64 || size < 20_000 {
            for sections: Set<Section> in [[], [.annotations], [.images, .objects], [.annotations, .meta]] {
                var parser = DocumentParsing.Options(validate: true)
                parser.recordsArtifact = artifact
                let options = RecordReader.Options(parser: parser, sliceBytes: slice)
                let typed = Self.typed(input, options, sections: sections)
                let rendered = Self.rendered(input, options, sections: sections)
                #expect(rendered == typed, "\(name), slices of \(slice), sections \(sections.map(\.rawValue).sorted()): \(rendered.lines.count) vs \(typed.lines.count) bytes, \(rendered.ending) vs \(typed.ending)")
                if rendered != typed { return }
            }
        }
    }

    @Test("fixtures, good and broken, image and tabular: the same lines and endings in every slicing")
    func fixtures() throws {
        let directories = [Paths.fixtures, Paths.broken, Paths.broken.appendingPathComponent("tabular"), Paths.flavor]
        var count = 0
        for directory in directories {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasSuffix(".json") && $0 != "expected.json" }.sorted()
            for name in names {
                let path = directory.appendingPathComponent(name).path
                Self.compare(name, .file(path), sliceBytes: [1 << 16, 997, 1])
                count += 1
            }
        }
        #expect(count > 30)
    }

    @Test("generated shapes and section orders, pretty and compact, cut short, with extra fields and problems")
    func generated() throws {
        let orders: [[Section]] = [GeneratorOptions.imageSections,
                                         [.meta, .annotations, .objects, .categories, .regressions, .images]]
        for shape in [GeneratorOptions.Shape.noisy, .smooth, .detection, .long] {
            for (index, order) in orders.enumerated() {
                let bytes = generate(bytes: 120_000, seed: UInt64(index + 3), pretty: index == 1, order: order,
                                     shape: shape).bytes
                Self.compare("\(shape) \(index)", .bytes(bytes))
                Self.compare("\(shape) \(index) cut", .bytes(Array(bytes[0..<(bytes.count * 2 / 3)])), sliceBytes: [4096, 77])
                Self.compare("\(shape) \(index) small", .bytes(Array(bytes[0..<15_000])), sliceBytes: [1])
            }
        }
        // A dangling object, a duplicate id, numbers of every form and extra fields in an annotation.
        var text = String(decoding: generate(bytes: 60_000, seed: 9).bytes, as: UTF8.self)
        let annotation = try #require(text.range(of: #"{"id":""#, range: text.range(of: #""annotations":["#)!.upperBound..<text.endIndex))
        text.insert(contentsOf: #"{"id":"x1","image_id":"i","object_id":"o","iscrowd":0,"bbox":[[1,2,3,4],[5.5,6,7,8e2]],"segmentation":[[1.5,-0.0,1e21,-999,1000,0.1],[],[7]],"note":{"a":[1,{"b":null}],"c":"\u00e9\n"}},"#,
                        at: annotation.lowerBound)
        Self.compare("extras and problems", .bytes(Array(text.utf8)))
        let valid = String(decoding: generate(bytes: 60_000, seed: 10).bytes, as: UTF8.self)
        let extra = valid.replacingOccurrences(of: #""iscrowd":0"#, with: #""iscrowd":0,"score":[0.5,"x",true]"#)
        Self.compare("extra fields", .bytes(Array(extra.utf8)))
    }
}
