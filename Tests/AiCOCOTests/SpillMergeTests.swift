import Testing
@testable import AiCOCO

/// The spilling tables past a small budget: runs written in blocks (records larger than a block
/// straight), full levels merged on a thread of their own, cascades of merges, tables sharing a
/// budget; and the sequenced records `measure` spills (a key ending in a big-endian number, a
/// payload led by a varint).
struct SpillMergeTests {
    /// Records of `sorter` in order: key, payload.
    func records(_ sorter: ExternalSorter) throws -> [([UInt8], [UInt8])] {
        let stream = try sorter.sorted()
        var got: [([UInt8], [UInt8])] = []
        while !stream.atEnd {
            got.append((Array(stream.key), Array(stream.payload)))
            try stream.advance()
        }
        return got
    }

    @Test("sequenced records come back in key order, whole, past the budget (levels merged in turn)")
    func sequencedRecords() throws {
        let budget = MemoryBudget(limit: 16 << 10)
        let sorter = ExternalSorter(budget: budget, indexed: false)
        var generator = SystemRandomNumberGenerator()
        var expected: [([UInt8], [UInt8])] = []
        // Enough records for more than fanIn * fanIn runs; some larger than a write block.
        for sequence in 1...20_000 {
            let image = (0..<Int.random(in: 1...20, using: &generator)).map { _ in UInt8.random(in: 0...3, using: &generator) }
            let head = Int.random(in: 0...(1 << 20), using: &generator)
            let rest = (0..<(sequence % 997 == 0 ? 6_000 : Int.random(in: 0...40, using: &generator))).map { UInt8(truncatingIfNeeded: $0 &* sequence) }
            try image.withUnsafeBytes { image in
                try rest.withUnsafeBytes { try sorter.append(key: image, sequence: UInt64(sequence), head: head, payload: $0) }
            }
            var key = image
            withUnsafeBytes(of: UInt64(sequence).bigEndian) { key.append(contentsOf: $0) }
            var payload: [UInt8] = []
            RawBytes.appendVarint(head, to: &payload)
            expected.append((key, payload + rest))
        }
        #expect(sorter.hasRuns)
        #expect(sorter.bytesSpilled > expected.reduce(0) { $0 + $1.0.count + $1.1.count })
        let got = try records(sorter)
        let sorted = expected.sorted { $0.0.lexicographicallyPrecedes($1.0) }
        #expect(got.count == sorted.count)
        #expect(got.map(\.0) == sorted.map(\.0))
        #expect(got.map(\.1) == sorted.map(\.1))
        // Read again: the same.
        #expect(try records(sorter).map(\.0) == sorted.map(\.0))
        sorter.reset()
        #expect(budget.used == 0)
    }

    @Test("tables sharing a budget spill and merge each other's levels and keep every record")
    func sharedBudget() throws {
        let budget = MemoryBudget(limit: 16 << 10)
        let tables = (0..<3).map { _ in ExternalSorter(budget: budget, indexed: false) }
        var expected: [[[UInt8]]] = [[], [], []]
        for index in 0..<30_000 {
            let table = index % 3
            let key = Array("\(index &* 7919 % 100_003)-\(index)".utf8)
            expected[table].append(key)
            let payload = [UInt8](repeating: UInt8(table), count: index % 50)
            try key.withUnsafeBytes { key in try payload.withUnsafeBytes { _ = try tables[table].append(key: key, payload: $0) } }
        }
        for (table, sorter) in tables.enumerated() {
            #expect(sorter.hasRuns)
            let got = try records(sorter)
            #expect(got.map(\.0) == expected[table].sorted { $0.lexicographicallyPrecedes($1) })
            #expect(got.allSatisfy { $0.1.allSatisfy { $0 == UInt8(table) } })
        }
        for sorter in tables { sorter.reset() }
        #expect(budget.used == 0)
    }

    @Test("a varint's length is what appendVarint writes", arguments: [0, 1, 127, 128, 16_383, 16_384, 1 << 35, Int.max, -1])
    func varintCount(value: Int) {
        var bytes: [UInt8] = []
        RawBytes.appendVarint(value, to: &bytes)
        #expect(RawBytes.varintCount(value) == bytes.count)
    }
}
