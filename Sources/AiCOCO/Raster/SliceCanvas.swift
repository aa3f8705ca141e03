/// The fast form of the slice join, for slices whose canvas fits the slice buffer: each pixel
/// holds the number of the set of objects covering it (0 for none), sets interned per slice,
/// with the pixel count of each set kept up to date as annotations are painted (stretch by
/// stretch of pixels of one set). At the end of the slice each set's pixels count for each of
/// its objects, each pair of them, and likewise for their categories: the same counts as
/// `SliceSweep`, in time that follows the pixels painted rather than sorting runs.
struct SliceCanvas {
    let width: Int, height: Int
    private let cells: CanvasCells
    private let rows: CanvasRows
    private var state = CanvasState()
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
        if state.sets.members.count >= state.compactAt { state.compact(cells: cells, width: width, rows: rows) }
        var marks = CanvasMarkSink(cells: cells, width: width, low: rows.markLow, high: rows.markHigh)
        let inside = low >= 0 && high < height && left >= 0 && right < width
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
        for set in 1..<sets.members.count where sets.slots[set].count > 0 {
            let pixels = sets.slots[set].count
            sets.members.withUnsafeBufferPointer { members in
                Self.add(members[set], pixels, to: &sweep.objects)
                categories.removeAll(keepingCapacity: true)
                for object in members[set] {
                    for category in sweep.categoriesOfObject[Int(object)] where !categories.contains(category) { categories.append(category) }
                }
            }
            categories.sort()
            Self.add(categories, pixels, to: &sweep.categories)
        }
    }

    /// `pixels` for each of `structures` (sorted, distinct) and each pair of them.
    private static func add(_ structures: [Int32], _ pixels: Int, to layer: inout LayerSweep) {
        for (position, structure) in structures.enumerated() {
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
        compactAt = max(Self.leastCompaction, 2 * sets.members.count)
    }
}

/// The sets of objects of a slice's canvas and their pixels.
struct CanvasSets {
    /// Set number -> its objects (sorted); set 0 is the empty set.
    var members: [[Int32]] = [[]]
    var numbers: [[Int32]: UInt32] = [[]: 0]
    /// Per object, the number of the set of it alone (0: none yet on the slice), and the objects that have one.
    private var singletons: [UInt32] = []
    private var singletonObjects: [Int32] = []
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
        // The empty set plus an object (each annotation's first pixels): its singleton at hand.
        if set == 0, Int(object) < singletons.count, singletons[Int(object)] != 0 {
            slots[0].lastObject = object
            slots[0].lastResult = singletons[Int(object)]
            return singletons[Int(object)]
        }
        let result: UInt32
        if set == 0 {
            // A singleton is only ever reached from the empty set: not interned in `numbers`.
            result = newSet([object])
            if Int(object) >= singletons.count { singletons.append(contentsOf: repeatElement(0, count: Int(object) + 1 - singletons.count)) }
            singletons[Int(object)] = result
            singletonObjects.append(object)
            slots[0].lastObject = object
            slots[0].lastResult = result
            return result
        }
        var objects = members[Int(set)]
        if objects.contains(object) {
            result = set
        } else {
            objects.insert(object, at: objects.firstIndex { $0 > object } ?? objects.count)
            if let known = numbers[objects] {
                result = known
            } else {
                result = newSet(objects)
                numbers[objects] = result
            }
        }
        slots[Int(set)].lastObject = object
        slots[Int(set)].lastResult = result
        return result
    }

    /// A new set of `objects` (sorted), with no pixels yet; its number.
    private mutating func newSet(_ objects: [Int32]) -> UInt32 {
        precondition(members.count < Int(canvasMark), "a slice's sets of objects outnumber 2^31")
        let result = UInt32(members.count)
        members.append(objects)
        if members.count > storage.capacity {
            storage.grow(to: 2 * members.count)
            slots = storage.base
        }
        slots[Int(result)] = SetSlot()
        return result
    }

    /// Keeps the sets some pixel holds (their count above 0), renumbered in order; returns the
    /// new number of each old one (0 for those dropped). The transitions remembered are forgotten.
    mutating func compact() -> [UInt32] {
        var numbers = [UInt32](repeating: 0, count: members.count)
        var kept = 1
        for set in 1..<members.count where slots[set].count > 0 {
            numbers[set] = UInt32(kept)
            members.swapAt(kept, set)
            slots[kept] = SetSlot(count: slots[set].count)
            kept += 1
        }
        members.removeLast(members.count - kept)
        slots[0].lastObject = -1
        self.numbers.removeAll(keepingCapacity: true)
        for set in 0..<kept where members[set].count != 1 { self.numbers[members[set]] = UInt32(set) }
        var singles = 0
        for object in singletonObjects {
            singletons[Int(object)] = numbers[Int(singletons[Int(object)])]
            if singletons[Int(object)] != 0 {
                singletonObjects[singles] = object
                singles += 1
            }
        }
        singletonObjects.removeLast(singletonObjects.count - singles)
        return numbers
    }

    mutating func reset() {
        members.removeAll(keepingCapacity: true)
        members.append([])
        // Cleared only when it holds sets of several objects (clearing walks its whole capacity).
        if numbers.count > 1 {
            numbers.removeAll(keepingCapacity: true)
            numbers[[]] = 0
        }
        for object in singletonObjects { singletons[Int(object)] = 0 }
        singletonObjects.removeAll(keepingCapacity: true)
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
