// How `SliceCanvas` paints a narrow annotation (all its points inside the image, at most 64
// columns wide): its runs become bits of one word per row (the union of boundary and fill runs
// in a few instructions a run, no canvas cell touched), then each stretch of set bits is painted
// on the canvas. An annotation whose box meets no other's on the slice so far is not painted at
// all but kept aside (deferred): painted when a later annotation's box meets it, else at the end
// of the slice its pixels (the bits set) count for the set of its object alone, which is what
// the canvas would have given (no other annotation shares a pixel with it).

/// Ors runs into one word a row: bit `x - left` of word `y - top` (runs within 64 columns of `left`).
struct RowMaskSink: PixelRunSink {
    let masks: UnsafeMutablePointer<UInt64>
    let top: Int, left: Int

    @inline(__always)
    mutating func run(y: Int, from x0: Int, through x1: Int) {
        masks[y &- top] |= (UInt64.max &>> UInt64(63 &- (x1 &- x0))) &<< UInt64(x0 &- left)
    }
}

/// The boxes of a slice's annotations so far (painted or deferred) and the deferred ones' row
/// masks; at most `limit` boxes are kept, past that every annotation is painted.
struct CanvasDeferral {
    struct Box {
        var left: Int, top: Int, right: Int, bottom: Int
        /// Where the deferred annotation's masks start in `pool` (-1: painted), and its object.
        var start: Int
        var object: Int32

        @inline(__always)
        func meets(_ other: Box) -> Bool {
            left <= other.right && other.left <= right && top <= other.bottom && other.top <= bottom
        }
    }

    static let limit = 64
    var boxes: [Box] = []
    var pool: [UInt64] = []
    var deferring = true

    mutating func reset() {
        boxes.removeAll(keepingCapacity: true)
        pool.removeAll(keepingCapacity: true)
        deferring = true
    }
}

extension SliceCanvas {
    /// Paints (or defers) a narrow annotation whose points are inside the image (see above).
    mutating func paintNarrow(object: Int32, points: UnsafeBufferPointer<Int64>, ends: UnsafeBufferPointer<Int>,
                              box: CanvasDeferral.Box, scanner: inout ContourScanner) {
        let rowCount = box.bottom - box.top + 1
        let start = deferral.pool.count
        deferral.pool.append(contentsOf: repeatElement(0, count: rowCount))
        let (width, height) = (self.width, self.height)
        deferral.pool.withUnsafeMutableBufferPointer { pool in
            var sink = RowMaskSink(masks: pool.baseAddress! + start, top: box.top, left: box.left)
            scanner.fillTogether(points: points, ends: ends, width: width, height: height,
                                 inside: (Int64(box.top), Int64(box.bottom)), into: &sink)
        }
        if !settle(box, painting: false) {
            var deferred = box
            deferred.start = start
            deferred.object = object
            deferral.boxes.append(deferred)
            return
        }
        paintMasks(object: object, start: start, box: box)
        deferral.pool.removeLast(rowCount)
    }

    /// Before an annotation of `box` is painted or deferred: paints the deferred annotations
    /// it meets; whether it is to be painted (`painting`, or it meets a box: then its box is
    /// recorded as painted) rather than deferred (its box recorded by the caller). Past
    /// `CanvasDeferral.limit` boxes, paints every deferred one and stops deferring.
    mutating func settle(_ box: CanvasDeferral.Box, painting: Bool) -> Bool {
        guard deferral.deferring else { return true }
        var meets = false
        for index in deferral.boxes.indices where deferral.boxes[index].meets(box) {
            meets = true
            let other = deferral.boxes[index]
            if other.start >= 0 {
                paintMasks(object: other.object, start: other.start, box: other)
                deferral.boxes[index].start = -1
            }
        }
        if deferral.boxes.count >= CanvasDeferral.limit {
            flushDeferred()
            deferral.deferring = false
            return true
        }
        if meets || painting {
            var painted = box
            painted.start = -1
            deferral.boxes.append(painted)
        }
        return meets || painting
    }

    /// Paints every deferred annotation.
    mutating func flushDeferred() {
        for index in deferral.boxes.indices where deferral.boxes[index].start >= 0 {
            let other = deferral.boxes[index]
            paintMasks(object: other.object, start: other.start, box: other)
            deferral.boxes[index].start = -1
        }
    }

    /// The deferred annotations' pixels counted for the sets of their objects alone (at the end of the slice).
    mutating func countDeferred() {
        deferral.pool.withUnsafeBufferPointer { pool in
            for box in deferral.boxes where box.start >= 0 {
                var pixels = 0
                for row in box.start..<(box.start + box.bottom - box.top + 1) { pixels += pool[row].nonzeroBitCount }
                let set = state.sets.union(0, box.object)
                state.sets.slots[Int(set)].count += pixels
            }
        }
    }

    /// Paints the masks at `pool[start...]` (rows of `box`) as pixels of `object`.
    private mutating func paintMasks(object: Int32, start: Int, box: CanvasDeferral.Box) {
        let (width, cells, rows) = (self.width, self.cells.base, self.rows)
        state.top = min(state.top, box.top)
        state.bottom = max(state.bottom, box.bottom)
        let left = box.left
        deferral.pool.withUnsafeBufferPointer { pool in
            withUnsafeMutablePointer(to: &state.sets) { sets in
                var painter = CanvasMarkPainter(cells: cells, object: object, sets: sets)
                for row in 0...(box.bottom - box.top) {
                    var bits = pool[start + row]
                    guard bits != 0 else { continue }
                    let y = box.top + row
                    let low = Int32(left + bits.trailingZeroBitCount), high = Int32(left + 63 - bits.leadingZeroBitCount)
                    if low < rows.low[y] { rows.low[y] = low }
                    if high > rows.high[y] { rows.high[y] = high }
                    let base = y * width + left
                    while bits != 0 {
                        let first = bits.trailingZeroBitCount
                        let count = (~(bits &>> UInt64(first))).trailingZeroBitCount
                        painter.paintStretch(from: base + first, count: count)
                        bits = first + count >= 64 ? 0 : bits & (UInt64.max &<< UInt64(first + count))
                    }
                }
            }
        }
    }
}

extension CanvasMarkPainter {
    /// Paints `cells[start..<start + count]` (set numbers, unmarked) as pixels of the object,
    /// stretch by stretch of one set.
    @inline(__always)
    mutating func paintStretch(from start: Int, count: Int) {
        var x = start
        let end = start + count
        while x < end {
            let set = cells[x]
            let next = union(set)
            var stretch = x + 1
            while stretch < end && cells[stretch] == set { stretch += 1 }
            if next != set {
                (cells + x).update(repeating: next, count: stretch - x)
                let pixels = stretch - x
                slots[Int(set)].count -= pixels
                slots[Int(next)].count += pixels
            }
            x = stretch
        }
    }
}
