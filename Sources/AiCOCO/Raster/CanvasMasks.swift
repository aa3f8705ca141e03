// How `SliceCanvas` paints an annotation whose points are all inside the image: its runs
// become bits of a mask of its box, `stride` words a row (the union of boundary and fill runs in
// a few instructions a run, no canvas cell touched), then each stretch of set bits is painted on
// the canvas (words without bits skipped: time follows the pixels, not the box). An annotation
// whose pixels meet no other's on the slice so far (masks compared where boxes meet) is not
// painted at all but kept aside (deferred): painted when a later annotation's pixels meet it,
// else at the end of the slice its pixels (the bits set) count for the set of its object alone,
// which is what the canvas would have given (no other annotation shares a pixel with it).
// Until an annotation leaves the image or the masks pass their budget, none is painted: the
// slice is counted from the masks alone (see `CanvasMaskCounts`).

/// Ors runs into a mask of `stride` words a row: bit `x - left` of row `y - top` (runs within the box).
struct RowMaskSink: PixelRunSink {
    let masks: UnsafeMutablePointer<UInt64>
    let top: Int, left: Int, stride: Int

    @inline(__always)
    mutating func run(y: Int, from x0: Int, through x1: Int) {
        let row = masks + (y &- top) &* stride
        let b0 = x0 &- left, b1 = x1 &- left
        let w0 = b0 &>> 6, w1 = b1 &>> 6
        if w0 == w1 {
            row[w0] |= (UInt64.max &>> UInt64(63 &- (b1 &- b0))) &<< UInt64(b0 & 63)
            return
        }
        row[w0] |= UInt64.max &<< UInt64(b0 & 63)
        var word = w0 &+ 1
        while word < w1 {
            row[word] = UInt64.max
            word &+= 1
        }
        row[w1] |= UInt64.max &>> UInt64(63 &- (b1 & 63))
    }
}

/// `RowMaskSink` for masks of one word a row (boxes at most 64 columns wide: most annotations).
struct NarrowMaskSink: PixelRunSink {
    let masks: UnsafeMutablePointer<UInt64>
    let top: Int, left: Int

    @inline(__always)
    mutating func run(y: Int, from x0: Int, through x1: Int) {
        masks[y &- top] |= (UInt64.max &>> UInt64(63 &- (x1 &- x0))) &<< UInt64(x0 &- left)
    }
}

/// The boxes of a slice's annotations so far (painted or deferred) and their masks (those that
/// fit `keptWords`); at most `limit` boxes are kept, past that every annotation is painted.
struct CanvasDeferral {
    struct Box {
        var left: Int, top: Int, right: Int, bottom: Int
        /// Words of a mask row.
        var stride: Int { (right - left) / 64 + 1 }
        /// Words of the mask.
        var words: Int { (bottom - top + 1) * stride }
        /// Where the annotation's mask starts in `pool` (-1: none kept, its box stands for it), its
        /// object, and whether it is kept aside (not painted).
        var start: Int
        var object: Int32
        var deferred = false
        /// Bits set in its mask (-1: not counted yet; see `CanvasMaskCounts`).
        var pixels = -1

        @inline(__always)
        func meets(_ other: Box) -> Bool {
            left <= other.right && other.left <= right && top <= other.bottom && other.top <= bottom
        }
    }

    static let limit = 64
    /// Most words of masks kept for a canvas of `cells` pixels: a quarter of the canvas's bytes
    /// (32 KiB at least).
    static func keptWords(cells: Int) -> Int { max(4096, cells / 8) }
    var boxes: [Box] = []
    var pool = MaskPool()
    var deferring = true
    /// Whether the slice is still counted from masks alone (no annotation painted, see `CanvasMaskCounts`).
    var counting = true
    /// Room reused by `CanvasMaskCounts`.
    var entries: [UInt64] = [], objectLayer: [Box] = [], categoryLayer: [Box] = []
    var members: [Int32] = [], unions: [(index: Int, first: Int, count: Int)] = [], meets: [Bool] = []
    var roots: [Int32] = []

    mutating func reset() {
        boxes.removeAll(keepingCapacity: true)
        pool.removeAll()
        deferring = true
        counting = true
    }

    /// Whether the pixels of `a` and `b` meet (their boxes, when one has no mask): the walk of
    /// `sharedPixels`, stopped at the first row with a shared pixel.
    static func overlap(_ a: Box, _ b: Box, _ pool: UnsafePointer<UInt64>) -> Bool {
        guard a.meets(b) else { return false }
        guard a.start >= 0 && b.start >= 0 else { return true }
        return sharedPixels(a, b, pool, stoppingAtFirst: true) > 0
    }

    /// 64 bits of a mask row of `stride` words from bit `offset` (zeros past the row).
    @inline(__always)
    static func window(_ row: UnsafePointer<UInt64>, _ stride: Int, _ offset: Int) -> UInt64 {
        let word = offset &>> 6, shift = UInt64(offset & 63)
        let low = row[word] &>> shift
        guard shift != 0 && word + 1 < stride else { return low }
        return low | row[word + 1] &<< (64 - shift)
    }
}

