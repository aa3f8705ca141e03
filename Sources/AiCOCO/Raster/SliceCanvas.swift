/// The fast form of the slice join, for slices whose canvas fits the slice buffer: each pixel
/// holds the number of the set of objects covering it (0 for none), sets interned per slice,
/// with the pixel count of each set kept up to date as annotations are painted (stretch by
/// stretch of pixels of one set). At the end of the slice each set's pixels count for each of
/// its objects, each pair of them, and likewise for their categories: the same counts as
/// `SliceSweep`, in time that follows the pixels painted rather than sorting runs.
struct SliceCanvas {
    let width: Int, height: Int
    private var cells: [UInt32]
    private var state: CanvasState
    private var categories: [Int32] = []

    /// Bytes a canvas of this size takes.
    static func bytes(width: Int, height: Int) -> Int { width * height * 4 + height * 8 }

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        cells = [UInt32](repeating: 0, count: width * height)
        state = CanvasState(height: height)
    }

    /// Paints the contours `points` (integer `x, y` pairs, `ends` where each contour ends),
    /// filled together, as pixels of `object`.
    mutating func paint(object: Int32, points: UnsafeBufferPointer<Int64>, ends: UnsafeBufferPointer<Int>,
                        scanner: inout ContourScanner) {
        let (width, height) = (self.width, self.height)
        var state = self.state
        self.state = CanvasState(height: 0)
        defer { self.state = state }
        cells.withUnsafeMutableBufferPointer { cells in
            state.rowLow.withUnsafeMutableBufferPointer { low in
                state.rowHigh.withUnsafeMutableBufferPointer { high in
                    // The sets move into the sink and back (no copy: they stay unique).
                    var sink = CanvasSink(cells: cells, low: low, high: high, width: width, object: object, sets: CanvasSets.placeholder)
                    swap(&sink.sets, &state.sets)
                    scanner.fillTogether(points: points, ends: ends, width: width, height: height, into: &sink)
                    swap(&sink.sets, &state.sets)
                    state.top = min(state.top, sink.top)
                    state.bottom = max(state.bottom, sink.bottom)
                }
            }
        }
    }

    /// Adds the slice's counts to `sweep` (areas and pairs, objects and categories) and clears the canvas.
    mutating func finish(into sweep: inout SliceSweep) {
        let sets = state.sets
        for set in 1..<sets.members.count where sets.counts[set] > 0 {
            let pixels = sets.counts[set], objects = sets.members[set]
            Self.add(objects, pixels, to: &sweep.objects)
            categories.removeAll(keepingCapacity: true)
            for object in objects {
                for category in sweep.categoriesOfObject[Int(object)] where !categories.contains(category) { categories.append(category) }
            }
            categories.sort()
            Self.add(categories, pixels, to: &sweep.categories)
        }
        if state.top <= state.bottom {
            let width = self.width
            cells.withUnsafeMutableBufferPointer { cells in
                for y in state.top...state.bottom where state.rowLow[y] <= state.rowHigh[y] {
                    let row = y * width
                    UnsafeMutableBufferPointer(rebasing: cells[(row + Int(state.rowLow[y]))...(row + Int(state.rowHigh[y]))])
                        .update(repeating: 0)
                    state.rowLow[y] = Int32.max
                    state.rowHigh[y] = -1
                }
            }
        }
        state.reset()
    }

    /// `pixels` for each of `structures` (sorted, distinct) and each pair of them.
    private static func add(_ structures: [Int32], _ pixels: Int, to layer: inout LayerSweep) {
        for (position, structure) in structures.enumerated() {
            if layer.area[Int(structure)] == 0 { layer.touched.append(structure) }
            layer.area[Int(structure)] += pixels
            for other in structures[(position + 1)...] {
                layer.pairs[UInt64(UInt32(structure)) << 32 | UInt64(UInt32(other)), default: 0] += pixels
            }
        }
    }
}

