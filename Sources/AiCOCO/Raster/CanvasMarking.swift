// How `SliceCanvas` paints one annotation: its runs (boundary lines and fill rows, a pixel
// often given more than once) first only mark their pixels, with the high bit of the pixel's
// set number, and widen the annotation's extent of the row; then each row's extent is walked
// once, each stretch of marked pixels of one set becoming that set plus the object. So the sets
// and their counts are touched once per stretch of the annotation's pixels, not once per run.

/// The high bit of a canvas pixel: marked by the annotation being painted (set numbers stay below it).
let canvasMark: UInt32 = 1 << 31

/// Marks runs on a canvas's pixels and keeps, per row, the columns marked (`low...high`).
struct CanvasMarkSink: PixelRunSink {
    let cells: UnsafeMutablePointer<UInt32>
    let width: Int
    let low: UnsafeMutablePointer<Int32>, high: UnsafeMutablePointer<Int32>

    @inline(__always)
    mutating func run(y: Int, from x0: Int, through x1: Int) {
        if Int32(truncatingIfNeeded: x0) < low[y] { low[y] = Int32(truncatingIfNeeded: x0) }
        if Int32(truncatingIfNeeded: x1) > high[y] { high[y] = Int32(truncatingIfNeeded: x1) }
        let row = cells + y * width
        guard x0 != x1 else {
            // One pixel (most runs of a boundary).
            row[x0] |= canvasMark
            return
        }
        // Eight pixels at a time, the last eight ending at `x1` (marking a pixel twice leaves
        // it marked); runs of fewer than eight, four at a time likewise, or one by one.
        if x0 + 7 <= x1 {
            let marks = SIMD8<UInt32>(repeating: canvasMark)
            var x = x0
            while x + 7 < x1 {
                Self.mark(row + x, marks)
                x += 8
            }
            Self.mark(row + x1 - 7, marks)
        } else if x0 + 3 <= x1 {
            let marks = SIMD4<UInt32>(repeating: canvasMark)
            Self.mark(row + x0, marks)
            Self.mark(row + x1 - 3, marks)
        } else {
            row[x0] |= canvasMark
            row[x0 + 1] |= canvasMark
            row[x1] |= canvasMark
        }
    }

    @inline(__always)
    private static func mark<Lanes: SIMD>(_ cells: UnsafeMutablePointer<UInt32>, _ marks: Lanes) where Lanes.Scalar == UInt32 {
        let raw = UnsafeMutableRawPointer(cells)
        raw.storeBytes(of: raw.loadUnaligned(as: Lanes.self) | marks, as: Lanes.self)
    }
}

/// Turns the marked pixels of rows into the object's sets, stretch by stretch of one set, and
/// keeps each set's pixel count.
struct CanvasMarkPainter {
    let cells: UnsafeMutablePointer<UInt32>
    let object: Int32
    /// The canvas's sets, and their slots at hand (moved when the sets grow).
    let sets: UnsafeMutablePointer<CanvasSets>
    var slots: UnsafeMutablePointer<SetSlot>

    init(cells: UnsafeMutablePointer<UInt32>, object: Int32, sets: UnsafeMutablePointer<CanvasSets>) {
        self.cells = cells
        self.object = object
        self.sets = sets
        slots = sets.pointee.slots
    }

    @inline(__always)
    mutating func union(_ set: UInt32) -> UInt32 {
        if slots[Int(set)].lastObject == object { return slots[Int(set)].lastResult }
        let next = sets.pointee.union(set, object)
        slots = sets.pointee.slots
        return next
    }

    /// Paints the marked pixels of `cells[start...end]` (one row's) and clears their marks.
    @inline(__always)
    mutating func paintMarked(from start: Int, through end: Int) {
        var x = start
        while x <= end {
            let cell = cells[x]
            guard cell >= canvasMark else {
                x += 1
                continue
            }
            // The stretch of cells holding `cell` from `x`, given the set plus the object as
            // it is walked (eight cells at a time while they all hold it, then one by one).
            let set = cell & ~canvasMark
            let next = union(set)
            cells[x] = next
            let stretch = replaceStretch(from: x + 1, upTo: end + 1, holding: cell, with: next)
            if next != set {
                let count = stretch - x
                slots[Int(set)].count -= count
                slots[Int(next)].count += count
            }
            x = stretch
        }
    }
}

extension CanvasMarkPainter {
    /// Sets the cells from `start` (before `end`) that hold `cell`, up to the first that does
    /// not, to `next` (eight at a time while they all hold it, then one by one); returns where
    /// that stretch ends.
    @inline(__always)
    func replaceStretch(from start: Int, upTo end: Int, holding cell: UInt32, with next: UInt32) -> Int {
        let same = SIMD8<UInt32>(repeating: cell), nexts = SIMD8<UInt32>(repeating: next)
        var stretch = start
        while stretch + 8 <= end {
            let eight = UnsafeMutableRawPointer(cells + stretch)
            guard all(eight.loadUnaligned(as: SIMD8<UInt32>.self) .== same) else { break }
            eight.storeBytes(of: nexts, as: SIMD8<UInt32>.self)
            stretch += 8
        }
        while stretch < end && cells[stretch] == cell {
            cells[stretch] = next
            stretch += 1
        }
        return stretch
    }
}
