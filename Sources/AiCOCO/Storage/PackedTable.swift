// Ids held as two words, in fixed-width entries sorted in memory and spilled as runs past the
// memory budget: the reference checker's tables for the ids `AiID` packs.

/// Entries of an id's two words (`AiID.packedWords`), an ordinal (where its place is in a
/// `PlaceLog`) and a count. In memory they sit in one array with, when `indexed`, an
/// open-addressing index to find an id and update its count in place. Past the budget, the
/// array is sorted and written as a run of fixed-width records; runs are merged `fanIn` at a
/// time so that few stay open. `sorted()` gives every entry ever added, by id then ordinal.
/// Ids are compared as integers: no hashing of bytes, no varints.
final class PackedTable: Spillable {
    static let fanIn = 16

    struct Entry: Comparable {
        var high: UInt64
        var low: UInt64
        var ordinal: UInt64
        var count: UInt64

        static func < (a: Entry, b: Entry) -> Bool {
            if a.high != b.high { return a.high < b.high }
            if a.low != b.low { return a.low < b.low }
            return a.ordinal < b.ordinal
        }

        @inline(__always)
        func sameID(_ other: Entry) -> Bool { high == other.high && low == other.low }

        /// Whether this id comes before `other`'s (ordinals aside).
        @inline(__always)
        func idPrecedes(_ other: Entry) -> Bool { high != other.high ? high < other.high : low < other.low }
    }

    private struct Run {
        var level: Int
        var start: Int
        var count: Int
    }

    private let budget: MemoryBudget
    private let indexed: Bool
    let spillWeight: Int
    private var entries: UnsafeMutablePointer<Entry>?
    private var capacity = 0
    private(set) var count = 0
    private let maxCapacity: Int
    /// Open addressing: entry index + 1, or 0.
    private var slots: UnsafeMutablePointer<UInt32>?
    private var slotCount = 0
    private var generation = 0
    private var reading = false
    private var runs: [Run] = []
    /// One file per merge level: a level's runs are merged together, then its file emptied.
    private var files: [TemporaryFile] = []
    private var added = 0

    /// `indexed` tables answer `find`; `spillWeight` says how much sooner than others the
    /// budget spills this one (see `Spillable`).
    init(budget: MemoryBudget, indexed: Bool, spillWeight: Int) {
        self.budget = budget
        self.indexed = indexed
        self.spillWeight = spillWeight
        maxCapacity = max(64, budget.limit / (indexed ? 2 : 4) / MemoryLayout<Entry>.stride)
        budget.register(self)
    }

    deinit { freeMemory() }

    /// True when nothing was added since the last `reset`.
    var isEmpty: Bool { added == 0 }
    var spillableBytes: Int { reading ? 0 : capacity * MemoryLayout<Entry>.stride + slotCount * 4 }

    @inline(__always)
    private static func hash(_ high: UInt64, _ low: UInt64) -> Int {
        let mixed = (low ^ high &* 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: mixed ^ mixed >> 29)
    }

    /// The index of the entry in memory for this id, if any (indexed tables only).
    @inline(__always)
    func find(high: UInt64, low: UInt64) -> Int? {
        guard let slots, let entries else { return nil }
        let mask = slotCount - 1
        var slot = Self.hash(high, low) & mask
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
        var slot = Self.hash(entries![index].high, entries![index].low) & mask
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
            if grown != capacity {
                let new = UnsafeMutablePointer<Entry>.allocate(capacity: grown)
                if let entries {
                    new.update(from: entries, count: count)
                    entries.deallocate()
                }
                entries = new
                capacity = grown
            }
            if grownSlots != slotCount {
                slots?.deallocate()
                slots = UnsafeMutablePointer<UInt32>.allocate(capacity: grownSlots)
                slots!.initialize(repeating: 0, count: grownSlots)
                slotCount = grownSlots
                for index in 0..<count { insertSlot(index) }
            }
        }
    }

    private func freeMemory() {
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

    private func file(level: Int) throws -> TemporaryFile {
        while files.count <= level { files.append(try TemporaryFile()) }
        return files[level]
    }

    /// Writes the entries in memory as one sorted run and frees their memory.
    func spill() throws {
        precondition(!reading, "a table being read cannot spill")
        guard count > 0 else {
            freeMemory()
            return
        }
        Self.sort(entries, count)
        let output = try file(level: 0)
        let start = output.size
        try output.write(UnsafeRawBufferPointer(start: entries, count: count * MemoryLayout<Entry>.stride), at: start)
        runs.append(Run(level: 0, start: start, count: count))
        generation += 1
        freeMemory()
        var level = 0
        while runs.lazy.filter({ $0.level == level }).count >= Self.fanIn {
            try mergeLevel(level)
            level += 1
        }
    }

    /// Merges every run of `level` into one run of the next level, then empties its file.
    private func mergeLevel(_ level: Int) throws {
        let merging = runs.filter { $0.level == level }
        let output = try file(level: level + 1)
        let start = output.size
        let bufferCount = Self.bufferEntries(budget)
        let buffer = UnsafeMutablePointer<Entry>.allocate(capacity: bufferCount)
        budget.force(bufferCount * MemoryLayout<Entry>.stride)
        defer {
            buffer.deallocate()
            budget.release(bufferCount * MemoryLayout<Entry>.stride)
        }
        var filled = 0, written = 0
        func flush() throws {
            try output.write(UnsafeRawBufferPointer(start: buffer, count: filled * MemoryLayout<Entry>.stride),
                             at: start + written * MemoryLayout<Entry>.stride)
            written += filled
            filled = 0
        }
        let stream = try Stream(cursors: merging.map {
            try Cursor(file: files[$0.level], start: $0.start, count: $0.count, budget: budget)
        })
        while !stream.atEnd {
            buffer[filled] = stream.current
            filled += 1
            if filled == bufferCount { try flush() }
            try stream.advance()
        }
        try flush()
        runs.removeAll { $0.level == level }
        runs.append(Run(level: level + 1, start: start, count: written))
        try files[level].truncate()
    }

    /// Entries per read or write buffer of a merge (up to `fanIn` + 1 of them at once).
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

    /// Every entry ever added, by id then ordinal. The table must not be changed afterwards
    /// (except by `reset`).
    func sorted() throws -> Stream {
        defer { reading = true }
        if runs.isEmpty {
            Self.sort(entries, count)
            return try Stream(cursors: [Cursor(memory: entries, count: count)])
        }
        try spill()
        while runs.count > Self.fanIn {
            try mergeLevel(runs.map(\.level).min()!)
        }
        return try Stream(cursors: runs.map {
            try Cursor(file: files[$0.level], start: $0.start, count: $0.count, budget: budget)
        })
    }

    /// Frees the memory and the files.
    func reset() {
        reading = false
        freeMemory()
        runs = []
        files = []
        added = 0
    }
}
