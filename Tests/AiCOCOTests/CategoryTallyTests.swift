import Foundation
import Testing
@testable import AiCOCO

/// Many categories, objects and regressions (what hostile input can make huge): `stats`'
/// per-category tables stay within the memory limit, spill, and give exactly what dictionaries give.
@Suite("Category tally")
struct CategoryTallyTests {
    struct Input {
        var categories: [(id: String, name: String)] = []
        var objects: [[String]] = []
        var regressions: [(id: String, name: String, unit: String?)] = []
        var metaCategoryIDs: [String] = []
        var metaRegressionIDs: [String] = []
    }

    /// Ids of both kinds (nanoids and others), names shared by several ids and redefined later,
    /// objects listing undefined ids, meta lists with repeats and undefined ids.
    static func input(seed: UInt64, categories count: Int) -> Input {
        var random = SeededRandom(seed: seed)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        func id(_ number: Int) -> String {
            if number % 2 == 0 { return "c\(number)" }
            var state = UInt64(number) &* 0x9e37_79b9_7f4a_7c15
            return String((0..<21).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return alphabet[Int(state >> 58)]
            })
        }
        let names = ["Liver", "Lesion", "Spleen", "Người 臓", "Kidney", "Ω"]
        var input = Input()
        for number in 0..<count {
            input.categories.append((id(number), names[random.next(names.count)] + "\(random.next(count / 3))"))
        }
        for number in stride(from: 0, to: count, by: 7) { input.categories.append((id(number), "late\(number)")) }
        for _ in 0..<(2 * count) {
            input.objects.append((0..<random.next(4)).map { _ in id(random.next(count + count / 10)) })
        }
        for number in 0..<(count / 2) {
            input.regressions.append(("r\(number)", "reg\(number)", number % 3 == 0 ? "mm" : nil))
        }
        input.regressions.append(("r1", "again", "cm"))
        input.metaCategoryIDs = (0..<50).map { _ in id(random.next(count + count / 10)) } + [id(1), id(1)]
        input.metaRegressionIDs = (0..<40).map { _ in "r\(random.next(count / 2 + 20))" } + ["r1", "r1"]
        return input
    }

    /// What dictionaries give (the last definition of an id wins; an undefined id names itself).
    static func expected(_ input: Input) -> (ranked: [(String, Int)], names: CategoryTally.Names) {
        var names: [String: String] = [:]
        for category in input.categories { names[category.id] = category.name }
        var perID: [String: Int] = [:]
        for object in input.objects { for id in object { perID[id, default: 0] += 1 } }
        var perName: [String: Int] = [:]
        for (id, count) in perID { perName[names[id] ?? id, default: 0] += count }
        let ranked = perName.map { ($0.key, $0.value) }.sorted {
            $0.1 != $1.1 ? $0.1 > $1.1 : Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8))
        }
        var regressions: [String: CategoryTally.Names.Regression] = [:]
        for regression in input.regressions {
            regressions[regression.id] = .init(name: regression.name, unit: regression.unit)
        }
        return (ranked, CategoryTally.Names(categories: input.metaCategoryIDs.map { names[$0] ?? $0 },
                                            regressions: input.metaRegressionIDs.map { regressions[$0] }))
    }

    @Test("past a 16 KiB budget the tables spill and the counts and names are exact", arguments: [1, 2])
    func spills(seed: UInt64) throws {
        let input = Self.input(seed: seed, categories: 6_000)
        let budget = MemoryBudget(limit: 16 << 10)
        let tally = CategoryTally(budget: budget)
        // Objects before categories and regressions (any order is the same).
        for object in input.objects { try tally.addObject(categoryIDs: object) }
        for category in input.categories { try tally.addCategory(id: category.id, name: category.name) }
        for regression in input.regressions {
            try tally.addRegression(id: regression.id, name: regression.name, unit: regression.unit)
        }
        let names = try tally.finish(metaCategoryIDs: input.metaCategoryIDs, metaRegressionIDs: input.metaRegressionIDs)
        var ranked: [(String, Int)] = []
        try tally.forEachObjectCount { ranked.append(($0, $1)) }
        #expect(budget.spills > 0)
        #expect(budget.peak <= budget.limit + 64 << 10)
        let expected = Self.expected(input)
        #expect(names == expected.names)
        #expect(ranked.count == expected.ranked.count)
        #expect(ranked.map(\.0) == expected.ranked.map(\.0) && ranked.map(\.1) == expected.ranked.map(\.1))
    }

    @Test("stats --memory-limit 16K is byte-identical to the default with thousands of categories, both orders")
    func statsByteIdentical() throws {
        let input = Self.input(seed: 3, categories: 3_000)
        var document: [String: Any] = [
            "images": [["id": "zB7WCWeGZBxEgn-87O0ky", "file_name": "1.dcm", "index": 0, "category_ids": NSNull(), "regressions": NSNull()]],
            "annotations": [] as [Any],
        ]
        document["categories"] = input.categories.map { ["id": $0.id, "name": $0.name, "supercategory_id": NSNull()] }
        document["objects"] = input.objects.enumerated().map { ["id": "o\($0.offset)", "category_ids": $0.element, "regressions": NSNull()] }
        document["regressions"] = input.regressions.map { regression -> [String: Any] in
            var record: [String: Any] = ["id": regression.id, "name": regression.name, "superregression_id": NSNull()]
            if let unit = regression.unit { record["unit"] = unit }
            return record
        }
        document["meta"] = ["task_type": "multiclass", "category_ids": input.metaCategoryIDs,
                            "regressions": input.metaRegressionIDs.map { ["regression_id": $0, "value": 1.5] }]
        func masked(_ text: String) -> String {
            text.replacingOccurrences(of: #""elapsed_seconds":[0-9.]+,"mb_per_second":[0-9.]+"#, with: "", options: .regularExpression)
                .replacingOccurrences(of: #"elapsed: .*"#, with: "", options: .regularExpression)
        }
        for order in [["images", "annotations", "categories", "regressions", "objects", "meta"],
                      ["meta", "objects", "annotations", "regressions", "categories", "images"]] {
            // JSONSerialization does not keep key order: write the sections one by one.
            var text = "{"
            for (index, key) in order.enumerated() {
                let value = try JSONSerialization.data(withJSONObject: document[key]!)
                text += (index > 0 ? "," : "") + "\"\(key)\":" + String(decoding: value, as: UTF8.self)
            }
            let path = try temporaryFile(Array((text + "}").utf8))
            defer { try? FileManager.default.removeItem(atPath: path) }
            for mode in [["--json"], []] {
                let small = try Tool.run(["stats"] + mode + ["--memory-limit", "16K", path])
                let normal = try Tool.run(["stats"] + mode + [path])
                #expect(small.status == 0 && normal.status == 0, "\(small.stderr)")
                #expect(masked(small.stdout) == masked(normal.stdout) && small.stderr == normal.stderr, "\(mode) \(order)")
            }
            let json = try Tool.run(["stats", "--json", path])
            let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
            let perCategory = report["objects_per_category"] as! [String: Int]
            let expected = Self.expected(input)
            #expect(perCategory.count == expected.ranked.count)
            #expect(expected.ranked.allSatisfy { perCategory[$0.0] == $0.1 })
            let meta = report["meta"] as! [String: Any]
            #expect(meta["predicted_categories"] as! [String] == expected.names.categories)
        }
    }
}

/// A small seeded generator (SplitMix64), so failures repeat.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        guard bound > 0 else { return 0 }
        state &+= 0x9e37_79b9_7f4a_7c15
        var value = state
        value = (value ^ (value >> 30)) &* 0xbf58_476d_1ce4_e5b9
        value = (value ^ (value >> 27)) &* 0x94d0_49bb_1331_11eb
        return Int((value ^ (value >> 31)) % UInt64(bound))
    }
}
