// Ids that only need a duplicate check, as fixed-width records sorted in memory and spilled
// as runs past the memory budget.

/// The ids of a section that nothing refers to (annotations), held as `AiID`'s two words:
/// checked only for duplicates, at the end. Each id is a 24-byte entry (its words and its
/// ordinal) sorted in memory and written as a run of fixed-width records past the budget;
/// runs are merged `fanIn` at a time. The place of each id (offset, line, column, record
/// index) goes, in order, to a log that is read back only for duplicates. No hashing, no
/// index, no varints: ids are compared as integers.
final class PackedIDRuns: Spillable {
    static let fanIn = 16

    struct Place {
        var offset: Int
        var line: Int
        var column: Int
        var record: Int
    }

    /// An id's words, then its ordinal: entries sort by id, then in the order they came.
    private struct Entry: Comparable {
        var high: UInt64
        var low: UInt64
        var ordinal: UInt64

        static func < (a: Entry, b: Entry) -> Bool {
            if a.high != b.high { return a.high < b.high }
            if a.low != b.low { return a.low < b.low }
            return a.ordinal < b.ordinal
        }
    }

    private struct Run {
        var level: Int
        var start: Int
        var count: Int
    }

    private let budget: MemoryBudget
    private var entries: UnsafeMutablePointer<Entry>?
    private var capacity = 0
    private var count = 0
    private let maxCapacity: Int
    private var generation = 0
    private var reading = false
    private var runs: [Run] = []
    /// One file per merge level: a level's runs are merged together, then its file emptied.
    private var files: [TemporaryFile] = []

    /// Places of the last `placeCount` ids, ordinals from `placesWritten` on; the earlier ones
    /// are in `placeFile`.
    private var places: UnsafeMutablePointer<Place>?
    private let placeCapacity: Int
    private var placeCount = 0
    private var placesWritten = 0
    private var placeFile: TemporaryFile?
    private(set) var total = 0

    init(budget: MemoryBudget) {
        self.budget = budget
        maxCapacity = max(64, budget.limit / 4 / MemoryLayout<Entry>.stride)
        placeCapacity = max(16, min(64 << 10, budget.limit / 16) / MemoryLayout<Place>.stride)
        budget.register(self)
    }

    deinit {
        freeEntries()
        if let places {
            places.deallocate()
            budget.release(placeCapacity * MemoryLayout<Place>.stride)
        }
    }

    var isEmpty: Bool { total == 0 }
    var spillableBytes: Int { reading ? 0 : capacity * MemoryLayout<Entry>.stride }
    /// Spilling this table costs little and frees room for the tables that answer lookups.
    var spillsFirst: Bool { true }

    /// Adds an id (`AiID.packedWords`) and its place.
    func add(high: UInt64, low: UInt64, place: Place) throws {
        if count == capacity { try makeRoom() }
        entries![count] = Entry(high: high, low: low, ordinal: UInt64(total))
        count += 1
        if placeCount == placeCapacity { try writePlaces() }
        if places == nil {
            places = UnsafeMutablePointer<Place>.allocate(capacity: placeCapacity)
            budget.force(placeCapacity * MemoryLayout<Place>.stride)
        }
        places![placeCount] = place
        placeCount += 1
        total += 1
    }

    private func makeRoom() throws {
        while count == capacity {
            if capacity >= maxCapacity {
                try spill()
                continue
            }
            let grown = capacity == 0 ? 256 : min(2 * capacity, maxCapacity)
            let extra = (grown - capacity) * MemoryLayout<Entry>.stride
            let before = generation
            try budget.reserve(extra)
            if generation != before {
                // This table was spilled to make room: start over from an empty one.
                budget.release(extra)
                continue
            }
            let new = UnsafeMutablePointer<Entry>.allocate(capacity: grown)
            if let entries {
                new.update(from: entries, count: count)
                entries.deallocate()
            }
            entries = new
            capacity = grown
        }
    }

    private func freeEntries() {
        entries?.deallocate()
        entries = nil
        budget.release(capacity * MemoryLayout<Entry>.stride)
        capacity = 0
        count = 0
    }

    private func writePlaces() throws {
        if placeFile == nil { placeFile = try TemporaryFile() }
        try placeFile!.write(UnsafeRawBufferPointer(start: places, count: placeCount * MemoryLayout<Place>.stride),
                             at: placesWritten * MemoryLayout<Place>.stride)
        placesWritten += placeCount
        placeCount = 0
    }

