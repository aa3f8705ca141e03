import Foundation
import Testing
import AiCOCO

/// `SectionCounts` (what `stats` and the C ABI's `aicoco_stats` count) against counts made from
/// the whole records, on every good fixture and every real FLaVor output.
@Suite("Section counts")
struct SectionCountsTests {
    static let files = Paths.goodFixtures.map(Paths.fixture)
        + ((try? FileManager.default.contentsOfDirectory(atPath: Paths.flavor.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted().map { Paths.flavor.appendingPathComponent($0).path }

    /// Counts `path` through the parser's events, as `stats` does.
    static func count(_ path: String, memoryLimit: Int = DocumentParsing.Options.defaultMemoryLimit) throws -> SectionCounts {
        var options = DocumentParsing.Options(memoryLimit: memoryLimit)
        options.allowNonFinite = true
        var parser = DocumentParser(visitor: SectionCounts(memoryLimit: memoryLimit), options: options)
        try parser.parse(.file(path))
        var counts = parser.visitor
        try counts.finish(form: parser.documentForm, nonFinite: parser.nonFiniteCounts)
        return counts
    }

    @Test("the counts equal those of the whole records", arguments: files)
    func countsEqualTheRecords(path: String) throws {
        var options = RecordReader.Options()
        options.parser.allowNonFinite = true
        let records = try readRecords(.file(path), options: options)
        var images = 0, annotations = 0, categories = 0, objects = 0, polygons = 0, points = 0, bboxes = 0
        var names: [String: String] = [:]
        var objectCategories: [[String]] = []
        for record in records {
            switch record {
            case .image: images += 1
            case .annotation(let annotation):
                annotations += 1
                polygons += annotation.segmentation?.count ?? 0
                points += (annotation.segmentation?.coordinates.count ?? 0) / 2
                bboxes += annotation.bbox?.count ?? 0
            case .category(let category):
                categories += 1
                names[category.id] = category.name
            case .object(let object):
                objects += 1
                objectCategories.append(object.categoryIDs ?? [])
            default: break
            }
        }
        let counts = try Self.count(path)
        let got: [Int] = [counts.images, counts.annotations, counts.categories, counts.objects,
                          counts.polygons, counts.points, counts.bboxes]
        let expected: [Int] = [images, annotations, categories, objects, polygons, points, bboxes]
        #expect(got == expected)
        // Each listing counts once, under the last name its id was given (or the id itself).
        var perCategory: [String: Int] = [:]
        for ids in objectCategories {
            for id in ids { perCategory[names[id] ?? id, default: 0] += 1 }
        }
        var counted: [String: Int] = [:]
        try counts.forEachObjectCount { name, objects in counted[name] = objects }
        #expect(counted == perCategory)
    }

    @Test("writeJSON gives one JSON object in pieces, the same under a tiny memory limit", arguments: files)
    func jsonIsOneObject(path: String) throws {
        func json(_ counts: SectionCounts) throws -> String {
            var text = ""
            try counts.writeJSON(file: "f.json", bytes: 7, elapsed: "0.5", rate: "1.5") { text += $0 }
            return text
        }
        let text = try json(try Self.count(path))
        #expect(text.hasSuffix("}\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["file"] as? String == "f.json" && object["bytes"] as? Int == 7)
        #expect(object["objects_per_category"] is [String: Any] && object["meta"] is [String: Any])
        #expect(try json(try Self.count(path, memoryLimit: 4096)) == text)
    }
}
