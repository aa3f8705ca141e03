import Foundation
import Testing
@testable import AiCOCO

/// One entry of Fixtures/broken/expected.json.
struct ExpectedError: Decodable {
    let kind: String
    let offset: Int
    let line: Int
    let column: Int
    let path: String
    let contains: String
}

let expectedErrors: [String: ExpectedError] = {
    let data = try! Data(contentsOf: Paths.broken.appendingPathComponent("expected.json"))
    return try! JSONDecoder().decode([String: ExpectedError].self, from: data)
}()

func check(_ error: DocumentError?, against expected: ExpectedError, file: String) {
    guard let error else {
        Issue.record("\(file): no error, expected \(expected.kind) at \(expected.line):\(expected.column)")
        return
    }
    #expect(error.kind.rawValue == expected.kind, "\(file): \(error)")
    #expect(error.location == SourceLocation(offset: expected.offset, line: expected.line, column: expected.column),
            "\(file): \(error)")
    if expected.kind != "syntax" { #expect(error.path == expected.path, "\(file): \(error)") }
    #expect(error.message.lowercased().contains(expected.contains.lowercased()), "\(file): \(error.message)")
}

@Suite("Errors with a place")
struct ErrorTests {
    static let brokenFiles = expectedErrors.keys.sorted()

    @Test("the record API stops at the first syntax or schema error, at its place", arguments: brokenFiles)
    func recordAPI(file: String) throws {
        let expected = expectedErrors[file]!
        let error = firstError(.file(Paths.broken.appendingPathComponent(file).path))
        if expected.kind == "reference" || expected.kind == "semantic" {
            // References and format rules are the validator's: the records themselves are fine.
            #expect(error == nil, "\(file): \(String(describing: error))")
        } else {
            check(error, against: expected, file: file)
        }
    }

    @Test("validation reports each broken fixture's one problem, at its place", arguments: brokenFiles)
    func validation(file: String) throws {
        let expected = expectedErrors[file]!
        let problems = validationProblems(.file(Paths.broken.appendingPathComponent(file).path))
        check(problems.first, against: expected, file: file)
        #expect(problems.count == 1, "\(file): \(problems)")
    }

    @Test("the same errors whatever the chunk size", arguments: brokenFiles)
    func chunking(file: String) throws {
        let bytes = try Paths.bytes(Paths.broken.appendingPathComponent(file).path)
        let whole = validationProblems(.bytes(bytes))
        for size in [1, 2, 7, 64] {
            var parser = DocumentParser(visitor: ProblemList(), options: DocumentParsing.Options(validate: true))
            var problems: [DocumentError] = []
            do {
                var position = 0
                while position < bytes.count {
                    try parser.feed(bytes[position..<min(bytes.count, position + size)])
                    position += size
                }
                try parser.finish()
                problems = parser.visitor.problems
            } catch let error as DocumentError {
                problems = parser.visitor.problems + [error]
            }
            #expect(problems == whole, "\(file) in chunks of \(size)")
        }
    }

    @Test("good fixtures have no problem at all", arguments: Paths.goodFixtures)
    func goodFixturesAreValid(name: String) {
        #expect(validationProblems(.file(Paths.fixture(name))) == [])
    }

    @Test("a missing file is an I/O error, not a crash")
    func missingFile() {
        let error = firstError(.file("/nonexistent/file.json"))
        #expect(error?.kind == .io)
        #expect(error?.message.contains("/nonexistent/file.json") == true)
    }

    @Test("cut at every byte: always a syntax error at the end, never a crash or a partial success")
    func truncatedEverywhere() throws {
        let bytes = try Paths.bytes(Paths.fixture("detection.json"))
        for cut in stride(from: 0, to: bytes.count - 1, by: 1) {
            let problems = validationProblems(.bytes(Array(bytes[0..<cut])))
            let last = problems.last
            #expect(last?.kind == .syntax, "cut at \(cut)")
            #expect(last?.location.offset == cut || last?.message.contains("unexpected") == true, "cut at \(cut): \(String(describing: last))")
        }
    }

