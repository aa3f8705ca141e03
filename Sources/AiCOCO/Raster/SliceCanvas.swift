/// The fast form of the slice join, for slices whose canvas fits the slice buffer: each pixel
/// holds the number of the set of objects covering it (0 for none), sets interned per slice,
/// with the pixel count of each set kept up to date as annotations are painted (stretch by
/// stretch of pixels of one set). At the end of the slice each set's pixels count for each of
/// its objects, each pair of them, and likewise for their categories: the same counts as
/// `SliceSweep`, in time that follows the pixels painted rather than sorting runs.
struct SliceCanvas {
    let width: Int, height: Int
    let cells: CanvasCells
    let rows: CanvasRows
    var state = CanvasState()
    /// The slice's annotations' boxes and those kept aside (see `CanvasMasks`).
    var deferral = CanvasDeferral()
    private var categories: [Int32] = []

    /// Bytes a canvas of this size takes.
    static func bytes(width: Int, height: Int) -> Int { width * height * 4 + height * 16 }

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        cells = CanvasCells(count: width * height)
        rows = CanvasRows(height: height)
    }

    /// Paints the contours `points` (integer `x, y` pairs, `ends` where each contour ends, their
    /// y from `low` through `high`, their x from `left` through `right`), filled together, as
    /// pixels of `object`: marked, then painted row by row (see `CanvasMarking`).
    mutating func paint(object: Int32, points: UnsafeBufferPointer<Int64>, ends: UnsafeBufferPointer<Int>,
                        rows low: Int64, through high: Int64, columns left: Int64, through right: Int64,
                        scanner: inout ContourScanner) {
        let (width, height, cells, rows) = (self.width, self.height, self.cells.base, self.rows)
        if state.sets.count >= state.compactAt { state.compact(cells: cells, width: width, rows: rows) }
        let inside = low >= 0 && high < height && left >= 0 && right < width
        if inside {
            paintInside(object: object, points: points, ends: ends,
                        box: .init(left: Int(left), top: Int(low), right: Int(right), bottom: Int(high), start: -1, object: object),
                        scanner: &scanner)
            return
        }
        // Points outside the image: painted here, after the deferred annotations its box meets.
        leaveMaskCounting()
        _ = settle(.init(left: Int(max(left, 0)), top: Int(max(low, 0)), right: Int(min(right, Int64(width) - 1)),
                         bottom: Int(min(high, Int64(height) - 1)), start: -1, object: object), painting: true, keepingMask: false)
        var marks = CanvasMarkSink(cells: cells, width: width, low: rows.markLow, high: rows.markHigh)
        scanner.fillTogether(points: points, ends: ends, width: width, height: height, inside: inside ? (low, high) : nil, into: &marks)
        // The rows marked are among the points' rows inside the image.
        let (top, bottom) = (Int(max(low, 0)), Int(min(high, Int64(height) - 1)))
        guard top <= bottom else { return }
        state.top = min(state.top, top)
        state.bottom = max(state.bottom, bottom)
        withUnsafeMutablePointer(to: &state.sets) { sets in
            var painter = CanvasMarkPainter(cells: cells, object: object, sets: sets)
            for y in top...bottom {
                let low = rows.markLow[y], high = rows.markHigh[y]
                guard low <= high else { continue }
                rows.markLow[y] = Int32.max
                rows.markHigh[y] = -1
                // The columns to clear at the end of the slice.
                if low < rows.low[y] { rows.low[y] = low }
                if high > rows.high[y] { rows.high[y] = high }
                painter.paintMarked(from: y * width + Int(low), through: y * width + Int(high))
            }
        }
    }

    /// Adds the slice's counts to `sweep` (areas and pairs, objects and categories) and clears the canvas.
    mutating func finish(into sweep: inout SliceSweep) {
        if !(deferral.counting && countMasks(into: &sweep)) {
            leaveMaskCounting()
            countDeferred()
        }
        deferral.reset()
        // The sets borrowed, not copied: a copy alive at `reset` would make it copy them all.
        var categories = self.categories
        self.categories = []
        Self.add(state.sets, &categories, into: &sweep)
        self.categories = categories
        if state.top <= state.bottom {
            let width = self.width
            let cells = self.cells.base
            let rows = self.rows
            for y in state.top...state.bottom where rows.low[y] <= rows.high[y] {
                let start = y * width + Int(rows.low[y])
                (cells + start).update(repeating: 0, count: Int(rows.high[y] - rows.low[y]) + 1)
                rows.low[y] = Int32.max
                rows.high[y] = -1
            }
        }
        state.reset()
    }

    /// Each set's pixels for each of its objects and their categories, and each pair of them.
    private static func add(_ sets: borrowing CanvasSets, _ categories: inout [Int32], into sweep: inout SliceSweep) {
        sets.forEachCounted { objects, pixels in
            add(objects, pixels, to: &sweep.objects)
            categories.removeAll(keepingCapacity: true)
            for object in objects {
                for category in sweep.categoriesOfObject[Int(object)] where !categories.contains(category) { categories.append(category) }
            }
            if categories.count > 1 { categories.sort() }
            categories.withUnsafeBufferPointer { add($0, pixels, to: &sweep.categories) }
        }
    }

    /// `pixels` for each of `structures` (sorted, distinct) and each pair of them.
    private static func add(_ structures: UnsafeBufferPointer<Int32>, _ pixels: Int, to layer: inout LayerSweep) {
        for position in structures.indices {
            let structure = structures[position]
            if layer.area[Int(structure)] == 0 { layer.touched.append(structure) }
            layer.area[Int(structure)] += pixels
            for other in structures[(position + 1)...] {
                layer.addPair(UInt64(UInt32(structure)) << 32 | UInt64(UInt32(other)), pixels)
            }
        }
    }
}

