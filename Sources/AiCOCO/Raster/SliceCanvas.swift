/// The fast form of the slice join, for slices whose canvas fits the slice buffer: each pixel
/// holds the number of the set of objects covering it (0 for none), sets interned per slice,
/// with the pixel count of each set kept up to date as annotations are painted. At the end of
/// the slice each set's pixels count for each of its objects, each pair of them, and likewise
/// for their categories: the same counts as `SliceSweep`, in time that follows the pixels
/// painted rather than sorting runs.
struct SliceCanvas {
    let width: Int, height: Int
    private var cells: [UInt32]
    private var state: CanvasState

    /// Bytes a canvas of this size takes.
    static func bytes(width: Int, height: Int) -> Int { width * height * 4 + height * 8 }

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        cells = [UInt32](repeating: 0, count: width * height)
        state = CanvasState(height: height)
    }

    /// Paints what `fill` scans into the sink it gets, as pixels of `object`.
    mutating func paint(object: Int32, _ fill: (inout CanvasSink) -> Void) {
        var state = CanvasState(height: 0)
        swap(&state, &self.state)
        let width = self.width
        cells.withUnsafeMutableBufferPointer { cells in
            var sink = CanvasSink(cells: cells, width: width, object: object, state: state)
            state = CanvasState(height: 0)
            fill(&sink)
            state = sink.state
        }
        swap(&state, &self.state)
    }

    /// Adds the slice's counts to `sweep` (areas and pairs, objects and categories) and clears the canvas.
    mutating func finish(into sweep: inout SliceSweep) {
        var categories: [Int32] = []
        for set in 1..<state.members.count where state.counts[set] > 0 {
            let pixels = state.counts[set], objects = state.members[set]
            Self.add(objects, pixels, to: &sweep.objects)
            categories.removeAll(keepingCapacity: true)
            for object in objects {
                for category in sweep.categoriesOfObject[Int(object)] where !categories.contains(category) { categories.append(category) }
            }
            categories.sort()
            Self.add(categories, pixels, to: &sweep.categories)
        }
        if state.top <= state.bottom {
            for y in state.top...state.bottom where state.rowLow[y] <= state.rowHigh[y] {
                let base = y * width
                cells.withUnsafeMutableBufferPointer { cells in
                    for index in (base + Int(state.rowLow[y]))...(base + Int(state.rowHigh[y])) { cells[index] = 0 }
                }
                state.rowLow[y] = Int32.max
                state.rowHigh[y] = -1
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

/// What a canvas keeps besides its pixels: the sets of objects and their pixel counts, and the
/// columns touched per row.
struct CanvasState {
    /// Set number -> its objects (sorted) and its pixels; set 0 is the empty set.
    var members: [[Int32]] = [[]]
    var counts: [Int] = [0]
    var numbers: [[Int32]: UInt32] = [[]: 0]
    /// Per set, its last transition: plus object `lastObject[set]` it is set `lastResult[set]`.
    var lastObject: [Int32] = [-1]
    var lastResult: [UInt32] = [0]
    /// Per row, the columns touched (to clear them); `low > high` when none.
    var rowLow: [Int32], rowHigh: [Int32]
    var top = Int.max, bottom = -1

    init(height: Int) {
        rowLow = [Int32](repeating: Int32.max, count: height)
        rowHigh = [Int32](repeating: -1, count: height)
    }

    /// The set `set` plus `object`.
    @inline(__always)
    mutating func union(_ set: UInt32, _ object: Int32) -> UInt32 {
        if lastObject[Int(set)] == object { return lastResult[Int(set)] }
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

    /// Forgets the sets (the rows are cleared by the canvas).
    mutating func reset() {
        (top, bottom) = (Int.max, -1)
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

/// Paints runs on a canvas's pixels: each pixel's set becomes that set plus the object.
struct CanvasSink: PixelRunSink {
    let cells: UnsafeMutableBufferPointer<UInt32>
    let width: Int
    let object: Int32
    var state: CanvasState

    mutating func run(y: Int, from x0: Int, through x1: Int) {
        if Int32(x0) < state.rowLow[y] { state.rowLow[y] = Int32(x0) }
        if Int32(x1) > state.rowHigh[y] { state.rowHigh[y] = Int32(x1) }
        if y < state.top { state.top = y }
        if y > state.bottom { state.bottom = y }
        let base = y * width
        var x = base + x0
        let end = base + x1
        while x <= end {
            let set = cells[x]
            var stretch = x + 1
            while stretch <= end && cells[stretch] == set { stretch += 1 }
            let next = state.union(set, object)
            if next != set {
                cells.baseAddress!.advanced(by: x).update(repeating: next, count: stretch - x)
                state.counts[Int(set)] -= stretch - x
                state.counts[Int(next)] += stretch - x
            }
            x = stretch
        }
    }
}