extension SliceCanvas {
    /// Paints (or defers) an annotation whose points are inside the image (see above).
    mutating func paintInside(object: Int32, points: UnsafeBufferPointer<Int64>, ends: UnsafeBufferPointer<Int>,
                              box: CanvasDeferral.Box, scanner: inout ContourScanner) {
        let words = box.words
        let start = deferral.pool.appendZeroed(words)
        let (width, height) = (self.width, self.height)
        deferral.pool.withMutableWords { pool in
            let rows = (Int64(box.top), Int64(box.bottom))
            if box.stride == 1 {
                var sink = NarrowMaskSink(masks: pool + start, top: box.top, left: box.left)
                scanner.fillTogether(points: points, ends: ends, width: width, height: height, inside: rows, into: &sink)
            } else {
                var sink = RowMaskSink(masks: pool + start, top: box.top, left: box.left, stride: box.stride)
                scanner.fillTogether(points: points, ends: ends, width: width, height: height, inside: rows, into: &sink)
            }
        }
        var masked = box
        masked.start = start
        masked.object = object
        let kept = start + words <= CanvasDeferral.keptWords(cells: width * height)
        if deferral.counting {
            // Kept for counting from masks at the end of the slice, unless past what masks keep.
            if kept && deferral.boxes.count < CanvasDeferral.limit {
                masked.deferred = true
                deferral.boxes.append(masked)
                return
            }
            leaveMaskCounting()
        }
        if !settle(masked, painting: !kept, keepingMask: kept) { return }
        paintMasks(object: object, start: start, box: box)
        if !kept || !deferral.deferring { deferral.pool.removeLast(words) }
    }

    /// Before an annotation of `box` is painted or kept aside: paints the deferred annotations
    /// whose pixels meet its; records it (its mask if `keepingMask`, else its box only); whether
    /// it is to be painted (`painting`, or its pixels meet another's) rather than kept aside. Past
    /// `CanvasDeferral.limit` annotations, paints every deferred one and stops deferring.
    mutating func settle(_ box: CanvasDeferral.Box, painting: Bool, keepingMask: Bool) -> Bool {
        guard deferral.deferring else { return true }
        var meets = false
        let count = deferral.boxes.count
        for index in 0..<count where deferral.boxes[index].meets(box) {
            let other = deferral.boxes[index]
            guard deferral.pool.withWords({ CanvasDeferral.overlap(other, box, $0) }) else { continue }
            meets = true
            if other.deferred {
                paintMasks(object: other.object, start: other.start, box: other)
                deferral.boxes[index].deferred = false
            }
        }
        if count >= CanvasDeferral.limit {
            flushDeferred()
            deferral.deferring = false
            return true
        }
        var recorded = box
        recorded.deferred = !(meets || painting)
        if !keepingMask { recorded.start = -1 }
        deferral.boxes.append(recorded)
        return !recorded.deferred
    }

    /// Paints every deferred annotation.
    mutating func flushDeferred() {
        for index in deferral.boxes.indices where deferral.boxes[index].deferred {
            let other = deferral.boxes[index]
            paintMasks(object: other.object, start: other.start, box: other)
            deferral.boxes[index].deferred = false
        }
    }

    /// The deferred annotations' pixels counted for the sets of their objects alone (at the end of the slice).
    mutating func countDeferred() {
        deferral.pool.withWords { pool in
            for box in deferral.boxes where box.deferred {
                let pixels = CanvasDeferral.pixels(box, pool)
                let set = state.sets.union(0, box.object)
                state.sets.slots[Int(set)].count += pixels
            }
        }
    }

    /// Paints the masks at `pool[start...]` (rows of `box`) as pixels of `object`.
    mutating func paintMasks(object: Int32, start: Int, box: CanvasDeferral.Box) {
        let (width, cells, rows) = (self.width, self.cells.base, self.rows)
        state.top = min(state.top, box.top)
        state.bottom = max(state.bottom, box.bottom)
        let (left, stride) = (box.left, box.stride)
        deferral.pool.withWords { pool in
            withUnsafeMutablePointer(to: &state.sets) { sets in
                var painter = CanvasMarkPainter(cells: cells, object: object, sets: sets)
                var row = start
                for y in box.top...box.bottom {
                    defer { row += stride }
                    // The row's first and last pixel (to clear at the end of the slice).
                    var low = Int.max, high = -1
                    for word in 0..<stride {
                        var bits = pool[row + word]
                        guard bits != 0 else { continue }
                        let base = y * width + left + 64 * word
                        low = min(low, left + 64 * word + bits.trailingZeroBitCount)
                        high = left + 64 * word + 63 - bits.leadingZeroBitCount
                        while bits != 0 {
                            let first = bits.trailingZeroBitCount
                            let count = (~(bits &>> UInt64(first))).trailingZeroBitCount
                            painter.paintStretch(from: base + first, count: count)
                            bits = first + count >= 64 ? 0 : bits & (UInt64.max &<< UInt64(first + count))
                        }
                    }
                    guard low <= high else { continue }
                    if Int32(low) < rows.low[y] { rows.low[y] = Int32(low) }
                    if Int32(high) > rows.high[y] { rows.high[y] = Int32(high) }
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
        if count == 1 {
            // One pixel (a boundary pixel of its own, a dot).
            let set = cells[x]
            let next = union(set)
            if next != set {
                cells[x] = next
                slots[Int(set)].count -= 1
                slots[Int(next)].count += 1
            }
            return
        }
        while x < end {
            let set = cells[x]
            let next = union(set)
            cells[x] = next
            let stretch = replaceStretch(from: x + 1, upTo: end, holding: set, with: next)
            if next != set {
                let pixels = stretch - x
                slots[Int(set)].count -= pixels
                slots[Int(next)].count += pixels
            }
            x = stretch
        }
    }
}
