// The spilling table of ids held as two words, in fixed-width entries: the reference
// checker's tables for the ids `RecordID` packs.

/// An entry of a `PackedTable`: an id's two words, an ordinal and a count.
struct PackedEntry: Comparable {
    var high: UInt64
    var low: UInt64
    var ordinal: UInt64
    var count: UInt64

    static func < (a: PackedEntry, b: PackedEntry) -> Bool {
        if a.high != b.high { return a.high < b.high }
        if a.low != b.low { return a.low < b.low }
        return a.ordinal < b.ordinal
    }

    @inline(__always)
    func sameID(_ other: PackedEntry) -> Bool { high == other.high && low == other.low }

    /// Whether this id comes before `other`'s (ordinals aside).
    @inline(__always)
    func idPrecedes(_ other: PackedEntry) -> Bool { high != other.high ? high < other.high : low < other.low }
}

/// Entries of an id's two words (`RecordID.packedWords`), an ordinal (where its place is in a
/// `PlaceLog`) and a count. In memory they sit in one array with, when `indexed`, an
/// open-addressing index to find an id and update its count in place. Past the budget they
/// spill as a `SpillingTable` does, as runs of fixed-width records; `sorted()` gives every
/// entry ever added, by id then ordinal. Ids are compared as integers: no hashing of bytes,
/// no varints.
final class PackedTable: SpillingTable<PackedCursor> {
    static let fanIn = 16
    typealias Entry = PackedEntry
    typealias Stream = KWayMerge<PackedCursor>

    private let indexed: Bool
    private let weight: Int
    override var spillWeight: Int { weight }
    private var entries: UnsafeMutablePointer<Entry>?
    private var capacity = 0
    private(set) var count = 0
    private let maxCapacity: Int
    /// Open addressing: entry index + 1, or 0.
    private var slots: UnsafeMutablePointer<UInt32>?
    private var slotCount = 0
    private var added = 0

    /// `indexed` tables answer `find`; `spillWeight` says how much sooner than others the
    /// budget spills this one (see `Spillable`).
    init(budget: MemoryBudget, indexed: Bool, spillWeight: Int) {
        self.indexed = indexed
        weight = spillWeight
        maxCapacity = max(64, budget.limit / (indexed ? 2 : 4) / MemoryLayout<Entry>.stride)
        super.init(budget: budget, fanIn: Self.fanIn)
    }

    deinit { freeMemory() }

    /// True when nothing was added since the last `reset`.
    var isEmpty: Bool { added == 0 }
    override var memoryBytes: Int { capacity * MemoryLayout<Entry>.stride + slotCount * 4 }
    override var memoryIsEmpty: Bool { count == 0 }

