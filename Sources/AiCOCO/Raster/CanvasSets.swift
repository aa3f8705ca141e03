/// The sets of objects of a slice's canvas and their pixels. Each set's objects (sorted) lie
/// in one flat pool, so a new set allocates nothing of its own; a set is found again from its
/// objects by their pair (`low << 32 | high`) for two objects, by the objects for more, and
/// per object for one (a singleton is only ever reached from the empty set).
struct CanvasSets {
    /// Per set number, where its objects are in `pool`; set 0 is the empty set.
    private var spans: [SetSpan] = [SetSpan(start: 0, count: 0)]
    private var pool: [Int32] = []
    private var pairs: [UInt64: UInt32] = [:]
    private var larger: [[Int32]: UInt32] = [:]
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

    /// How many sets there are (the empty set included).
    var count: Int { spans.count }

    /// Each set that holds pixels (the empty set aside): its objects (sorted) and pixels.
    func forEachCounted(_ body: (UnsafeBufferPointer<Int32>, Int) -> Void) {
        pool.withUnsafeBufferPointer { pool in
            spans.withUnsafeBufferPointer { spans in
                for set in 1..<spans.count where slots[set].count > 0 {
                    let span = spans[set]
                    body(UnsafeBufferPointer(rebasing: pool[Int(span.start)..<Int(span.start + span.count)]), slots[set].count)
                }
            }
        }
    }

    /// The set `set` plus `object`.
    @inline(__always)
    mutating func union(_ set: UInt32, _ object: Int32) -> UInt32 {
        if slots[Int(set)].lastObject == object { return slots[Int(set)].lastResult }
        return newUnion(set, object)
    }

    @inline(never)
    private mutating func newUnion(_ set: UInt32, _ object: Int32) -> UInt32 {
        let result = set == 0 ? singleton(object) : added(object, to: Int(set))
        slots[Int(set)].lastObject = object
        slots[Int(set)].lastResult = result
        return result
    }

    /// The set of `object` alone.
    private mutating func singleton(_ object: Int32) -> UInt32 {
        if Int(object) < singletons.count, singletons[Int(object)] != 0 { return singletons[Int(object)] }
        pool.append(object)
        let result = newSet(count: 1)
        if Int(object) >= singletons.count { singletons.append(contentsOf: repeatElement(0, count: Int(object) + 1 - singletons.count)) }
        singletons[Int(object)] = result
        singletonObjects.append(object)
        return result
    }

    /// The set `set` (not empty) plus `object`.
    private mutating func added(_ object: Int32, to set: Int) -> UInt32 {
        let span = spans[set]
        let start = Int(span.start), count = Int(span.count)
        var insertAt = count
        for position in 0..<count {
            let member = pool[start + position]
            if member == object { return UInt32(set) }
            if member > object {
                insertAt = position
                break
            }
        }
        if count == 1 {
            let other = pool[start]
            let key = other < object ? Self.pairKey(other, object) : Self.pairKey(object, other)
            if let known = pairs[key] { return known }
            pool.append(min(other, object))
            pool.append(max(other, object))
            let result = newSet(count: 2)
            pairs[key] = result
            return result
        }
        var objects = Array(pool[start..<start + count])
        objects.insert(object, at: insertAt)
        if let known = larger[objects] { return known }
        pool.append(contentsOf: objects)
        let result = newSet(count: objects.count)
        larger[objects] = result
        return result
    }

    @inline(__always)
    private static func pairKey(_ low: Int32, _ high: Int32) -> UInt64 { UInt64(UInt32(low)) << 32 | UInt64(UInt32(high)) }

    /// A new set of the last `count` objects of `pool` (sorted), with no pixels yet; its number.
    private mutating func newSet(count: Int) -> UInt32 {
        precondition(spans.count < Int(canvasMark), "a slice's sets of objects outnumber 2^31")
        let result = UInt32(spans.count)
        spans.append(SetSpan(start: UInt32(pool.count - count), count: UInt32(count)))
        if spans.count > storage.capacity {
            storage.grow(to: 2 * spans.count)
            slots = storage.base
        }
        slots[Int(result)] = SetSlot()
        return result
    }

    /// Keeps the sets some pixel holds (their count above 0), renumbered in order; returns the
    /// new number of each old one (0 for those dropped). The transitions remembered are forgotten.
    mutating func compact() -> [UInt32] {
        var numbers = [UInt32](repeating: 0, count: spans.count)
        var keptPool: [Int32] = []
        var keptSpans = [SetSpan(start: 0, count: 0)]
        pairs.removeAll(keepingCapacity: true)
        larger.removeAll(keepingCapacity: true)
        for set in 1..<spans.count where slots[set].count > 0 {
            let kept = keptSpans.count
            numbers[set] = UInt32(kept)
            let span = spans[set]
            let objects = pool[Int(span.start)..<Int(span.start + span.count)]
            keptSpans.append(SetSpan(start: UInt32(keptPool.count), count: span.count))
            keptPool.append(contentsOf: objects)
            if objects.count == 2 {
                pairs[Self.pairKey(objects.first!, objects.last!)] = UInt32(kept)
            } else if objects.count > 2 {
                larger[Array(objects)] = UInt32(kept)
            }
            slots[kept] = SetSlot(count: slots[set].count)
        }
        pool = keptPool
        spans = keptSpans
        slots[0].lastObject = -1
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
        spans.removeAll(keepingCapacity: true)
        spans.append(SetSpan(start: 0, count: 0))
        pool.removeAll(keepingCapacity: true)
        // Cleared only when they hold sets (clearing walks their whole capacity).
        if !pairs.isEmpty { pairs.removeAll(keepingCapacity: true) }
        if !larger.isEmpty { larger.removeAll(keepingCapacity: true) }
        for object in singletonObjects { singletons[Int(object)] = 0 }
        singletonObjects.removeAll(keepingCapacity: true)
        slots[0] = SetSlot()
    }
}

/// Where a set's objects are in `CanvasSets`'s pool.
struct SetSpan {
    var start: UInt32
    var count: UInt32
}
