/// The fast form of the slice join, for slices whose canvas fits the slice buffer: each pixel
/// holds the number of the set of objects covering it (0 for none), sets interned per slice,
/// with the pixel count of each set kept up to date as annotations are painted (stretch by
/// stretch of pixels of one set). At the end of the slice each set's pixels count for each of
/// its objects, each pair of them, and likewise for their categories: the same counts as
/// `SliceSweep`, in time that follows the pixels painted rather than sorting runs.
struct SliceCanvas {
    let width: Int, height: Int
    private let cells: CanvasCells
    private var state: CanvasState
    private var categories: [Int32] = []

    /// Bytes a canvas of this size takes.
    static func bytes(width: Int, height: Int) -> Int { width * height * 4 + height * 8 }

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        cells = CanvasCells(count: width * height)
        state = CanvasState(height: height)
    }

    /// Paints the contours `points` (integer `x, y` pairs, `ends` where each contour ends),
    /// filled together, as pixels of `object`.
    mutating func paint(object: Int32, points: UnsafeBufferPointer<Int64>, ends: UnsafeBufferPointer<Int>,
                        scanner: inout ContourScanner) {
        let (width, height, cells) = (self.width, self.height, self.cells.base)
        let sink = withUnsafeMutablePointer(to: &state.sets) { sets in
            var sink = CanvasSink(cells: cells, width: width, object: object, sets: sets)
            scanner.fillTogether(points: points, ends: ends, width: width, height: height, into: &sink)
            return sink
        }
        guard sink.top <= sink.bottom else { return }
        // The rows touched, and the columns of the annotation's pixels on them, to clear.
        state.top = min(state.top, sink.top)
        state.bottom = max(state.bottom, sink.bottom)
        let (left, right) = (Int32(sink.left), Int32(sink.right))
        state.rowLow.withUnsafeMutableBufferPointer { low in
            state.rowHigh.withUnsafeMutableBufferPointer { high in
                for y in sink.top...sink.bottom {
                    if left < low[y] { low[y] = left }
                    if right > high[y] { high[y] = right }
                }
            }
        }
    }

    /// Adds the slice's counts to `sweep` (areas and pairs, objects and categories) and clears the canvas.
    mutating func finish(into sweep: inout SliceSweep) {
        let sets = state.sets
        for set in 1..<sets.members.count where sets.slots[set].count > 0 {
            let pixels = sets.slots[set].count, objects = sets.members[set]
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
            let cells = self.cells.base
            for y in state.top...state.bottom where state.rowLow[y] <= state.rowHigh[y] {
                let start = y * width + Int(state.rowLow[y])
                (cells + start).update(repeating: 0, count: Int(state.rowHigh[y] - state.rowLow[y]) + 1)
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
    /// Set number -> its objects (sorted); set 0 is the empty set.
    var members: [[Int32]] = [[]]
    var numbers: [[Int32]: UInt32] = [[]: 0]
    /// Per set number, its pixels and its last transition (in `storage`, moved when it grows).
    private(set) var slots: UnsafeMutablePointer<SetSlot>
    private let storage = SetSlotStorage()

    init() {
        slots = storage.base
        slots[0] = SetSlot()
    }

    /// The set `set` plus `object`.
    @inline(__always)
    mutating func union(_ set: UInt32, _ object: Int32) -> UInt32 {
        if slots[Int(set)].lastObject == object { return slots[Int(set)].lastResult }
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
                if members.count > storage.capacity {
                    storage.grow(to: 2 * members.count)
                    slots = storage.base
                }
                slots[Int(result)] = SetSlot()
            }
        }
        slots[Int(set)].lastObject = object
        slots[Int(set)].lastResult = result
        return result
    }

    mutating func reset() {
        members.removeAll(keepingCapacity: true)
        members.append([])
        numbers.removeAll(keepingCapacity: true)
        numbers[[]] = 0
        slots[0] = SetSlot()
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

/// Paints runs on a canvas's pixels: each pixel's set becomes that set plus the object, stretch
/// by stretch of pixels of one set; keeps the rectangle of the runs given.
private struct CanvasSink: PixelRunSink {
    let cells: UnsafeMutablePointer<UInt32>
    let width: Int
    let object: Int32
    /// The canvas's sets, and their slots at hand (moved when the sets grow).
    let sets: UnsafeMutablePointer<CanvasSets>
    var slots: UnsafeMutablePointer<SetSlot>
    var top = Int.max, bottom = -1, left = Int.max, right = -1

    init(cells: UnsafeMutablePointer<UInt32>, width: Int, object: Int32, sets: UnsafeMutablePointer<CanvasSets>) {
        self.cells = cells
        self.width = width
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

    @inline(__always)
    mutating func run(y: Int, from x0: Int, through x1: Int) {
        if x0 < left { left = x0 }
        if x1 > right { right = x1 }
        if y < top { top = y }
        if y > bottom { bottom = y }
        let row = y * width
        var x = row + x0
        let end = row + x1
        if x == end {
            // One pixel (most runs of a boundary).
            let set = cells[x]
            let next = union(set)
            if next != set {
                cells[x] = next
                slots[Int(set)].count -= 1
                slots[Int(next)].count += 1
            }
            return
        }
        while x <= end {
            let set = cells[x]
            var stretch = x + 1
            // Four cells at a time while they all hold the set, then one by one.
            let four = SIMD4<UInt32>(repeating: set)
            while stretch + 3 <= end && UnsafeRawPointer(cells + stretch).loadUnaligned(as: SIMD4<UInt32>.self) == four { stretch += 4 }
            while stretch <= end && cells[stretch] == set { stretch += 1 }
            let next = union(set)
            if next != set {
                (cells + x).update(repeating: next, count: stretch - x)
                slots[Int(set)].count -= stretch - x
                slots[Int(next)].count += stretch - x
            }
            x = stretch
        }
    }
}
