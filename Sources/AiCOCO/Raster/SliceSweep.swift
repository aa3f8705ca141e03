// The slice join behind `SegmentationMeasure`: the pixel runs of every annotation of one slice,
// sorted by row and column, swept row by row to count each structure's own pixels (the union
// of its contours) and the pixels each pair of structures shares.

/// One run of pixels of a row, `x0...x1`, of the structure `tag`.
struct PixelRun {
    var y: Int32
    var x0: Int32
    var x1: Int32
    var tag: Int32
}

/// Collects the runs a `ContourScanner` gives, tagged with the structure being filled. Runs
/// that continue the previous one on its row (an edge drawn pixel by pixel) are joined to it.
struct SliceRuns: PixelRunSink {
    var runs: [PixelRun] = []
    var tag: Int32 = 0

    mutating func run(y: Int, from x0: Int, through x1: Int) {
        let y = Int32(y), x0 = Int32(x0), x1 = Int32(x1)
        if let last = runs.last, last.y == y, last.tag == tag, x0 <= last.x1 + 1, x0 >= last.x0 {
            if x1 > last.x1 { runs[runs.count - 1].x1 = x1 }
            return
        }
        runs.append(PixelRun(y: y, x0: x0, x1: x1, tag: tag))
    }

    mutating func removeAll() { runs.removeAll(keepingCapacity: true) }
}

/// Counts, in one layer of structures (objects, or categories), each structure's pixels on a
/// slice and the pixels pairs of them share, from runs given row by row in column order.
/// Per row, `active` holds each structure's covered stretch that reaches the current column:
/// a run's pixels past its own structure's stretch are new; those under another structure's
/// stretch are shared with it (each shared pixel is counted once, by the later of the two).
struct LayerSweep {
    /// Pixels on the slice, by structure; structures with pixels in `touched`.
    var area: [Int]
    var touched: [Int32] = []
    /// Shared pixels on the slice by pair, `low << 32 | high` (structure numbers): at most
    /// `pairLimit` pairs in memory, the rest (a pair possibly more than once) in `spilled`.
    private(set) var pairs: [UInt64: Int] = [:]
    private var spilled: SlicePairs.Spill?
    private var active: [(tag: Int32, end: Int32)] = []
    /// Most pairs a layer holds in memory (about 1 MiB); past them they spill (see `SlicePairs`).
    static let pairLimit = 1 << 15

    init(structures: Int) {
        area = [Int](repeating: 0, count: structures)
    }

    mutating func beginRow() { active.removeAll(keepingCapacity: true) }

    @inline(__always)
    mutating func add(_ x0: Int32, _ x1: Int32, tag: Int32) {
        // Stretches that end before this run are over; find this structure's own.
        var kept = 0
        var own = -1
        for index in active.indices where active[index].end >= x0 {
            if active[index].tag == tag { own = kept }
            active[kept] = active[index]
            kept += 1
        }
        active.removeLast(active.count - kept)
        var first = x0
        if own >= 0 {
            if x1 <= active[own].end { return }
            first = active[own].end + 1
            active[own].end = x1
        } else {
            active.append((tag, x1))
        }
        let new = Int(x1 - first) + 1
        if area[Int(tag)] == 0 { touched.append(tag) }
        area[Int(tag)] += new
        guard active.count > 1 else { return }
        for other in active where other.tag != tag {
            let shared = Int(min(x1, other.end) - first) + 1
            if shared > 0 {
                let key = tag < other.tag ? UInt64(UInt32(tag)) << 32 | UInt64(UInt32(other.tag))
                                          : UInt64(UInt32(other.tag)) << 32 | UInt64(UInt32(tag))
                addPair(key, shared)
            }
        }
    }

    /// Adds `pixels` shared by the pair `key` (`low << 32 | high`).
    @inline(__always)
    mutating func addPair(_ key: UInt64, _ pixels: Int) {
        pairs[key, default: 0] += pixels
        if pairs.count >= Self.pairLimit { spillPairs() }
    }

    private mutating func spillPairs() {
        if spilled == nil { spilled = SlicePairs.Spill() }
        spilled!.add(pairs)
        pairs.removeAll(keepingCapacity: true)
    }

    /// The slice's pairs, taken (the layer keeps none).
    mutating func takePairs() -> SlicePairs {
        guard spilled != nil else {
            defer { pairs.removeAll(keepingCapacity: true) }
            return SlicePairs(memory: pairs.map { ($0.key, $0.value) })
        }
        spillPairs()
        defer { spilled = nil }
        return SlicePairs(spill: spilled!)
    }

    /// Forgets the slice's counts.
    mutating func reset() {
        for tag in touched { area[Int(tag)] = 0 }
        touched.removeAll(keepingCapacity: true)
        pairs.removeAll(keepingCapacity: true)
        spilled = nil
    }
}

