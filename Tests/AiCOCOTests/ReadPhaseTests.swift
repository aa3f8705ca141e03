import Testing
@testable import AiCOCO

/// What `measure`'s reading phase does beside the parse: the contour encoder's rounding (its own
/// fast path, the same integers as `ContourScanner.rounded`), and the wide spill its contours go
/// to (more runs merged at a time: fewer merges, the same records in the same order).
struct ReadPhaseTests {
    @Test("the encoder rounds every coordinate as ContourScanner does, and notes only NaN and infinities")
    func encoderRounding() {
        let limit = ContourScanner.coordinateLimit
        var values: [Double] = [0, -0.0, 1, -1, 511, -511, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, 1e-300, -1e-300,
                                limit, -limit, limit - 0.5, -limit + 0.5, limit + 1, -limit - 1, limit + 0.5, 0x1p51, -0x1p51,
                                0x1p52, 0x1.8p52, -0x1.8p52, 0x1p53 + 2, 0x1p62, -0x1p63, 1e300, -1e300,
                                Double.greatestFiniteMagnitude, -Double.greatestFiniteMagnitude, .ulpOfOne,
                                .leastNonzeroMagnitude, .infinity, -.infinity, .nan]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            values.append(Double(Int.random(in: -(1 << 29)...(1 << 29), using: &generator)))
            values.append(Double.random(in: -(limit * 2)...(limit * 2), using: &generator))
            values.append(Double(Int.random(in: -4096...4096, using: &generator)) / 8)
        }
        for value in values {
            var finite = true
            let rounded = ContourEncoder.rounded(value, &finite)
            #expect(rounded == ContourScanner.rounded(value), "\(value)")
            #expect(finite == value.isFinite, "\(value)")
        }
    }

    /// `count` sequenced records (as `measure` spills them) into each of `sorters`; the records
    /// expected back (key, then payload).
    func fill(_ sorters: [ExternalSorter], count: Int) throws -> [[UInt8]] {
        var generator = SystemRandomNumberGenerator()
        var expected: [[UInt8]] = []
        for sequence in 1...count {
            let image = (0..<17).map { _ in UInt8.random(in: 0...7, using: &generator) }
            let rest = (0..<Int.random(in: 0...120, using: &generator)).map { UInt8(truncatingIfNeeded: $0 &* sequence) }
            for sorter in sorters {
                try image.withUnsafeBytes { image in
                    try rest.withUnsafeBytes { try sorter.append(key: image, sequence: UInt64(sequence), head: sequence % 300, payload: $0) }
                }
            }
            var record = image
            withUnsafeBytes(of: UInt64(sequence).bigEndian) { record.append(contentsOf: $0) }
            RawBytes.appendVarint(sequence % 300, to: &record)
            expected.append(record + rest)
        }
        return expected
    }

    func records(_ sorter: ExternalSorter) throws -> [[UInt8]] {
        let stream = try sorter.sorted()
        var got: [[UInt8]] = []
        while !stream.atEnd {
            got.append(Array(stream.key) + Array(stream.payload))
            try stream.advance()
        }
        return got
    }

    @Test("a wide table merges more runs at a time as its budget allows, from 16 to 64")
    func wideFanIn() {
        #expect(ExternalSorter(budget: MemoryBudget(limit: 16 << 10), indexed: false, wide: true).fanIn == 16)
        #expect(ExternalSorter(budget: MemoryBudget(limit: 160 << 10), indexed: false, wide: true).fanIn == 20)
        #expect(ExternalSorter(budget: MemoryBudget(limit: 2 << 20), indexed: false, wide: true).fanIn == 64)
        #expect(ExternalSorter(budget: MemoryBudget(limit: 64 << 20), indexed: false, wide: true).fanIn == 64)
        #expect(ExternalSorter(budget: MemoryBudget(limit: 2 << 20), indexed: false).fanIn == ExternalSorter.fanIn)
    }

    @Test("a wide table gives every record back in the same order as a narrow one, rewriting fewer of them")
    func wideSameRecords() throws {
        // About 9 MB of records past a limit of 512 KiB: some 20 runs, more than 16, fewer than 64.
        let wide = ExternalSorter(budget: MemoryBudget(limit: 512 << 10), indexed: false, wide: true)
        let narrow = ExternalSorter(budget: MemoryBudget(limit: 512 << 10), indexed: false)
        let expected = try fill([wide, narrow], count: 100_000)
        let sorted = expected.sorted { $0[0..<25].lexicographicallyPrecedes($1[0..<25]) }
        let got = try records(wide)
        #expect(got == sorted)
        #expect(try records(narrow) == sorted)
        // The wide table wrote each record once (8 bytes of lengths, key, payload); the narrow one
        // rewrote some in a merge.
        let once = expected.reduce(0) { $0 + 8 + $1.count }
        #expect(wide.bytesSpilled == once)
        #expect(narrow.bytesSpilled > once)
    }
}