    /// The place of the id of `ordinal`.
    private func place(_ ordinal: Int) throws -> Place {
        if ordinal >= placesWritten { return places![ordinal - placesWritten] }
        var place = Place(offset: 0, line: 0, column: 0, record: 0)
        let read = try withUnsafeMutableBytes(of: &place) {
            try placeFile!.read(at: ordinal * MemoryLayout<Place>.stride, into: $0)
        }
        guard read == MemoryLayout<Place>.stride else { throw Self.cutShort(placeFile!) }
        return place
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
            freeEntries()
            return
        }
        var sorting = UnsafeMutableBufferPointer(start: entries, count: count)
        sorting.sort()
        let output = try file(level: 0)
        let start = output.size
        try output.write(UnsafeRawBufferPointer(start: entries, count: count * MemoryLayout<Entry>.stride), at: start)
        runs.append(Run(level: 0, start: start, count: count))
        generation += 1
        freeEntries()
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
        try merge(merging) { entry in
            buffer[filled] = entry
            filled += 1
            if filled == bufferCount {
                try output.write(UnsafeRawBufferPointer(start: buffer, count: filled * MemoryLayout<Entry>.stride),
                                 at: start + written * MemoryLayout<Entry>.stride)
                written += filled
                filled = 0
            }
        }
        try output.write(UnsafeRawBufferPointer(start: buffer, count: filled * MemoryLayout<Entry>.stride),
                         at: start + written * MemoryLayout<Entry>.stride)
        written += filled
        runs.removeAll { $0.level == level }
        runs.append(Run(level: level + 1, start: start, count: written))
        try files[level].truncate()
    }

    /// Entries per read or write buffer of a merge (up to `fanIn` + 1 at once).
    private static func bufferEntries(_ budget: MemoryBudget) -> Int {
        max(64, min(64 << 10, budget.limit / (4 * (fanIn + 1))) / MemoryLayout<Entry>.stride)
    }

    /// Calls `body` with every entry of `runs`, in order.
    private func merge(_ runs: [Run], _ body: (Entry) throws -> Void) throws {
        let readers = try runs.map { try RunReader(file: files[$0.level], start: $0.start, count: $0.count, budget: budget) }
        // A binary heap of reader indexes, smallest current entry on top.
        var heap = readers.indices.filter { !readers[$0].atEnd }
        func less(_ a: Int, _ b: Int) -> Bool { readers[a].current < readers[b].current }
        func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { return }
                var smallest = left
                if left + 1 < heap.count && less(heap[left + 1], heap[left]) { smallest = left + 1 }
                guard less(heap[smallest], heap[parent]) else { return }
                heap.swapAt(smallest, parent)
                parent = smallest
            }
        }
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
        while let top = heap.first {
            let reader = readers[top]
            try body(reader.current)
            try reader.advance()
            if reader.atEnd {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
            }
            if heap.count > 1 { siftDown(0) }
        }
    }

    /// Hands the place and words of every id but the first of each set of equal ids (each a
    /// duplicate, in no set order), then frees everything.
    func forEachDuplicate(_ body: (Place, _ high: UInt64, _ low: UInt64) throws -> Void) throws {
        defer { reset() }
        guard total > 0 else { return }
        var previous: Entry?
        func visit(_ entry: Entry) throws {
            if let previous, previous.high == entry.high, previous.low == entry.low {
                try body(try place(Int(entry.ordinal)), entry.high, entry.low)
            }
            previous = entry
        }
        if runs.isEmpty {
            var sorting = UnsafeMutableBufferPointer(start: entries, count: count)
            sorting.sort()
            reading = true
            for entry in sorting { try visit(entry) }
            return
        }
        try spill()
        reading = true
        while runs.count > Self.fanIn {
            try mergeLevel(runs.map(\.level).min()!)
        }
        try merge(runs, visit)
    }

    private func reset() {
        reading = false
        freeEntries()
        runs = []
        files = []
        placeFile = nil
        placeCount = 0
        placesWritten = 0
        total = 0
    }

    static func cutShort(_ file: TemporaryFile) -> AiCOCOError {
        .io("a temporary file in \(file.directory) (the temporary directory) was cut short; set TMPDIR to another directory")
    }

    /// One run of a file, read through a buffer.
    private final class RunReader {
        private let file: TemporaryFile
        private var position: Int
        private var left: Int
        private let buffer: UnsafeMutablePointer<Entry>
        private let capacity: Int
        private let budget: MemoryBudget
        private var filled = 0
        private var index = 0
        private(set) var atEnd = false
        private(set) var current = Entry(high: 0, low: 0, ordinal: 0)

        init(file: TemporaryFile, start: Int, count: Int, budget: MemoryBudget) throws {
            self.file = file
            position = start
            left = count
            self.budget = budget
            capacity = PackedIDRuns.bufferEntries(budget)
            buffer = UnsafeMutablePointer<Entry>.allocate(capacity: capacity)
            budget.force(capacity * MemoryLayout<Entry>.stride)
            try refill()
        }

        deinit {
            buffer.deallocate()
            budget.release(capacity * MemoryLayout<Entry>.stride)
        }

        private func refill() throws {
            let wanted = min(capacity, left)
            guard wanted > 0 else {
                atEnd = true
                return
            }
            let bytes = wanted * MemoryLayout<Entry>.stride
            let read = try file.read(at: position, into: UnsafeMutableRawBufferPointer(start: buffer, count: bytes))
            guard read == bytes else { throw PackedIDRuns.cutShort(file) }
            position += bytes
            left -= wanted
            filled = wanted
            index = 0
            current = buffer[0]
        }

        @inline(__always)
        func advance() throws {
            index += 1
            if index < filled {
                current = buffer[index]
            } else {
                try refill()
            }
        }
    }
}