    /// The index of the entry in memory for this id, if any (indexed tables only).
    @inline(__always)
    func find(high: UInt64, low: UInt64) -> Int? {
        guard let slots, let entries else { return nil }
        let mask = slotCount - 1
        var slot = packedIDHash(high: high, low: low) & mask
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { return nil }
            if entries[entry - 1].high == high && entries[entry - 1].low == low { return entry - 1 }
            slot = (slot + 1) & mask
        }
    }

    /// Adds `amount` to the count of the entry at `index` (as `find` gave it).
    func addCount(_ amount: UInt64, at index: Int) {
        entries![index].count += amount
    }

    func add(high: UInt64, low: UInt64, ordinal: Int, count entryCount: UInt64 = 0) throws {
        if count == capacity || (indexed && (count + 1) * 2 > slotCount) { try makeRoom() }
        entries![count] = Entry(high: high, low: low, ordinal: UInt64(ordinal), count: entryCount)
        if indexed { insertSlot(count) }
        count += 1
        added += 1
    }

    private func insertSlot(_ index: Int) {
        let mask = slotCount - 1
        var slot = packedIDHash(high: entries![index].high, low: entries![index].low) & mask
        while slots![slot] != 0 { slot = (slot + 1) & mask }
        slots![slot] = UInt32(index + 1)
    }

    private func makeRoom() throws {
        while count == capacity || (indexed && (count + 1) * 2 > slotCount) {
            if count == capacity && capacity >= maxCapacity {
                try spill()
                continue
            }
            let grown = count == capacity ? min(max(256, 2 * capacity), maxCapacity) : capacity
            let grownSlots = indexed && (count + 1) * 2 > slotCount ? max(512, 2 * slotCount) : slotCount
            let extra = (grown - capacity) * MemoryLayout<Entry>.stride + (grownSlots - slotCount) * 4
            let before = generation
            try budget.reserve(extra)
            if generation != before {
                // This table was spilled to make room: start over from an empty one.
                budget.release(extra)
                continue
            }
            if grown != capacity { (entries, capacity) = (regrow(entries, count: count, to: grown), grown) }
            if grownSlots != slotCount {
                (slots, slotCount) = (emptySlots(replacing: slots, count: grownSlots), grownSlots)
                for index in 0..<count { insertSlot(index) }
            }
        }
    }

    override func freeMemory() {
        entries?.deallocate()
        entries = nil
        slots?.deallocate()
        slots = nil
        budget.release(capacity * MemoryLayout<Entry>.stride + slotCount * 4)
        capacity = 0
        slotCount = 0
        count = 0
    }

    // MARK: Runs

    override func sortMemory() { Self.sort(entries, count) }

    override func writeMemory(to file: TemporaryFile) throws {
        try file.write(UnsafeRawBufferPointer(start: entries, count: count * MemoryLayout<Entry>.stride))
    }

    override func memoryCursor() -> PackedCursor { PackedCursor(memory: entries, count: count) }

    override func runCursor(_ file: TemporaryFile, start: Int, length: Int) throws -> PackedCursor {
        try PackedCursor(file: file, start: start, count: length / MemoryLayout<Entry>.stride, budget: budget)
    }

    override func write(_ item: Entry, to file: TemporaryFile) throws {
        var entry = item
        try withUnsafeBytes(of: &entry) { try file.write($0) }
    }

    /// Entries per read buffer of a run (up to `fanIn` of them open at once).
    static func bufferEntries(_ budget: MemoryBudget) -> Int {
        max(64, min(64 << 10, budget.limit / (8 * (fanIn + 1))) / MemoryLayout<Entry>.stride)
    }

    /// Sorts `count` entries in place (no scratch memory; entries never tie, their ordinals
    /// differ): quicksort on the median of three, insertion sort for short ranges, the
    /// smaller side first so that the stack stays logarithmic.
    private static func sort(_ entries: UnsafeMutablePointer<Entry>?, _ count: Int) {
        guard let entries, count > 1 else { return }
        @inline(__always) func exchange(_ a: Int, _ b: Int) {
            let entry = entries[a]
            entries[a] = entries[b]
            entries[b] = entry
        }
        var low = 0, high = count - 1
        var stack: [(Int, Int)] = []
        while true {
            if high - low < 16 {
                if low < high {
                    for index in (low + 1)...high {
                        let entry = entries[index]
                        var position = index
                        while position > low && entry < entries[position - 1] {
                            entries[position] = entries[position - 1]
                            position -= 1
                        }
                        entries[position] = entry
                    }
                }
                guard let next = stack.popLast() else { return }
                (low, high) = next
                continue
            }
            let middle = low + (high - low) / 2
            if entries[middle] < entries[low] { exchange(middle, low) }
            if entries[high] < entries[low] { exchange(high, low) }
            if entries[high] < entries[middle] { exchange(high, middle) }
            let pivot = entries[middle]
            var left = low, right = high
            while left <= right {
                while entries[left] < pivot { left += 1 }
                while pivot < entries[right] { right -= 1 }
                if left <= right {
                    exchange(left, right)
                    left += 1
                    right -= 1
                }
            }
            // [low, right] and [left, high] remain.
            if right - low < high - left {
                stack.append((left, high))
                high = right
            } else {
                stack.append((low, right))
                low = left
            }
        }
    }

    /// Frees the memory and the files.
    override func reset() {
        super.reset()
        added = 0
    }
}