/// What a canvas keeps besides its pixels and rows: the sets of objects, and the rows touched.
struct CanvasState {
    var sets = CanvasSets()
    var top = Int.max, bottom = -1
    /// How many sets make the canvas drop those no pixel holds any more (see `compact`).
    var compactAt = Self.leastCompaction
    static let leastCompaction = 1 << 15

    /// Forgets the sets (the rows are cleared by the canvas).
    mutating func reset() {
        (top, bottom) = (Int.max, -1)
        compactAt = Self.leastCompaction
        sets.reset()
    }

    /// Drops the sets no pixel holds (most, where many objects overlap: each annotation painted
    /// over others leaves sets behind), renumbering the others in the pixels of the rows
    /// touched, so that the sets follow the pixels rather than the annotations painted. Called
    /// between annotations (no pixel marked); next when the sets double.
    mutating func compact(cells: UnsafeMutablePointer<UInt32>, width: Int, rows: CanvasRows) {
        let numbers = sets.compact()
        if top <= bottom {
            for y in top...bottom where rows.low[y] <= rows.high[y] {
                let row = cells + y * width
                for x in Int(rows.low[y])...Int(rows.high[y]) { row[x] = numbers[Int(row[x])] }
            }
        }
        compactAt = max(Self.leastCompaction, 2 * sets.count)
    }
}

/// A set's pixels, and its last transition: plus object `lastObject` it is set `lastResult`.
struct SetSlot {
    var count = 0
    var lastObject: Int32 = -1
    var lastResult: UInt32 = 0
}

/// A canvas's pixels (a class, to free them).
final class CanvasCells {
    let base: UnsafeMutablePointer<UInt32>
    private let count: Int

    init(count: Int) {
        self.count = count
        base = .allocate(capacity: count)
        base.initialize(repeating: 0, count: count)
    }

    deinit { base.deallocate() }
}

/// Per row of a canvas, the columns touched on the slice (`low...high`, to clear them) and by
/// the annotation being painted (`markLow...markHigh`); `low > high` when none (a class, to free them).
final class CanvasRows {
    let low: UnsafeMutablePointer<Int32>, high: UnsafeMutablePointer<Int32>
    let markLow: UnsafeMutablePointer<Int32>, markHigh: UnsafeMutablePointer<Int32>

    init(height: Int) {
        low = .allocate(capacity: 4 * height)
        low.initialize(repeating: Int32.max, count: height)
        high = low + height
        high.initialize(repeating: -1, count: height)
        markLow = high + height
        markLow.initialize(repeating: Int32.max, count: height)
        markHigh = markLow + height
        markHigh.initialize(repeating: -1, count: height)
    }

    deinit { low.deallocate() }
}

/// The memory of a canvas's set slots (a class, to free it).
final class SetSlotStorage {
    private(set) var base: UnsafeMutablePointer<SetSlot>
    private(set) var capacity: Int

    init() {
        capacity = 64
        base = .allocate(capacity: capacity)
    }

    func grow(to newCapacity: Int) {
        let moved = UnsafeMutablePointer<SetSlot>.allocate(capacity: newCapacity)
        moved.moveInitialize(from: base, count: capacity)
        base.deallocate()
        base = moved
        capacity = newCapacity
    }

    deinit { base.deallocate() }
}
