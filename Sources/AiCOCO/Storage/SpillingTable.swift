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
    /// One file per merge level (nil: none yet, or given to the merge under way).
    final private var files: [TemporaryFile?] = []
    /// Set by `sorted()`: the records are being read and must stay where they are.
    final private(set) var reading = false
    /// Bumped each time the in-memory part is spilled.
    final private(set) var generation = 0
    /// Bytes written to temporary files so far (for reports of disk use).
    final private(set) var bytesSpilled = 0
    /// The merge under way on a thread of its own, if any.
    final private var merging: LevelMerge<Cursor>?

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
    /// Appends one record, as a run stores it, to `file` (a merge's output). A merge may run on a
    /// thread of its own (one at a time): this and `runCursor` must not touch what the table's
    /// other methods do.
    func write(_ item: Cursor.Item, to file: TemporaryFile) throws { fatalError("a subclass writes its records") }

    /// The write buffer of a run's file.
    static func writeBuffer(_ budget: MemoryBudget) -> Int { max(4096, min(64 << 10, budget.limit / 32)) }

    // MARK: Runs

    var spillableBytes: Int { reading ? 0 : memoryBytes }

    /// True when some records were written to disk.
    final var hasRuns: Bool { !runs.isEmpty || merging != nil }

    private func file(level: Int) throws -> TemporaryFile {
        while files.count <= level { files.append(nil) }
        if let file = files[level] { return file }
        let file = try TemporaryFile(bufferCapacity: writeBuffer)
        files[level] = file
        return file
    }

    /// Writes the records in memory as one sorted run and frees their memory; merges on a thread
    /// of its own when a level is full.
    func spill() throws { try spill(background: true) }

    private func spill(background: Bool) throws {
        precondition(!reading, "a table being read cannot spill")
        guard !memoryIsEmpty else {
            freeMemory()
            return
        }
        sortMemory()
        let output = try file(level: 0)
        let start = output.size
        try writeMemory(to: output)
        try output.finishWriting()
        bytesSpilled += output.size - start
        runs.append(Run(level: 0, start: start, length: output.size - start))
        generation += 1
        freeMemory()
        try mergeFullLevels(background: background)
    }

    private func runCount(_ level: Int) -> Int { runs.lazy.filter { $0.level == level }.count }

    /// When level 0 holds `fanIn` runs, merges them into one run of level 1, then that level's
    /// runs into one of level 2 when that fills it, and so on (the merges a table merging at once
    /// does, in the same order). When `background`, on a thread of its own while the table goes
    /// on filling, waited for at the next such merge, `sorted()` or `reset()`; its run takes the
    /// place in `runs` it would have had.
    private func mergeFullLevels(background: Bool) throws {
        if let merging, merging.isDone { try finishMerge() }
        guard runCount(0) >= fanIn else { return }
        try finishMerge()
        var top = 0
        while runCount(top + 1) + 1 >= fanIn { top += 1 }
        let steps = (0...top).map { level in
            LevelMerge<Cursor>.Step(runs: runs.filter { $0.level == level }.map { ($0.start, $0.length) }, file: files[level]!)
        }
        let output = try file(level: top + 1)
        runs.removeAll { $0.level <= top }
        for level in 0...top { files[level] = nil }
        let merge = LevelMerge(table: self, steps: steps, output: output, level: top + 1, place: runs.count)
        if background, merge.startThread() {
            merging = merge
        } else {
            merge.run()
            try collect(merge)
        }
    }

    /// Waits for the merge under way, if any, and takes its run.
    private func finishMerge() throws {
        guard let merge = merging else { return }
        merging = nil
        merge.wait()
        try collect(merge)
    }

    private func collect(_ merge: LevelMerge<Cursor>) throws {
        if let failure = merge.failure { throw failure }
        bytesSpilled += merge.bytesWritten
        runs.insert(Run(level: merge.level, start: merge.runStart, length: merge.runLength), at: merge.place)
    }

    private func cursors(of runs: [Run]) throws -> [Cursor] {
        try runs.map { try runCursor(files[$0.level]!, start: $0.start, length: $0.length) }
    }

    /// Merges every run of `level` into one run of the next level (on this thread).
    private func mergeLevel(_ level: Int) throws {
        let step = LevelMerge<Cursor>.Step(runs: runs.filter { $0.level == level }.map { ($0.start, $0.length) }, file: files[level]!)
        let output = try file(level: level + 1)
        runs.removeAll { $0.level == level }
        files[level] = nil
        let merge = LevelMerge(table: self, steps: [step], output: output, level: level + 1, place: runs.count)
        merge.run()
        try collect(merge)
    }

    /// Every record ever added, in order. The table must not be changed afterwards (except
    /// by `reset`); it may be read again, each call a new reading from the first record.
    func sorted() throws -> KWayMerge<Cursor> {
        if reading { return KWayMerge(cursors: runs.isEmpty ? [memoryCursor()] : try cursors(of: runs)) }
        defer { reading = true }
        try finishMerge()
        if runs.isEmpty {
            sortMemory()
            return KWayMerge(cursors: [memoryCursor()])
        }
        try spill(background: false)
        while runs.count > fanIn {
            try mergeLevel(runs.map(\.level).min()!)
        }
        return KWayMerge(cursors: try cursors(of: runs))
    }

    /// Frees the memory and the files.
    func reset() {
        merging?.wait()
        merging = nil
        reading = false
        freeMemory()
        runs = []
        files = []
    }
}