    @Test("a dangling image_id deep in the file, with images last, is reported once at its place")
    func forwardReference() throws {
        let order: [Section] = [.meta, .categories, .regressions, .objects, .annotations, .images]
        var bytes = generate(bytes: 2_000_000, seed: 12, order: order).bytes
        // Replace the image_id of one annotation far into the file.
        let text = String(decoding: bytes, as: UTF8.self)
        let marker = "\"image_id\":\""
        var ranges: [Range<String.Index>] = []
        var searchStart = text.startIndex
        while let range = text.range(of: marker, range: searchStart..<text.endIndex) {
            ranges.append(range)
            searchStart = range.upperBound
        }
        let target = ranges[ranges.count * 3 / 4]
        let offset = text.utf8.distance(from: text.startIndex, to: target.upperBound)
        for i in 0..<21 { bytes[offset + i] = UInt8(ascii: "Z") }
        let problems = validationProblems(.bytes(bytes))
        #expect(problems.count == 1)
        let problem = try #require(problems.first)
        #expect(problem.kind == .reference)
        #expect(problem.location.offset == offset - 1)
        #expect(problem.path == "$.annotations[\(ranges.count * 3 / 4)].image_id")
        #expect(problem.message.contains(String(repeating: "Z", count: 21)))
    }
}

@Suite("Validation rules")
struct ValidationRuleTests {
    /// A valid document, as a template whose parts the cases below replace.
    static let valid = """
    {"images":[{"id":"img1","file_name":"a.dcm","index":0,"category_ids":["cat1"],"regressions":[{"regression_id":"reg1","value":1}]}],
    "annotations":[{"id":"ann1","image_id":"img1","object_id":"obj1","iscrowd":0,"bbox":[[1,2,3,4]],"segmentation":[[1,2,3,4,5,6]]}],
    "categories":[{"id":"cat1","name":"Liver","supercategory_id":null},{"id":"cat2","name":"Lobe","supercategory_id":"cat1","color":"#FFFFFF"}],
    "regressions":[{"id":"reg1","name":"SBP","superregression_id":null,"unit":"mmHg","threshold":"140"}],
    "objects":[{"id":"obj1","category_ids":["cat2"],"regressions":null,"confidence":0.5}],
    "meta":{"category_ids":["cat1"],"regressions":[{"regression_id":"reg1","value":130}],"task_type":"binary"}}
    """

    func problems(replacing target: String, with replacement: String) -> [DocumentError] {
        #expect(Self.valid.contains(target), "template has \(target)")
        let text = Self.valid.replacingOccurrences(target, with: replacement)
        return validationProblems(.bytes(Array(text.utf8)))
    }

