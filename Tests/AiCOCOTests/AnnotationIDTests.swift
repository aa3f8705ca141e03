import Foundation
import Testing
@testable import AiCOCO

/// Ids `RecordID` packs into two words (inline ids of up to 15 bytes, nanoids) are checked in
/// fixed-width tables (`PackedTable`), the others as bytes: the same problems, whatever the
/// memory limit, the kind of id and the number of runs.
@Suite("Packed reference checks")
struct AnnotationIDTests {
    @Test("packed tables give every entry by id then ordinal past their budget, and find what is in memory")
    func packedTablesSpillAndMerge() throws {
        for (limit, indexed) in [(16 << 10, true), (16 << 10, false), (64 << 10, false), (1 << 30, true)] {
            let budget = MemoryBudget(limit: limit)
            let table = PackedTable(budget: budget, indexed: indexed, spillWeight: 1)
            var generator = SystemRandomNumberGenerator()
            // 40,000 entries drawn from 25,000 ids: many appear twice, some three times or more.
            let pool = (0..<25_000).map { _ in (UInt64.random(in: 0...UInt64.max, using: &generator),
                                                 UInt64.random(in: 0...3, using: &generator)) }
            var expected: [[UInt64]] = []
            var latest: [[UInt64]: Int] = [:]  // id -> its last entry in `expected`
            var peak = 0
            for ordinal in 0..<40_000 {
                let (high, low) = pool[Int.random(in: 0..<pool.count, using: &generator)]
                if indexed, let index = table.find(high: high, low: low) {
                    table.addCount(1, at: index)
                    expected[latest[[high, low]]!][3] += 1
                    continue
                }
                try table.add(high: high, low: low, ordinal: ordinal, count: 1)
                latest[[high, low]] = expected.count
                expected.append([high, low, UInt64(ordinal), 1])
                peak = max(peak, budget.used)
            }
            #expect(peak <= budget.limit + 64 << 10)
            if limit == 1 << 30 { #expect(expected.count == Set(expected.map { [$0[0], $0[1]] }).count) }
            let stream = try table.sorted()
            var got: [[UInt64]] = []
            while !stream.atEnd {
                let entry = stream.current
                got.append([entry.high, entry.low, entry.ordinal, entry.count])
                try stream.advance()
            }
            #expect(got == expected.sorted { $0.lexicographicallyPrecedes($1) }, "limit \(limit), indexed \(indexed)")
            table.reset()
            #expect(table.isEmpty)
        }
    }

    /// A document whose annotations have ids of every kind, some repeating an earlier one,
    /// and refer to images (complete before them) and objects (after them) of every kind, some
    /// missing; the problems expected, in file order.
    func document(annotations count: Int, pretty: Bool) -> (bytes: [UInt8], expected: [(path: String, message: String)]) {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        var generator = SystemRandomNumberGenerator()
        func nanoid() -> String { String((0..<21).map { _ in alphabet.randomElement(using: &generator)! }) }
        func id(_ index: Int) -> String {
            switch index % 5 {
            case 0: nanoid()
            case 1: "a\(index)"  // inline
            case 2: "annotation-number-\(index)-long"  // a String
            case 3: "é\(index)".padding(toLength: 20, withPad: ".", startingAt: 0)  // 21 bytes, not a nanoid
            default: String((0..<15).map { _ in alphabet.randomElement(using: &generator)! })  // 15 bytes, inline
            }
        }
        let images = ["img", nanoid(), "image-with-a-long-id-\(nanoid())"]
        let missingImages = ["gone", nanoid(), "image-that-is-not-there-at-all"]
        let objects = ["obj", nanoid(), "object-with-a-long-id-\(nanoid())"]
        let missingObjects = ["lost", nanoid(), "object-that-is-not-there-at-all"]
        var seen = Set<String>()
        var ids: [String] = []
        var expected: [(path: String, message: String)] = []
        var pendingFirst: [String: Int] = [:]  // missing object id -> index in `expected`
        var pendingCount: [String: Int] = [:]
        var annotations: [String] = []
        for index in 0..<count {
            var value = id(index)
            if index > 0 && Int.random(in: 0..<6, using: &generator) == 0 {
                value = ids[Int.random(in: 0..<index, using: &generator)]
            }
            ids.append(value)
            if !seen.insert(value).inserted {
                expected.append(("$.annotations[\(index)].id", "duplicate id \(jsonQuoted(value)): another annotation has the same id"))
            }
            var image = images[index % 3]
            if Int.random(in: 0..<50, using: &generator) == 0 {
                image = missingImages.randomElement(using: &generator)!
                expected.append(("$.annotations[\(index)].image_id",
                                 "annotation refers to image \(jsonQuoted(image)), which is not in images"))
            }
            var object = objects[index % 3]
            if Int.random(in: 0..<50, using: &generator) == 0 {
                object = missingObjects.randomElement(using: &generator)!
                if pendingFirst[object] == nil {
                    pendingFirst[object] = expected.count
                    expected.append(("$.annotations[\(index)].object_id",
                                     "annotation refers to object \(jsonQuoted(object)), which is not in objects"))
                }
                pendingCount[object, default: 0] += 1
            }
            annotations.append("{\"id\":\"\(value)\",\"image_id\":\"\(image)\",\"object_id\":\"\(object)\",\"iscrowd\":0,\"bbox\":null,\"segmentation\":[[1,2,3,4]]}")
        }
        for (object, first) in pendingFirst where pendingCount[object]! > 1 {
            expected[first].message += " (\(pendingCount[object]!) references to this id; this is the first)"
        }
        let separator = pretty ? ",\n  " : ","
        let imageRecords = images.enumerated().map {
            "{\"id\":\"\($0.element)\",\"file_name\":\"\($0.offset).dcm\",\"index\":\($0.offset),\"category_ids\":null,\"regressions\":null}"
        }.joined(separator: separator)
        let objectRecords = objects.map { "{\"id\":\"\($0)\",\"category_ids\":[\"cat\"],\"regressions\":null}" }
            .joined(separator: separator)
        let text = """
        {"images":[\(imageRecords)],
        "annotations":[\(annotations.joined(separator: separator))],
        "categories":[{"id":"cat","name":"Lesion","supercategory_id":null}],"regressions":[],
        "objects":[\(objectRecords)],
        "meta":{"category_ids":null,"regressions":null}}
        """
        return (Array(text.utf8), expected)
    }

    func problems(_ bytes: [UInt8], memoryLimit: Int, chunk: Int) throws -> [DocumentError] {
        var parser = DocumentParser(visitor: ProblemList(), options: DocumentParsing.Options(validate: true, memoryLimit: memoryLimit))
        var start = 0
        while start < bytes.count {
            try parser.feed(Array(bytes[start..<min(bytes.count, start + chunk)]))
            start += chunk
        }
        try parser.finish()
        return parser.visitor.problems
    }

    @Test("duplicates and dangling references of every kind of id, in file order and placed, whatever the memory limit",
          arguments: [false, true])
    func problemsInDocument(pretty: Bool) throws {
        let (bytes, expected) = document(annotations: 12_000, pretty: pretty)
        #expect(expected.count > 1_000)
        let reference = try problems(bytes, memoryLimit: 1 << 30, chunk: 1 << 20)
        #expect(reference.map(\.path) == expected.map(\.path))
        #expect(reference.map(\.message) == expected.map(\.message))
        // Each problem sits on the value's opening quote (problems come in file order).
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
        for (limit, chunk) in [(16 << 10, 4093), (64 << 10, 65_536), (DocumentParsing.Options.defaultMemoryLimit, 100_003)] {
            #expect(try problems(bytes, memoryLimit: limit, chunk: chunk) == reference, "limit \(limit)")
        }
    }
}
