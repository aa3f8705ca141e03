/// The totals of `measure`'s objects and overlapping pairs, summed from their slice rows once
/// sorted (a structure's or pair's rows follow one another) into tables that spill too: memory
/// grows with neither objects nor pairs. Read back in order (`objectTotals(_:)`, `overlaps()`).
/// The objects' are summed when first asked (`totalObjects()`): the CSV sums them as it writes the rows.
extension SegmentationMeasurement {
    /// Notes `budget` for the totals; the pairs' (from `pairRows`), with the pairs' summaries,
    /// are summed now when `pairs`, else when first asked (`totalPairs()`); the objects' (from
    /// the rows of `rows`) when first asked (`totalObjects()`).
    func total(budget: MemoryBudget, pairs: Bool = true) throws {
        totalBudget = budget
        objectTotalTable = nil
        objectTotalCursor = nil
        pairTotals = nil
        summaries = nil
        if pairs { try totalPairs() }
    }

    /// Sums the pairs' totals into their table, with the pairs' summaries, unless done.
    package func totalPairs() throws {
        guard pairTotals == nil, let budget = totalBudget else { return }
        var objects = OverlapSummary(), categories = OverlapSummary()
        pairTotals = try total(pairRows, scope: nil, budget: budget) { scope, voxels in
            if scope == Scope.objectOverlap.rawValue {
                objects.pairs += 1
                objects.voxels += voxels
            } else {
                categories.pairs += 1
                categories.voxels += voxels
            }
        }
        summaries = (objects, categories)
    }

    /// Gives the pairs' summaries, as a reader of all the pairs' rows added them up (so that
    /// the pairs need not be totalled for them): pairs of objects, of categories.
    package func noteOverlapSummaries(objects: OverlapSummary, categories: OverlapSummary) {
        summaries = (objects, categories)
    }

    /// The pairs' summaries, totalling the pairs first when neither did (an error there: none).
    func knownSummaries() -> (objects: OverlapSummary, categories: OverlapSummary) {
        if summaries == nil { try? totalPairs() }
        return summaries ?? (OverlapSummary(), OverlapSummary())
    }

    /// The totals of the rows of `table` read in order (those of `scope`, the first list the
    /// rows hold; nil: all), keyed as the rows are without their slice number (scope, first,
    /// second); payload voxels, slices, lowest and highest index. `noting` gets each one's
    /// scope and voxels.
    private func total(_ table: ExternalSorter?, scope: Scope?, budget: MemoryBudget,
                       noting: (UInt8, Int) -> Void = { _, _ in }) throws -> ExternalSorter {
        let totals = ExternalSorter(budget: budget, indexed: false)
        guard let table else { return totals }
        let stream = try table.sorted()
        // The key being summed (`pairKeyBytes` = 9 bytes): its first 8 bytes and its last, compared as such.
        var key: (head: UInt64, last: UInt8) = (0, 0), sum = Totals()
        func flush() throws {
            guard let range = sum.indexRange else { return }
            var payload = (UInt64(sum.voxels).littleEndian, UInt64(sum.sliceCount).littleEndian,
                           range.lowerBound.bitPattern.littleEndian, range.upperBound.bitPattern.littleEndian)
            var bytes = key
            try withUnsafeBytes(of: &bytes.head) { head in
                var whole: (UInt64, UInt64) = (0, 0)
                try withUnsafeMutableBytes(of: &whole) { whole in
                    whole.copyMemory(from: head)
                    whole[8] = bytes.last
                    try withUnsafeBytes(of: &payload) {
                        _ = try totals.append(key: UnsafeRawBufferPointer(rebasing: whole[0..<Self.pairKeyBytes]), payload: $0)
                    }
                }
            }
            noting(withUnsafeBytes(of: key.head) { $0[0] }, sum.voxels)
            sum = Totals()
        }
        while !stream.atEnd {
            let row = stream.key
            if let scope, row[0] != scope.rawValue { break }
            let head = row.loadUnaligned(as: UInt64.self), last = row[8]
            if head != key.head || last != key.last {
                try flush()
                key = (head, last)
            }
            sum.add(pixels: RawBytes.load64(stream.payload.baseAddress!), index: imageIndices[image(ofKey: row)])
            try stream.advance()
        }
        try flush()
        return totals
    }

    /// Sums the objects' totals into their table, unless done: before reading the rows (`slices()`),
    /// lest two readings of the rows be open at once. The table has a budget of its own, what the
    /// measure's leaves (whose other tables may be gone: its budget would spill them).
    package func totalObjects() throws {
        guard objectTotalTable == nil, let shared = totalBudget else { return }
        let budget = MemoryBudget(limit: shared.limit - shared.used)
        objectTotalTable = try total(rows, scope: .object, budget: budget)
        objectTotalCursor = nil
    }

    /// The totals of the object at `position` (none: no pixels), read from their table: each
    /// call reads on from the last one's place (from the first when `position` is before it).
    package func objectTotals(_ position: Int) throws -> Totals {
        try totalObjects()
        guard let objectTotalTable else { return Totals() }
        if objectTotalCursor == nil || position < objectTotalCursor!.position {
            objectTotalCursor = (try objectTotalTable.sorted(), position)
        }
        let stream = objectTotalCursor!.stream
        objectTotalCursor!.position = position
        func first() -> Int { Int(UInt32(bigEndian: stream.key.loadUnaligned(fromByteOffset: 1, as: UInt32.self))) }
        while !stream.atEnd && first() < position { try stream.advance() }
        return !stream.atEnd && first() == position ? Totals(payload: stream.payload) : Totals()
    }
}

extension SegmentationMeasurement.Totals {
    /// Totals as their table holds them (see `SegmentationMeasurement.total`).
    init(payload: UnsafeRawBufferPointer) {
        let base = payload.baseAddress!
        let low = Double(bitPattern: UInt64(truncatingIfNeeded: RawBytes.load64(base + 16)))
        let high = Double(bitPattern: UInt64(truncatingIfNeeded: RawBytes.load64(base + 24)))
        self.init(voxels: RawBytes.load64(base), sliceCount: RawBytes.load64(base + 8), indexRange: low...high)
    }
}
