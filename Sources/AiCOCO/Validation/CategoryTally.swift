/// Objects per category name, and the names of the meta section's predictions, for `aicoco
/// stats`, within a memory budget whatever the number of categories, objects and regressions
/// (the tables spill sorted runs to temporary files past it), whatever the order of the
/// sections. The same as dictionaries by id where the last category or regression of an id
/// wins and an id no category has stands for itself; names are compared as UTF-8 bytes.
package final class CategoryTally {
    private let budget: MemoryBudget
    /// Category id → order of the category (8 bytes), then its name.
    private let names: ExternalSorter
    /// Category id → objects that list it (8 bytes, updated in place).
    private let counts: ExternalSorter
    /// Regression id → order (8 bytes), name length (varint), name, then the unit if any.
    private let regressions: ExternalSorter
    /// After `finish`: most objects first, then by name. Key: ~count (8 bytes, big-endian), name.
    private var ranking: ExternalSorter?
    private var key: [UInt8] = []
    private var payload: [UInt8] = []
    private var sequence = 0

    /// Within its own budget of `memoryLimit` bytes.
    package convenience init(memoryLimit: Int = DocumentParsing.Options.defaultMemoryLimit) {
        self.init(budget: MemoryBudget(limit: memoryLimit))
    }

    /// Within the budget of `tally` (one limit for both).
    package convenience init(sharingBudgetOf tally: AnnotatedImageTally) {
        self.init(budget: tally.budget)
    }

    init(budget: MemoryBudget) {
        self.budget = budget
        names = ExternalSorter(budget: budget, indexed: false)
        counts = ExternalSorter(budget: budget, indexed: true)
        regressions = ExternalSorter(budget: budget, indexed: false)
    }

    package func addCategory(id: String, name: String) throws {
        encode(id)
        payload.removeAll(keepingCapacity: true)
        appendSequence()
        payload.append(contentsOf: name.utf8)
        _ = try key.withUnsafeBytes { key in try payload.withUnsafeBytes { try names.append(key: key, payload: $0) } }
    }

    /// An object listing `categoryIDs` (each counts once per listing, as in the input).
    package func addObject(categoryIDs: [String]) throws {
        for id in categoryIDs {
            encode(id)
            if let ordinal = key.withUnsafeBytes({ counts.find($0) }) {
                let count = counts.payload(of: ordinal).baseAddress!
                RawBytes.store64(RawBytes.load64(count) + 1, count)
                continue
            }
            var one = UInt64(1).littleEndian
            _ = try key.withUnsafeBytes { key in try withUnsafeBytes(of: &one) { try counts.append(key: key, payload: $0) } }
        }
    }

    package func addRegression(id: String, name: String, unit: String?) throws {
        encode(id)
        payload.removeAll(keepingCapacity: true)
        appendSequence()
        RawBytes.appendVarint(name.utf8.count, to: &payload)
        payload.append(contentsOf: name.utf8)
        if let unit {
            payload.append(1)
            payload.append(contentsOf: unit.utf8)
        }
        _ = try key.withUnsafeBytes { key in try payload.withUnsafeBytes { try regressions.append(key: key, payload: $0) } }
    }

    /// What `finish` names: the meta section's category ids (by their category's name, or the
    /// id itself) and regression ids (by their regression's name and unit, nil when none has it).
    package struct Names: Sendable, Equatable {
        package var categories: [String] = []
        package var regressions: [Regression?] = []
        package init(categories: [String] = [], regressions: [Regression?] = []) {
            self.categories = categories
            self.regressions = regressions
        }
        package struct Regression: Sendable, Equatable {
            package var name: String
            package var unit: String?
        }
    }

    /// Joins the tables: names `metaCategoryIDs` and `metaRegressionIDs` (in their order) and
    /// ranks the categories for `forEachObjectCount`. Call once, after the whole input.
    package func finish(metaCategoryIDs: [String], metaRegressionIDs: [String]) throws -> Names {
        precondition(ranking == nil, "finish is called once")
        var result = Names(categories: metaCategoryIDs, regressions: Array(repeating: nil, count: metaRegressionIDs.count))
        let byName = ExternalSorter(budget: budget, indexed: true)
        try joinCategories(wanted: sortedKeys(metaCategoryIDs), into: &result.categories, byName: byName)
        try joinRegressions(wanted: sortedKeys(metaRegressionIDs), into: &result.regressions)
        // Sum per name, then rank.
        let ranked = ExternalSorter(budget: budget, indexed: false)
        let stream = try byName.sorted()
        var current: [UInt8] = []
        while !stream.atEnd {
            let count = try stream.sumCounts(key: &current)
            key.removeAll(keepingCapacity: true)
            let inverted = ~UInt64(count)
            for shift in stride(from: 56, through: 0, by: -8) { key.append(UInt8(truncatingIfNeeded: inverted >> UInt64(shift))) }
            key.append(contentsOf: current)
            _ = try key.withUnsafeBytes { try ranked.append(key: $0, payload: UnsafeRawBufferPointer(start: nil, count: 0)) }
        }
        byName.reset()
        ranking = ranked
        return result
    }

    /// Objects per category name, most first, then by name; once, after `finish`.
    package func forEachObjectCount(_ body: (_ name: String, _ objects: Int) throws -> Void) throws {
        guard let ranked = ranking else { preconditionFailure("finish comes first") }
        let stream = try ranked.sorted()
        while !stream.atEnd {
            var inverted: UInt64 = 0
            for index in 0..<8 { inverted = inverted << 8 | UInt64(stream.key[index]) }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: stream.key[8...]), as: UTF8.self)
            try body(name, Int(~inverted))
            try stream.advance()
        }
        ranked.reset()
    }

    // MARK: Joins

    /// Keys of `ids` with their positions, in key order.
    private func sortedKeys(_ ids: [String]) -> [(key: [UInt8], position: Int)] {
        var wanted: [(key: [UInt8], position: Int)] = []
        wanted.reserveCapacity(ids.count)
        for (position, id) in ids.enumerated() {
            encode(id)
            wanted.append((key, position))
        }
        wanted.sort { a, b in
            let order = a.key.withUnsafeBytes { a in b.key.withUnsafeBytes { RawBytes.compare(a, $0) } }
            return order != 0 ? order < 0 : a.position < b.position
        }
        return wanted
    }

    /// One walk over the names and counts in id order: each id's name (the last category's,
    /// or the id) goes to the meta names wanted and, with its objects, to `byName`.
    private func joinCategories(wanted: [(key: [UInt8], position: Int)], into named: inout [String],
                                byName: ExternalSorter) throws {
        let defined = try names.sorted()
        let listed = try counts.sorted()
        var next = 0
        var current: [UInt8] = [], name: [UInt8] = []
        while true {
            var smallest: [UInt8]?
            if !defined.atEnd { smallest = Array(defined.key) }
            if !listed.atEnd, smallest == nil || smallest!.withUnsafeBytes({ RawBytes.compare(listed.key, $0) }) < 0 {
                smallest = Array(listed.key)
            }
            if next < wanted.count, smallest == nil || compare(wanted[next].key, smallest!) < 0 { smallest = wanted[next].key }
            guard let smallest else { break }
            current = smallest
            var latest = -1
            while !defined.atEnd && current.withUnsafeBytes({ RawBytes.compare(defined.key, $0) }) == 0 {
                let order = RawBytes.load64(defined.payload.baseAddress!)
                if order > latest {
                    latest = order
                    name = Array(defined.payload[8...])
                }
                try defined.advance()
            }
            if latest < 0 { name = Array(current.withUnsafeBytes { IDKey.decode($0) }.utf8) }
            var count = 0
            while !listed.atEnd && current.withUnsafeBytes({ RawBytes.compare(listed.key, $0) }) == 0 {
                count += RawBytes.load64(listed.payload.baseAddress!)
                try listed.advance()
            }
            if count > 0 { try add(count, to: name, in: byName) }
            while next < wanted.count && compare(wanted[next].key, current) == 0 {
                named[wanted[next].position] = String(decoding: name, as: UTF8.self)
                next += 1
            }
        }
        names.reset()
        counts.reset()
    }

    private func add(_ count: Int, to name: [UInt8], in table: ExternalSorter) throws {
        if let ordinal = name.withUnsafeBytes({ table.find($0) }) {
            let total = table.payload(of: ordinal).baseAddress!
            RawBytes.store64(RawBytes.load64(total) + count, total)
            return
        }
        var value = UInt64(count).littleEndian
        _ = try name.withUnsafeBytes { name in try withUnsafeBytes(of: &value) { try table.append(key: name, payload: $0) } }
    }

    private func joinRegressions(wanted: [(key: [UInt8], position: Int)], into named: inout [Names.Regression?]) throws {
        let defined = try regressions.sorted()
        var previous: (key: [UInt8], value: Names.Regression?)?
        for item in wanted {
            while !defined.atEnd && item.key.withUnsafeBytes({ RawBytes.compare(defined.key, $0) }) < 0 { try defined.advance() }
            // Equal keys may sit behind the stream's current record when an id is wanted twice:
            // the first of them already read the regression.
            if let previous, compare(previous.key, item.key) == 0 {
                named[item.position] = previous.value
                continue
            }
            var latest = -1
            var value: Names.Regression?
            while !defined.atEnd && item.key.withUnsafeBytes({ RawBytes.compare(defined.key, $0) }) == 0 {
                let order = RawBytes.load64(defined.payload.baseAddress!)
                if order > latest {
                    latest = order
                    value = Self.regression(UnsafeRawBufferPointer(rebasing: defined.payload[8...]))
                }
                try defined.advance()
            }
            previous = (item.key, value)
            named[item.position] = value
        }
        regressions.reset()
    }

    private static func regression(_ bytes: UnsafeRawBufferPointer) -> Names.Regression {
        var position = 0
        let count = RawBytes.readVarint(bytes, &position)
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<position + count]), as: UTF8.self)
        position += count
        let unit = position < bytes.count
            ? String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(position + 1)...]), as: UTF8.self) : nil
        return Names.Regression(name: name, unit: unit)
    }

    private func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBytes { a in b.withUnsafeBytes { RawBytes.compare(a, $0) } }
    }

    private func appendSequence() {
        payload.append(contentsOf: repeatElement(0, count: 8))
        payload.withUnsafeMutableBytes { RawBytes.store64(sequence, $0.baseAddress!) }
        sequence += 1
    }

    private func encode(_ id: String) {
        var id = id
        id.withUTF8 { IDKey.encode($0, into: &key) }
    }
}