/// Merges of a `SpillingTable`'s runs, level by level (`Step`s): each step's runs, and the run
/// the step before made (last), into one run of the next step's file (the last: `output`).
/// Done on the table's thread (`run()`) or on a thread of its own (`startThread()`, `wait()`):
/// it touches only its files, its cursors and the table's `runCursor` and `write(_:to:)` (and
/// the budget, which has a lock).
final class LevelMerge<Cursor: MergeCursor>: @unchecked Sendable {
    struct Step {
        var runs: [(start: Int, length: Int)]
        var file: TemporaryFile
    }

    /// Cleared when the merge ends (a table let go meanwhile then goes with it).
    private var table: SpillingTable<Cursor>?
    private let steps: [Step]
    private let output: TemporaryFile
    /// The level of the run made, and its place among the table's runs.
    let level: Int, place: Int
    private(set) var runStart = 0, runLength = 0, bytesWritten = 0
    private(set) var failure: Error?
    private let monitor = Monitor(conditions: 1)
    private var done = false

    init(table: SpillingTable<Cursor>, steps: [Step], output: TemporaryFile, level: Int, place: Int) {
        self.table = table
        self.steps = steps
        self.output = output
        self.level = level
        self.place = place
    }

    /// Runs the merge on a thread of its own; false when no thread could be started.
    func startThread() -> Bool {
        let started: Void? = try? startDetachedThread {
            self.run()
            self.monitor.withLock {
                self.done = true
                self.monitor.broadcast(0)
            }
        }
        return started != nil
    }

    /// Whether the merge started by `startThread()` has ended.
    var isDone: Bool { monitor.withLock { done } }

    /// Waits for the merge started by `startThread()` to end.
    func wait() {
        monitor.withLock { while !done { monitor.wait(0) } }
    }

    // Specialized for the cursors there are: generic, every record of a merge would look up its
    // cursor's type and witnesses at run time (most of a merge thread's time on `measure`'s spill).
    @_specialize(where Cursor == RecordCursor)
    @_specialize(where Cursor == PackedCursor)
    func run() {
        defer { table = nil }
        guard let table else { return }
        do {
            var carried: (start: Int, length: Int)?
            for (index, step) in steps.enumerated() {
                let target = index + 1 < steps.count ? steps[index + 1].file : output
                var cursors = try step.runs.map { try table.runCursor(step.file, start: $0.start, length: $0.length) }
                if let carried { cursors.append(try table.runCursor(step.file, start: carried.start, length: carried.length)) }
                let start = target.size
                let merge = KWayMerge(cursors: cursors)
                while !merge.atEnd {
                    try table.write(merge.current, to: target)
                    try merge.advance()
                }
                try target.finishWriting()
                bytesWritten += target.size - start
                carried = (start, target.size - start)
            }
            (runStart, runLength) = carried!
        } catch {
            failure = error
        }
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
