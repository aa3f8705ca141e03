import Foundation
import Testing
@testable import AiCOCO

/// The annotations' ids are checked for duplicates as packed words in fixed-width runs
/// (`PackedIDRuns`), apart from the other ids: the same problems as before, whatever the
/// memory limit, the kind of id (inline, nanoid, or held as a `String`) and the number of runs.
@Suite("Annotation ids")
struct AnnotationIDTests {
    @Test("packed runs report every later occurrence of an id, past the budget and through merge levels")
    func packedRunsFindEveryDuplicate() throws {
        for limit in [16 << 10, 64 << 10, 1 << 30] {
            let budget = MemoryBudget(limit: limit)
            let runs = PackedIDRuns(budget: budget)
            var generator = SystemRandomNumberGenerator()
            // 40,000 ids drawn from 25,000 values: many appear twice, some three times or more.
            let pool = (0..<25_000).map { _ in (UInt64.random(in: 0...UInt64.max, using: &generator),
                                                 UInt64.random(in: 0...3, using: &generator)) }
            var seen = Set<[UInt64]>()
            var expected: [Int] = []
            for index in 0..<40_000 {
                let (high, low) = pool[Int.random(in: 0..<pool.count, using: &generator)]
                if !seen.insert([high, low]).inserted { expected.append(index) }
                try runs.add(high: high, low: low,
                             place: PackedIDRuns.Place(offset: 10 * index, line: index, column: 3, record: index))
                #expect(budget.used <= budget.limit + 64 << 10)
            }
            var got: [Int] = []
            try runs.forEachDuplicate { place, high, low in
                #expect(place.offset == 10 * place.record && place.line == place.record && place.column == 3)
                #expect(seen.contains([high, low]))
                got.append(place.record)
            }
            #expect(got.sorted() == expected, "limit \(limit)")
            #expect(runs.isEmpty)
        }
    }

    /// A document whose annotations have ids of every kind, `copies` of them repeating an
    /// earlier id; the indexes of the repeats and their ids.
    func document(annotations count: Int, pretty: Bool) -> (bytes: [UInt8], duplicates: [(index: Int, id: String)]) {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        var generator = SystemRandomNumberGenerator()
        func id(_ index: Int) -> String {
            switch index % 5 {
            case 0: String((0..<21).map { _ in alphabet.randomElement(using: &generator)! })  // a nanoid
            case 1: "a\(index)"  // inline
            case 2: "annotation-number-\(index)-long"  // a String
            case 3: "é\(index)".padding(toLength: 20, withPad: ".", startingAt: 0)  // 21 bytes, not a nanoid
            default: String((0..<15).map { _ in alphabet.randomElement(using: &generator)! })  // 15 bytes, inline
            }
        }
        var ids: [String] = []
        var duplicates: [(index: Int, id: String)] = []
        var seen = Set<String>()
        for index in 0..<count {
            var value = id(index)
            if index > 0 && Int.random(in: 0..<6, using: &generator) == 0 {
                value = ids[Int.random(in: 0..<index, using: &generator)]
            }
            if !seen.insert(value).inserted { duplicates.append((index, value)) }
            ids.append(value)
        }
        let separator = pretty ? ",\n  " : ","
        let annotations = ids.map {
            "{\"id\":\"\($0)\",\"image_id\":\"img\",\"object_id\":\"obj\",\"iscrowd\":0,\"bbox\":null,\"segmentation\":[[1,2,3,4]]}"
        }.joined(separator: separator)
        let text = """
        {"images":[{"id":"img","file_name":"a.dcm","index":0,"category_ids":null,"regressions":null}],
        "annotations":[\(annotations)],
        "categories":[{"id":"cat","name":"Lesion","supercategory_id":null}],"regressions":[],
        "objects":[{"id":"obj","category_ids":["cat"],"regressions":null}],
        "meta":{"category_ids":null,"regressions":null}}
        """
        return (Array(text.utf8), duplicates)
    }

    func problems(_ bytes: [UInt8], memoryLimit: Int, chunk: Int) throws -> [AiCOCOError] {
        var parser = AiCOCOParser(visitor: ProblemList(), options: ParserOptions(validate: true, memoryLimit: memoryLimit))
        var start = 0
        while start < bytes.count {
            try parser.feed(Array(bytes[start..<min(bytes.count, start + chunk)]))
            start += chunk
        }
        try parser.finish()
        return parser.visitor.problems
    }

    @Test("duplicate annotation ids of every kind, in file order and placed, whatever the memory limit", arguments: [false, true])
    func duplicatesInDocument(pretty: Bool) throws {
        let (bytes, duplicates) = document(annotations: 12_000, pretty: pretty)
        #expect(duplicates.count > 1_000)
        let reference = try problems(bytes, memoryLimit: 1 << 30, chunk: 1 << 20)
        #expect(reference.map(\.path) == duplicates.map { "$.annotations[\($0.index)].id" })
        #expect(reference.map(\.message) == duplicates.map {
            "duplicate id \(jsonQuoted($0.id)): another annotation has the same id"
        })
        // Each problem sits on the id's opening quote (problems come in file order).
        var line = 1, lineStart = 0, position = 0
        for problem in reference {
            while position < problem.location.offset {
                if bytes[position] == 0x0A {
                    line += 1
                    lineStart = position + 1
                }
                position += 1
            }
            #expect(bytes[problem.location.offset] == UInt8(ascii: "\""))
            #expect(problem.location.line == line)
            #expect(problem.location.column == problem.location.offset - lineStart + 1)
        }
        for (limit, chunk) in [(16 << 10, 4093), (64 << 10, 65_536), (ParserOptions.defaultMemoryLimit, 100_003)] {
            #expect(try problems(bytes, memoryLimit: limit, chunk: chunk) == reference, "limit \(limit)")
        }
    }
}