/// What a canvas keeps besides its pixels: the sets of objects, and the columns touched per row.
struct CanvasState {
    var sets = CanvasSets()
    /// Per row, the columns touched (to clear them); `low > high` when none.
    var rowLow: [Int32], rowHigh: [Int32]
    var top = Int.max, bottom = -1

    init(height: Int) {
        rowLow = [Int32](repeating: Int32.max, count: height)
        rowHigh = [Int32](repeating: -1, count: height)
    }

    /// Forgets the sets (the rows are cleared by the canvas).
    mutating func reset() {
        (top, bottom) = (Int.max, -1)
        sets.reset()
    }
}

/// The sets of objects of a slice's canvas and their pixels.
struct CanvasSets {
    /// Stands in for a canvas's sets while they are in a sink.
    static let placeholder = CanvasSets()
    /// Set number -> its objects (sorted) and its pixels; set 0 is the empty set.
    var members: [[Int32]] = [[]]
    var counts: [Int] = [0]
    var numbers: [[Int32]: UInt32] = [[]: 0]
    /// Per set, its last transition: plus object `lastObject[set]` it is set `lastResult[set]`.
    var lastObject: [Int32] = [-1]
    var lastResult: [UInt32] = [0]

    /// The set `set` plus `object`.
    @inline(__always)
    mutating func union(_ set: UInt32, _ object: Int32) -> UInt32 {
        if lastObject[Int(set)] == object { return lastResult[Int(set)] }
        return newUnion(set, object)
    }

    @inline(never)
    private mutating func newUnion(_ set: UInt32, _ object: Int32) -> UInt32 {
        var objects = members[Int(set)]
        let result: UInt32
        if objects.contains(object) {
            result = set
        } else {
            objects.insert(object, at: objects.firstIndex { $0 > object } ?? objects.count)
            if let known = numbers[objects] {
                result = known
            } else {
                result = UInt32(members.count)
                numbers[objects] = result
                members.append(objects)
                counts.append(0)
                lastObject.append(-1)
                lastResult.append(0)
            }
        }
        lastObject[Int(set)] = object
        lastResult[Int(set)] = result
        return result
    }

    mutating func reset() {
        members.removeAll(keepingCapacity: true)
        members.append([])
        counts.removeAll(keepingCapacity: true)
        counts.append(0)
        numbers.removeAll(keepingCapacity: true)
        numbers[[]] = 0
        lastObject.removeAll(keepingCapacity: true)
        lastObject.append(-1)
        lastResult.removeAll(keepingCapacity: true)
        lastResult.append(0)
    }
}

/// Paints runs on a canvas's pixels: each pixel's set becomes that set plus the object, stretch
/// by stretch of pixels of one set; keeps each row's columns touched and the rows touched.
private struct CanvasSink: PixelRunSink {
    let cells: UnsafeMutableBufferPointer<UInt32>
    let low: UnsafeMutableBufferPointer<Int32>, high: UnsafeMutableBufferPointer<Int32>
    let width: Int
    let object: Int32
    var sets: CanvasSets
    var top = Int.max, bottom = -1

    @inline(__always)
    mutating func run(y: Int, from x0: Int, through x1: Int) {
        if Int32(x0) < low[y] { low[y] = Int32(x0) }
        if Int32(x1) > high[y] { high[y] = Int32(x1) }
        if y < top { top = y }
        if y > bottom { bottom = y }
        let row = y * width
        var x = row + x0
        let end = row + x1
        if x == end {
            // One pixel (most runs of a boundary).
            let set = cells[x]
            let next = sets.union(set, object)
            if next != set {
                cells[x] = next
                sets.counts[Int(set)] -= 1
                sets.counts[Int(next)] += 1
            }
            return
        }
        while x <= end {
            let set = cells[x]
            var stretch = x + 1
            while stretch <= end && cells[stretch] == set { stretch += 1 }
            let next = sets.union(set, object)
            if next != set {
                UnsafeMutableBufferPointer(rebasing: cells[x..<stretch]).update(repeating: next)
                sets.counts[Int(set)] -= stretch - x
                sets.counts[Int(next)] += stretch - x
            }
            x = stretch
        }
    }
}