    @Test("the template is valid")
    func templateValid() {
        #expect(validationProblems(.bytes(Array(Self.valid.utf8))) == [])
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String, target: String, replacement: String, kind: DocumentError.Kind, path: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "iscrowd 2", target: #""iscrowd":0"#, replacement: #""iscrowd":2"#, kind: .schema, path: "$.annotations[0].iscrowd"),
        Case(name: "iscrowd true", target: #""iscrowd":0"#, replacement: #""iscrowd":true"#, kind: .schema, path: "$.annotations[0].iscrowd"),
        Case(name: "iscrowd 1.0", target: #""iscrowd":0"#, replacement: #""iscrowd":1.0"#, kind: .semantic, path: "$.annotations[0].iscrowd"),
        Case(name: "bbox of 5", target: "[[1,2,3,4]]", replacement: "[[1,2,3,4,5]]", kind: .schema, path: "$.annotations[0].bbox[0]"),
        Case(name: "bbox flat", target: "[[1,2,3,4]]", replacement: "[1,2,3,4]", kind: .schema, path: "$.annotations[0].bbox[0]"),
        Case(name: "string coordinate", target: "[[1,2,3,4,5,6]]", replacement: #"[[1,2,"3",4,5,6]]"#, kind: .schema, path: "$.annotations[0].segmentation[0][2]"),
        Case(name: "odd polygon", target: "[[1,2,3,4,5,6]]", replacement: "[[1,2,3,4,5]]", kind: .semantic, path: "$.annotations[0].segmentation[0]"),
        Case(name: "infinite coordinate", target: "[[1,2,3,4,5,6]]", replacement: "[[1,2,3e999,4,5,6]]", kind: .semantic, path: "$.annotations[0].segmentation[0][2]"),
        Case(name: "segmentation string", target: #""segmentation":[[1,2,3,4,5,6]]"#, replacement: #""segmentation":"x""#, kind: .schema, path: "$.annotations[0].segmentation"),
        Case(name: "missing iscrowd", target: #""iscrowd":0,"#, replacement: "", kind: .schema, path: "$.annotations[0]"),
        Case(name: "missing index", target: #""index":0,"#, replacement: "", kind: .schema, path: "$.images[0]"),
        Case(name: "index string", target: #""index":0"#, replacement: #""index":"0""#, kind: .schema, path: "$.images[0].index"),
        Case(name: "file_name null", target: #""file_name":"a.dcm""#, replacement: #""file_name":null"#, kind: .schema, path: "$.images[0].file_name"),
        Case(name: "category_ids number", target: #""category_ids":["cat1"],"regressions":[{"#, replacement: #""category_ids":[1],"regressions":[{"#, kind: .schema, path: "$.images[0].category_ids[0]"),
        Case(name: "regression item extra key", target: #"{"regression_id":"reg1","value":1}"#, replacement: #"{"regression_id":"reg1","value":1,"unit":"x"}"#, kind: .schema, path: "$.images[0].regressions[0]"),
        Case(name: "regression item without value", target: #"{"regression_id":"reg1","value":1}"#, replacement: #"{"regression_id":"reg1"}"#, kind: .schema, path: "$.images[0].regressions[0]"),
        Case(name: "regression value string", target: #""value":1}"#, replacement: #""value":"1"}"#, kind: .schema, path: "$.images[0].regressions[0].value"),
        Case(name: "supercategory_id number", target: #""supercategory_id":null"#, replacement: #""supercategory_id":3"#, kind: .schema, path: "$.categories[0].supercategory_id"),
        Case(name: "color number", target: ##""color":"#FFFFFF""##, replacement: #""color":1"#, kind: .schema, path: "$.categories[1].color"),
        Case(name: "unit null", target: #""unit":"mmHg""#, replacement: #""unit":null"#, kind: .schema, path: "$.regressions[0].unit"),
        Case(name: "confidence string", target: #""confidence":0.5"#, replacement: #""confidence":"high""#, kind: .schema, path: "$.objects[0].confidence"),
        Case(name: "task_type other", target: #""task_type":"binary""#, replacement: #""task_type":"regression""#, kind: .schema, path: "$.meta.task_type"),
        Case(name: "meta without regressions", target: #","regressions":[{"regression_id":"reg1","value":130}],"task_type""#, replacement: #","task_type""#, kind: .schema, path: "$.meta"),
        Case(name: "meta an array", target: #""meta":{"category_ids":["cat1"],"regressions":[{"regression_id":"reg1","value":130}],"task_type":"binary"}"#, replacement: #""meta":[]"#, kind: .schema, path: "$.meta"),
        Case(name: "images an object", target: #""images":[{"id":"img1","file_name":"a.dcm","index":0,"category_ids":["cat1"],"regressions":[{"regression_id":"reg1","value":1}]}]"#, replacement: #""images":{}"#, kind: .schema, path: "$.images"),
        Case(name: "unknown top-level key", target: #""meta":"#, replacement: #""info":1,"meta":"#, kind: .schema, path: "$.info"),
        Case(name: "duplicate key", target: #""iscrowd":0"#, replacement: #""iscrowd":0,"iscrowd":1"#, kind: .semantic, path: "$.annotations[0].iscrowd"),
        Case(name: "duplicate extra key", target: #""iscrowd":0"#, replacement: #""iscrowd":0,"x":1,"x":2"#, kind: .semantic, path: "$.annotations[0].x"),
        Case(name: "duplicate section", target: #""meta":"#, replacement: #""objects":[],"meta":"#, kind: .semantic, path: "$.objects"),
        Case(name: "dangling image_id", target: #""image_id":"img1""#, replacement: #""image_id":"img9""#, kind: .reference, path: "$.annotations[0].image_id"),
        Case(name: "dangling object_id", target: #""object_id":"obj1""#, replacement: #""object_id":"obj9""#, kind: .reference, path: "$.annotations[0].object_id"),
        Case(name: "unknown object category", target: #""category_ids":["cat2"]"#, replacement: #""category_ids":["cat9"]"#, kind: .reference, path: "$.objects[0].category_ids[0]"),
        Case(name: "unknown meta category", target: #""meta":{"category_ids":["cat1"]"#, replacement: #""meta":{"category_ids":["cat9"]"#, kind: .reference, path: "$.meta.category_ids[0]"),
        Case(name: "unknown meta regression", target: #""regression_id":"reg1","value":130"#, replacement: #""regression_id":"reg9","value":130"#, kind: .reference, path: "$.meta.regressions[0].regression_id"),
        Case(name: "unknown supercategory", target: #""supercategory_id":"cat1""#, replacement: #""supercategory_id":"cat7""#, kind: .reference, path: "$.categories[1].supercategory_id"),
        Case(name: "unknown superregression", target: #""superregression_id":null"#, replacement: #""superregression_id":"reg5""#, kind: .reference, path: "$.regressions[0].superregression_id"),
        Case(name: "duplicate category id", target: #""id":"cat2""#, replacement: #""id":"cat1""#, kind: .reference, path: "$.categories[1].id"),
    ]

    @Test("each rule: broken gives exactly its problem, at its path", arguments: cases)
    func rule(_ testCase: Case) {
        let found = problems(replacing: testCase.target, with: testCase.replacement)
        #expect(found.count >= 1, "\(testCase.name)")
        let first = found.first
        #expect(first?.kind == testCase.kind, "\(testCase.name): \(found)")
        #expect(first?.path == testCase.path, "\(testCase.name): \(found)")
        let kinds = Set(found.map(\.kind))
        #expect(kinds.isSubset(of: [testCase.kind, .reference]), "\(testCase.name): \(found)")
    }

    @Test("references resolve whatever the section order")
    func forwardReferencesResolve() {
        let order: [Section] = [.annotations, .objects, .meta, .images, .regressions, .categories]
        let (bytes, _) = generate(bytes: 300_000, seed: 3, order: order)
        #expect(validationProblems(.bytes(bytes)) == [])
    }

    @Test("validation while reading records: problems kept, bad records left out, the rest delivered")
    func validatingReader() throws {
        let text = Self.valid.replacingOccurrences(#""iscrowd":0"#, with: #""iscrowd":7"#)
        let reader = RecordReader(.bytes(Array(text.utf8)),
                                        options: RecordReader.Options(parser: DocumentParsing.Options(validate: true)))
        var sections: [Section] = []
        while let record = try reader.next() { sections.append(record.section) }
        #expect(!sections.contains(.annotations))
        #expect(sections.count == 6)
        #expect(reader.problems.map(\.path) == ["$.annotations[0].iscrowd"])
    }
}

@Suite("JSON conformance (JSONTestSuite)")
struct ConformanceTests {
    static let files: [String] = (try? FileManager.default.contentsOfDirectory(atPath: Paths.conformance.path))?
        .filter { $0.hasSuffix(".json") }.sorted() ?? []

    @Test("the suite is there")
    func suitePresent() {
        #expect(Self.files.filter { $0.hasPrefix("y_") }.count > 90)
        #expect(Self.files.filter { $0.hasPrefix("n_") }.count > 150)
    }

    @Test("y_ files parse (then fail the schema), n_ files are syntax errors, i_ files do not crash",
          arguments: files)
    func verdict(file: String) throws {
        let bytes = try Paths.bytes(Paths.conformance.appendingPathComponent(file).path)
        let problems = validationProblems(.bytes(bytes))
        let syntax = problems.filter { $0.kind == .syntax }
        if file.hasPrefix("y_") {
            #expect(syntax.isEmpty, "\(file): \(syntax)")
            #expect(problems.allSatisfy { $0.kind != .limit })
        } else if file.hasPrefix("n_") {
            #expect(syntax.count == 1 || problems.contains { $0.kind == .limit }, "\(file): \(problems)")
        } else {
            #expect(problems.count < 100)
        }
    }
}
