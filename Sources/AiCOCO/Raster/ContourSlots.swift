// The usual way `ContourScanner.fillInside` places crossings: straight into slots of their row
// as the edges are walked (no edge list, no counting pass, no prefix sums), a row's slots as
// many as a row could need (at most one crossing an edge) up to `maximumSlots`. When a row
// has more crossings than its slots, nothing is filled and the counting path takes over.
// Slot `n` of all rows is one stretch of memory, so rows of two crossings (most) touch two.

extension ContourScanner {
    /// Slots a row at most.
    static let maximumSlots = 64
    /// Slots for all rows of a call at most (`rows * slots`), so the scratch stays small.
    static let slotLimit = 1 << 15

    /// Fills between the crossings of the contours' edges (inside the image, their rows from
    /// `low`, `rows` of them with crossings) placed into slots; false, with nothing given to
    /// `sink`, when the slots do not fit `slotLimit` or a row had more crossings than slots.
    mutating func fillSlotted<Sink: PixelRunSink>(points: UnsafeBufferPointer<Int64>, ends: UnsafeBufferPointer<Int>,
                                                  low: Int64, rows: Int, into sink: inout Sink) -> Bool {
        // As many slots as edges (the points), up to `maximumSlots`, a power of two.
        let edgesAtMost = min(points.count / 2, Self.maximumSlots)
        var levels = 2
        while levels < edgesAtMost { levels <<= 1 }
        guard rows * levels <= Self.slotLimit else { return false }
        if slotCounts.count < rows { slotCounts.append(contentsOf: repeatElement(0, count: rows - slotCounts.count)) }
        if slots.count < rows * levels { slots.append(contentsOf: repeatElement(0, count: rows * levels - slots.count)) }
        if crossings.count < levels { crossings.append(contentsOf: repeatElement(0, count: levels - crossings.count)) }
        var counts = self.slotCounts, slots = self.slots, sorting = self.crossings
        self.slotCounts = []; self.slots = []; self.crossings = []
        defer { self.slotCounts = counts; self.slots = slots; self.crossings = sorting }
        return counts.withUnsafeMutableBufferPointer { counts in
            slots.withUnsafeMutableBufferPointer { slots in
                sorting.withUnsafeMutableBufferPointer { sorting in
                    let counts = counts.baseAddress!, slots = slots.baseAddress!
                    var seen = 0
                    var start = 0
                    for end in ends {
                        Self.addSlottedEdges(points, start, end, low: low, rows: rows, mask: levels - 1,
                                             counts: counts, slots: slots, seen: &seen)
                        start = end
                    }
                    guard seen & ~(levels - 1) == 0 else {
                        // A row past its slots: the counts back to zero.
                        counts.update(repeating: 0, count: rows)
                        return false
                    }
                    Self.fillSlots(counts: counts, slots: slots, rows: rows, low: low, sorting: sorting, into: &sink)
                    return true
                }
            }
        }
    }

    /// Places the crossings of the edges of the contour `points[start..<end]` that span rows
    /// into their rows' slots: slot `counts[row] & mask`, then the count goes up. `seen` gets
    /// every count found or-ed in (a bit above `mask`: a row past its slots).
    @inline(__always)
    private static func addSlottedEdges(_ points: UnsafeBufferPointer<Int64>, _ start: Int, _ end: Int, low: Int64,
                                        rows: Int, mask: Int, counts: UnsafeMutablePointer<UInt8>,
                                        slots: UnsafeMutablePointer<Int64>, seen: inout Int) {
        var found = 0
        forEachEdgeSpanningRows(points, start, end) { topX, topY, bottomY, dx in
            // x at the upper end, then stepped by the truncated slope (as `Edge`).
            var row = Int(topY &- low)
            let last = Int(bottomY &- low)
            var crossing = topX << shift
            repeat {
                let placed = Int(counts[row])
                found |= placed
                slots[(placed & mask) &* rows &+ row] = crossing
                counts[row] = UInt8(truncatingIfNeeded: placed &+ 1)
                crossing &+= dx
                row &+= 1
            } while row < last
        }
        seen |= found
    }

    /// Fills each row between pairs of its crossings sorted by x, and sets its count back to zero.
    /// Crossings inside the image give pixels inside it: no clipping.
    private static func fillSlots<Sink: PixelRunSink>(counts: UnsafeMutablePointer<UInt8>, slots: UnsafeMutablePointer<Int64>,
                                                      rows: Int, low: Int64, sorting: UnsafeMutableBufferPointer<Int64>,
                                                      into sink: inout Sink) {
        let top = Int(low)
        for row in 0..<rows {
            let count = Int(counts[row])
            guard count != 0 else { continue }
            counts[row] = 0
            if count == 2 {
                // Two crossings (most rows): one pair.
                let (a, b) = (slots[row], slots[rows &+ row])
                fillInsidePair(min(a, b), max(a, b), y: top &+ row, into: &sink)
                continue
            }
            for slot in 0..<count { sorting[slot] = slots[slot &* rows &+ row] }
            insertionSort(sorting, 0, count)
            var pair = 0
            while pair + 1 < count {
                fillInsidePair(sorting[pair], sorting[pair + 1], y: top &+ row, into: &sink)
                pair += 2
            }
        }
    }

    /// Fills row `y` from the first pixel at or right of `left` to the last at or left of
    /// `right` (crossings in fixed point, inside the image).
    @inline(__always)
    private static func fillInsidePair<Sink: PixelRunSink>(_ left: Int64, _ right: Int64, y: Int, into sink: inout Sink) {
        let x1 = Int((left &+ one &- 1) >> shift)
        let x2 = Int(right >> shift)
        if x1 <= x2 { sink.run(y: y, from: x1, through: x2) }
    }
}
