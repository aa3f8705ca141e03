// A table of byte records that stays within a memory budget by spilling sorted runs to a
// temporary file, read back in key order by merging them (an external sort, as sort(1) does).

/// Records of a key and a payload (both bytes). In memory they sit in fixed-size chunks
/// (growth never copies them) with, when `indexed`, an open-addressing index to find one by
/// key and update its payload in place. Past the budget, the in-memory records are sorted
/// and written as a run; runs are merged `fanIn` at a time so that few stay open.
/// `sorted()` gives every record ever added, in key order (equal keys: in no set order).
final class ExternalSorter: Spillable {
    static let fanIn = 8

    private let budget: MemoryBudget
    private let indexed: Bool
    private let chunkSize: Int
    private var chunks: [UnsafeMutableRawPointer] = []
    private var chunkUsed = 0
    private var chunkEnd = 0
    /// Per record in memory: its key's first 8 bytes as a big-endian number (zero-padded: it
    /// orders as the key does, up to ties) and its place, chunk index << 32 | offset in the chunk.
    private var handles: UnsafeMutablePointer<Handle>?
    private var handleCapacity = 0
    /// Open addressing: record ordinal + 1, or 0.
    private var slots: UnsafeMutablePointer<UInt32>?
    private var slotCount = 0
    private(set) var memoryInUse = 0
    /// Set by `sorted()`: the records are being read and must stay where they are.
    private var reading = false
    var spillableBytes: Int { reading ? 0 : memoryInUse }
    /// A table that is only added to (no index: no lookups) is spilled sooner.
    var spillWeight: Int { indexed ? 1 : 4 }
    /// Records in memory.
    private(set) var count = 0
    /// Bumped each time the in-memory part is spilled.
    private var generation = 0

    private struct Handle {
        var prefix: UInt64
        var place: UInt64
    }

    private struct Run {
        var level: Int
        var start: Int
        var length: Int
    }
    private var runs: [Run] = []
    /// One file per merge level: a level's runs are merged together, then its file emptied.
    private var files: [TemporaryFile] = []
    /// Bytes written to temporary files so far (for reports of disk use).
    private(set) var bytesSpilled = 0

    init(budget: MemoryBudget, indexed: Bool) {
        self.budget = budget
        self.indexed = indexed
        chunkSize = max(1024, min(64 << 10, budget.limit / 16))
        budget.register(self)
    }

    deinit { freeMemory() }

    /// True when nothing was ever added.
    var isEmpty: Bool { count == 0 && runs.isEmpty }

    // MARK: Records in memory

    @inline(__always)
    private func record(_ ordinal: Int) -> UnsafeMutableRawPointer {
        let handle = handles![ordinal].place
        return chunks[Int(handle >> 32)] + Int(handle & 0xffff_ffff)
    }

    /// The first 8 bytes of `key` as a big-endian number, zero-padded.
    @inline(__always)
    static func prefix(_ key: UnsafeRawBufferPointer) -> UInt64 {
        if key.count >= 8 { return UInt64(bigEndian: key.loadUnaligned(as: UInt64.self)) }
        var value: UInt64 = 0
        for index in 0..<8 { value = value << 8 | UInt64(index < key.count ? key[index] : 0) }
        return value
    }

