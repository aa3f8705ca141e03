// The one spilling table: records kept in memory within a memory budget, written out as
// sorted runs past it, and read back in order by merging the runs (an external sort, as
// sort(1) does). Subclasses choose how records sit in memory and on disk.

/// A table of records that spills to temporary files. In memory, a subclass holds the records
/// in its own layout (`ExternalSorter`: byte keys and payloads; `PackedTable`: fixed-width
/// entries of two-word ids); when the budget asks, `spill()` sorts them and writes them as one
/// run. Runs sit in one file per merge level: `fanIn` runs of a level are merged into one of
/// the next, then that level's file is emptied, so that few runs stay open. `sorted()` gives
/// every record ever added, in order, through one `KWayMerge`.
class SpillingTable<Cursor: MergeCursor>: Spillable {
    /// A run: its merge level, and where it lies in that level's file.
    private struct Run {
        var level, start, length: Int
    }

    let budget: MemoryBudget
    /// How many runs are merged at a time.
    let fanIn: Int
    private let writeBuffer: Int
    final private var runs: [Run] = []
    /// One file per merge level.
    final private var files: [TemporaryFile] = []
    /// Set by `sorted()`: the records are being read and must stay where they are.
    final private(set) var reading = false
    /// Bumped each time the in-memory part is spilled.
    final private(set) var generation = 0
    /// Bytes written to temporary files so far (for reports of disk use).
    final private(set) var bytesSpilled = 0

    init(budget: MemoryBudget, fanIn: Int) {
        self.budget = budget
        self.fanIn = fanIn
        writeBuffer = Self.writeBuffer(budget)
        budget.register(self)
    }

    // MARK: What a subclass provides

    /// Bytes of memory the records in memory hold.
    var memoryBytes: Int { fatalError("a subclass gives memoryBytes") }
    /// Whether no record is in memory.
    var memoryIsEmpty: Bool { fatalError("a subclass gives memoryIsEmpty") }
    /// See `Spillable`.
    var spillWeight: Int { 1 }
    /// Sorts the records in memory.
    func sortMemory() { fatalError("a subclass sorts its memory") }
    /// Appends the sorted records in memory to `file` as one run.
    func writeMemory(to file: TemporaryFile) throws { fatalError("a subclass writes its memory") }
    /// Frees the records in memory (and gives their bytes back to the budget).
    func freeMemory() { fatalError("a subclass frees its memory") }
    /// A cursor over the sorted records in memory.
    func memoryCursor() -> Cursor { fatalError("a subclass reads its memory") }
    /// A cursor over the run of `length` bytes at `start` in `file`.
    func runCursor(_ file: TemporaryFile, start: Int, length: Int) throws -> Cursor { fatalError("a subclass reads its runs") }
    /// Appends one record, as a run stores it, to `file`.
    func write(_ item: Cursor.Item, to file: TemporaryFile) throws { fatalError("a subclass writes its records") }
    /// Writes out what a subclass holds of a run being written (before the run ends).
    func finishWrites() throws {}

    /// The write buffer of a run's file.
    static func writeBuffer(_ budget: MemoryBudget) -> Int { max(4096, min(64 << 10, budget.limit / 32)) }

    // MARK: Runs

    var spillableBytes: Int { reading ? 0 : memoryBytes }

    /// True when some records were written to disk.
    final var hasRuns: Bool { !runs.isEmpty }

    private func file(level: Int) throws -> TemporaryFile {
        while files.count <= level { files.append(try TemporaryFile(bufferCapacity: writeBuffer)) }
        return files[level]
    }

    /// Writes the records in memory as one sorted run and frees their memory.
    func spill() throws {
        precondition(!reading, "a table being read cannot spill")
        guard !memoryIsEmpty else {
            freeMemory()
            return
        }
        sortMemory()
        let output = try file(level: 0)
        let start = output.size
        try writeMemory(to: output)
        try finishRun(level: 0, in: output, from: start)
        generation += 1
        freeMemory()
        var level = 0
        while runs.lazy.filter({ $0.level == level }).count >= fanIn {
            try mergeLevel(level)
            level += 1
        }
    }

    private func finishRun(level: Int, in output: TemporaryFile, from start: Int) throws {
        try finishWrites()
        try output.finishWriting()
        bytesSpilled += output.size - start
        runs.append(Run(level: level, start: start, length: output.size - start))
    }

    private func cursors(of runs: [Run]) throws -> [Cursor] {
        try runs.map { try runCursor(files[$0.level], start: $0.start, length: $0.length) }
    }

    /// Merges every run of `level` into one run of the next level, then empties its file.
    private func mergeLevel(_ level: Int) throws {
        let output = try file(level: level + 1)
        let start = output.size
        let merge = KWayMerge(cursors: try cursors(of: runs.filter { $0.level == level }))
        while !merge.atEnd {
            try write(merge.current, to: output)
            try merge.advance()
        }
        runs.removeAll { $0.level == level }
        try finishRun(level: level + 1, in: output, from: start)
        try files[level].truncate()
    }

    /// Every record ever added, in order. The table must not be changed afterwards (except
    /// by `reset`); it may be read again, each call a new reading from the first record.
    func sorted() throws -> KWayMerge<Cursor> {
        if reading { return KWayMerge(cursors: runs.isEmpty ? [memoryCursor()] : try cursors(of: runs)) }
        defer { reading = true }
        if runs.isEmpty {
            sortMemory()
            return KWayMerge(cursors: [memoryCursor()])
        }
        try spill()
        while runs.count > fanIn {
            try mergeLevel(runs.map(\.level).min()!)
        }
        return KWayMerge(cursors: try cursors(of: runs))
    }

    /// Frees the memory and the files.
    func reset() {
        reading = false
        freeMemory()
        runs = []
        files = []
    }
}

/// New storage for `capacity` values holding the first `count` values of `old` (then freed).
/// (Returned, not `inout`: an `inout` of a table's property would make every access to it
/// checked at run time for exclusivity.)
func regrow<Value>(_ old: UnsafeMutablePointer<Value>?, count: Int, to capacity: Int) -> UnsafeMutablePointer<Value> {
    let grown = UnsafeMutablePointer<Value>.allocate(capacity: capacity)
    if let old {
        grown.moveInitialize(from: old, count: count)
        old.deallocate()
    }
    return grown
}

/// `count` free slots (0) of an open-addressing index, replacing `old` (freed).
func emptySlots(replacing old: UnsafeMutablePointer<UInt32>?, count: Int) -> UnsafeMutablePointer<UInt32> {
    old?.deallocate()
    let slots = UnsafeMutablePointer<UInt32>.allocate(capacity: count)
    slots.initialize(repeating: 0, count: count)
    return slots
}