/// The pairs of one layer of a slice with their shared pixels: in memory, or (past
/// `LayerSweep.pairLimit` of them) spilled to a table of their own, read back by pair with a
/// pair's repeats summed. So a slice's pairs take bounded memory however many there are.
struct SlicePairs: @unchecked Sendable {
    /// A slice's pairs past the limit: a table (its own memory budget) of entries keyed by
    /// pair, with the pixels as their count; a pair may repeat.
    struct Spill {
        let table = PackedTable(budget: MemoryBudget(limit: 1 << 20), indexed: false, spillWeight: 1)
        var added = 0
        /// The first error writing the table (thrown when the pairs are read).
        var failure: (any Error)?

        mutating func add(_ pairs: [UInt64: Int]) {
            guard failure == nil else { return }
            do {
                for (key, pixels) in pairs {
                    try table.add(high: key, low: 0, ordinal: added, count: UInt64(pixels))
                    added += 1
                }
            } catch {
                failure = error
            }
        }
    }

    private var memory: [(key: UInt64, pixels: Int)] = []
    private var spill: Spill?

    init(memory: [(key: UInt64, pixels: Int)] = []) { self.memory = memory }
    init(spill: Spill) { self.spill = spill }

    /// Each pair once, with its pixels (in no set order).
    func forEach(_ body: (UInt64, Int) throws -> Void) throws {
        guard let spill else {
            for (key, pixels) in memory { try body(key, pixels) }
            return
        }
        if let failure = spill.failure { throw failure }
        let stream = try spill.table.sorted()
        while !stream.atEnd {
            let key = stream.current.high
            var pixels = 0
            while !stream.atEnd && stream.current.high == key {
                pixels += Int(stream.current.count)
                try stream.advance()
            }
            try body(key, pixels)
        }
        spill.table.reset()
    }
}

/// Sorts one slice's runs by row then column, and sweeps them through the object layer and
/// the category layer (an object's runs count for each of its categories).
struct SliceSweep {
    var objects: LayerSweep
    var categories: LayerSweep
    /// Category numbers of each object (by object number).
    var categoriesOfObject: ObjectCategories
    private var sorted: [PixelRun] = []
    private var rowStarts: [Int32] = []

    init(objectCount: Int, categoryCount: Int, categoriesOfObject: ObjectCategories) {
        objects = LayerSweep(structures: objectCount)
        categories = LayerSweep(structures: categoryCount)
        self.categoriesOfObject = categoriesOfObject
    }

    /// Counts `runs` (one slice's) into `objects` and `categories`.
    mutating func sweep(_ runs: [PixelRun]) {
        guard !runs.isEmpty else { return }
        sortByRow(runs)
        var start = 0
        while start < sorted.count {
            let y = sorted[start].y
            var end = start + 1
            while end < sorted.count && sorted[end].y == y { end += 1 }
            sortRowByColumn(start, end)
            objects.beginRow()
            categories.beginRow()
            for index in start..<end {
                let run = sorted[index]
                objects.add(run.x0, run.x1, tag: run.tag)
                for category in categoriesOfObject[Int(run.tag)] { categories.add(run.x0, run.x1, tag: category) }
            }
            start = end
        }
    }

    /// `sorted` gets the runs by row (stable): by counting when the rows are few for the runs,
    /// else by a comparison sort.
    private mutating func sortByRow(_ runs: [PixelRun]) {
        var low = Int32.max, high = Int32.min
        for run in runs {
            low = min(low, run.y)
            high = max(high, run.y)
        }
        let rows = Int(high) - Int(low) + 1
        sorted.removeAll(keepingCapacity: true)
        guard rows <= 4 * runs.count + 1024 else {
            sorted.append(contentsOf: runs)
            sorted.sort { $0.y != $1.y ? $0.y < $1.y : $0.x0 < $1.x0 }
            return
        }
        rowStarts.removeAll(keepingCapacity: true)
        rowStarts.append(contentsOf: repeatElement(0, count: rows + 1))
        for run in runs { rowStarts[Int(run.y - low) + 1] += 1 }
        for row in 0..<rows { rowStarts[row + 1] += rowStarts[row] }
        sorted.append(contentsOf: repeatElement(PixelRun(y: 0, x0: 0, x1: 0, tag: 0), count: runs.count))
        for run in runs {
            let row = Int(run.y - low)
            sorted[Int(rowStarts[row])] = run
            rowStarts[row] += 1
        }
    }

    /// Sorts `sorted[start..<end]` (one row) by first column: insertion sort for the few runs
    /// of a row, a comparison sort for many.
    private mutating func sortRowByColumn(_ start: Int, _ end: Int) {
        guard end - start > 1 else { return }
        guard end - start <= 32 else {
            sorted[start..<end].sort { $0.x0 < $1.x0 }
            return
        }
        for position in (start + 1)..<end {
            let item = sorted[position]
            var slot = position
            while slot > start && sorted[slot - 1].x0 > item.x0 {
                sorted[slot] = sorted[slot - 1]
                slot -= 1
            }
            sorted[slot] = item
        }
    }
}