    @inline(__always)
    static func key(_ record: UnsafeRawPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: record + 8, count: RawBytes.load32(record))
    }

    @inline(__always)
    static func payload(_ record: UnsafeMutableRawPointer) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: record + 8 + RawBytes.load32(record), count: RawBytes.load32(record + 4))
    }

    /// The payload of the record `ordinal` (as `find` or `append` gave it), to update in place.
    func payload(of ordinal: Int) -> UnsafeMutableRawBufferPointer {
        Self.payload(record(ordinal))
    }

    /// Adds a record; returns its ordinal among the records in memory.
    @discardableResult
    func append(key: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) throws -> Int {
        try append(key: key, payload: payload, hash: indexed ? RawBytes.hash(key) : 0)
    }

    /// `append` with the key's `RawBytes.hash` already computed (indexed tables use it).
    @discardableResult
    func append(key: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, hash: UInt64) throws -> Int {
        let size = 8 + key.count + payload.count
        try makeRoom(size)
        let chunk = chunks.count - 1
        let target = chunks[chunk] + chunkUsed
        RawBytes.store32(key.count, target)
        RawBytes.store32(payload.count, target + 4)
        if key.count > 0 { (target + 8).copyMemory(from: key.baseAddress!, byteCount: key.count) }
        if payload.count > 0 {
            (target + 8 + key.count).copyMemory(from: payload.baseAddress!, byteCount: payload.count)
        }
        handles![count] = Handle(prefix: Self.prefix(key), place: UInt64(chunk) << 32 | UInt64(chunkUsed))
        chunkUsed += size
        count += 1
        if indexed { insertSlot(count - 1, hash: hash) }
        return count - 1
    }

    /// The ordinal of the record in memory with this key, if any (indexed tables only).
    func find(_ key: UnsafeRawBufferPointer) -> Int? {
        guard indexed, count > 0 else { return nil }
        return find(key, hash: RawBytes.hash(key))
    }

    /// `find` with the key's `RawBytes.hash` already computed.
    func find(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
        guard indexed, count > 0, let slots else { return nil }
        let mask = slotCount - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            let ordinal = Int(entry) - 1
            if RawBytes.compare(Self.key(record(ordinal)), key) == 0 { return ordinal }
            slot = (slot + 1) & mask
        }
    }

    private func insertSlot(_ ordinal: Int, hash: UInt64) {
        let mask = slotCount - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots![slot] != 0 { slot = (slot + 1) & mask }
        slots![slot] = UInt32(ordinal + 1)
    }

    /// Gets the chunk, handle and index room for one more record of `size` bytes, within the
    /// budget (which may spill this table or others first).
    private func makeRoom(_ size: Int) throws {
        while true {
            let needChunk = chunks.isEmpty || chunkUsed + size > chunkEnd
            let chunkBytes = needChunk ? max(chunkSize, size) : 0
            let newHandles = count == handleCapacity ? max(64, handleCapacity * 2) : handleCapacity
            let newSlots = indexed && (count + 1) * 2 > slotCount ? max(128, slotCount * 2) : slotCount
            let extra = chunkBytes + (newHandles - handleCapacity) * MemoryLayout<Handle>.stride + (newSlots - slotCount) * 4
            if extra == 0 { return }
            let before = generation
            try budget.reserve(extra)
            if generation != before {
                // This table was spilled to make room: start over from an empty table.
                budget.release(extra)
                continue
            }
            memoryInUse += extra
            if needChunk {
                chunks.append(UnsafeMutableRawPointer.allocate(byteCount: chunkBytes, alignment: 8))
                chunkUsed = 0
                chunkEnd = chunkBytes
            }
            if newHandles != handleCapacity {
                let grown = UnsafeMutablePointer<Handle>.allocate(capacity: newHandles)
                if let handles {
                    grown.update(from: handles, count: count)
                    handles.deallocate()
                }
                handles = grown
                handleCapacity = newHandles
            }
            if newSlots != slotCount {
                slots?.deallocate()
                slots = UnsafeMutablePointer<UInt32>.allocate(capacity: newSlots)
                slots!.initialize(repeating: 0, count: newSlots)
                slotCount = newSlots
                for ordinal in 0..<count { insertSlot(ordinal, hash: RawBytes.hash(Self.key(record(ordinal)))) }
            }
            return
        }
    }

    private func freeMemory() {
        for chunk in chunks { chunk.deallocate() }
        chunks = []
        chunkUsed = 0
        chunkEnd = 0
        handles?.deallocate()
        handles = nil
        handleCapacity = 0
        slots?.deallocate()
        slots = nil
        slotCount = 0
        count = 0
        budget.release(memoryInUse)
        memoryInUse = 0
    }

    /// Sorts the records in memory by key (ties: in the order they were added). The index is
    /// no longer valid afterwards.
    private func sortInMemory() {
        guard count > 1 else { return }
        // Most keys differ in their first 8 bytes: those compare as two integers.
        let chunks = self.chunks
        var sorting = UnsafeMutableBufferPointer(start: handles, count: count)
        chunks.withUnsafeBufferPointer { chunks in
            sorting.sort { a, b in
                if a.prefix != b.prefix { return a.prefix < b.prefix }
                let left = chunks[Int(a.place >> 32)] + Int(a.place & 0xffff_ffff)
                let right = chunks[Int(b.place >> 32)] + Int(b.place & 0xffff_ffff)
                let order = RawBytes.compare(Self.key(left), Self.key(right))
                return order != 0 ? order < 0 : a.place < b.place
            }
        }
    }

    // MARK: Runs on disk

    private func file(level: Int) throws -> TemporaryFile {
        while files.count <= level {
            files.append(try TemporaryFile(bufferCapacity: max(4096, min(64 << 10, budget.limit / 32))))
        }
        return files[level]
    }

    /// Writes the records in memory as one sorted run and frees their memory.
    func spill() throws {
        precondition(!reading, "a table being read cannot spill")
        guard count > 0 else {
            freeMemory()
            return
        }
        sortInMemory()
        let output = try file(level: 0)
        let start = output.size
        for ordinal in 0..<count {
            let record = self.record(ordinal)
            try output.write(UnsafeRawBufferPointer(start: record, count: 8 + RawBytes.load32(record) + RawBytes.load32(record + 4)))
        }
        try output.finishWriting()
        bytesSpilled += output.size - start
        runs.append(Run(level: 0, start: start, length: output.size - start))
        generation += 1
        freeMemory()
        var level = 0
        while runs.filter({ $0.level == level }).count >= Self.fanIn {
            try mergeLevel(level)
            level += 1
        }
    }

    /// Merges every run of `level` into one run of the next level, then empties its file.
    private func mergeLevel(_ level: Int) throws {
        let merging = runs.filter { $0.level == level }
        let output = try file(level: level + 1)
        let start = output.size
        let stream = try SortedStream(sources: merging.map { try RunCursor(file: files[level], start: $0.start, length: $0.length, budget: budget) })
        while !stream.atEnd {
            try stream.writeCurrent(to: output)
            try stream.advance()
        }
        try output.finishWriting()
        bytesSpilled += output.size - start
        runs.removeAll { $0.level == level }
        runs.append(Run(level: level + 1, start: start, length: output.size - start))
        try files[level].truncate()
    }

    /// Every record ever added, in key order. The table must not be changed afterwards
    /// (except by `reset`).
    func sorted() throws -> SortedStream {
        defer { reading = true }
        if runs.isEmpty {
            sortInMemory()
            return try SortedStream(sources: [MemoryCursor(sorter: self)])
        }
        try spill()
        while runs.count > Self.fanIn {
            try mergeLevel(runs.map(\.level).min()!)
        }
        return try SortedStream(sources: runs.map {
            try RunCursor(file: files[$0.level], start: $0.start, length: $0.length, budget: budget)
        })
    }

    /// True when some records were written to disk.
    var hasRuns: Bool { !runs.isEmpty }

    /// After `sorted()` with no runs: the payload of a record with this key, by binary search.
    func lookupSorted(_ key: UnsafeRawBufferPointer) -> UnsafeMutableRawBufferPointer? {
        var low = 0, high = count - 1
        while low <= high {
            let middle = (low + high) / 2
            let record = self.record(middle)
            let order = RawBytes.compare(Self.key(record), key)
            if order == 0 { return Self.payload(record) }
            if order < 0 { low = middle + 1 } else { high = middle - 1 }
        }
        return nil
    }

    /// Frees the memory and the files.
    func reset() {
        reading = false
        freeMemory()
        runs = []
        files = []
    }

    /// Reads the records in memory in their (sorted) order.
    final class MemoryCursor: SortedSource {
        private let sorter: ExternalSorter
        private var ordinal = 0
        private(set) var key = UnsafeRawBufferPointer(start: nil, count: 0)
        private(set) var payload = UnsafeRawBufferPointer(start: nil, count: 0)
        private(set) var atEnd = false

        init(sorter: ExternalSorter) {
            self.sorter = sorter
            ordinal = -1
            advance()
        }

        func advance() {
            ordinal += 1
            guard ordinal < sorter.count else {
                atEnd = true
                return
            }
            let record = sorter.record(ordinal)
            key = ExternalSorter.key(record)
            payload = UnsafeRawBufferPointer(ExternalSorter.payload(record))
        }
    }
}
