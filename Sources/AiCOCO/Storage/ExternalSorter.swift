// The spilling table of byte records: keys and payloads of any length, in memory in chunks.

/// Records of a key and a payload (both bytes). In memory they sit in fixed-size chunks
/// (growth never copies them) with, when `indexed`, an open-addressing index to find one by
/// key and update its payload in place. Past the budget they spill as a `SpillingTable`
/// does; `sorted()` gives every record ever added, in key order (equal keys: in no set order).
final class ExternalSorter: SpillingTable<RecordCursor> {
    static let fanIn = 16

    /// The fan-in of a `wide` table: as many runs at a time as read buffers of 1 KiB fit in the
    /// budget's share that 16 buffers take in other tables, from 16 to 64 (64 from a limit of
    /// 512 KiB, with buffers of 4 KiB at the default limit). Such a table (`measure`'s contours,
    /// read once after the whole input) merges none of its runs while it fills up to 64 runs,
    /// and a level of them at a time past that: fewer merges, each of more runs.
    static func wideFanIn(_ budget: MemoryBudget) -> Int { min(64, max(fanIn, budget.limit / (8 << 10))) }

    private let indexed: Bool
    private let chunkSize: Int
    /// The chunks' addresses (`chunkCount` of room for `chunkCapacity`): a flat buffer, not an
    /// array (an array property of a class is checked for exclusive access at run time, on
    /// every record added or read).
    private var chunks: UnsafeMutablePointer<UnsafeMutableRawPointer>?
    private var chunkCount = 0, chunkCapacity = 0
    private var chunkUsed = 0
    private var chunkEnd = 0
    /// Per record in memory: its key's first 8 bytes as a big-endian number (zero-padded: it
    /// orders as the key does, up to ties), the next 8 likewise (keys of up to 16 bytes, as
    /// `measure`'s rows, sort without reading the records) and its place, chunk index << 32 |
    /// offset in the chunk.
    private var handles: UnsafeMutablePointer<Handle>?
    private var handleCapacity = 0
    /// Open addressing: record ordinal + 1, or 0.
    private var slots: UnsafeMutablePointer<UInt32>?
    private var slotCount = 0
    private(set) var memoryInUse = 0
    override var memoryBytes: Int { memoryInUse }
    override var memoryIsEmpty: Bool { count == 0 }
    /// A table that is only added to (no index: no lookups) is spilled sooner.
    override var spillWeight: Int { indexed ? 1 : 4 }
    /// Records in memory.
    private(set) var count = 0

    private struct Handle {
        var prefix: UInt64
        var suffix: UInt64
        var place: UInt64
    }

    init(budget: MemoryBudget, indexed: Bool, wide: Bool = false) {
        self.indexed = indexed
        chunkSize = max(1024, min(64 << 10, budget.limit / 16))
        super.init(budget: budget, fanIn: wide ? Self.wideFanIn(budget) : Self.fanIn)
    }

    deinit { freeMemory() }

    /// True when nothing was ever added.
    var isEmpty: Bool { count == 0 && !hasRuns }

    // MARK: Records in memory

    @inline(__always)
    func record(_ ordinal: Int) -> UnsafeMutableRawPointer {
        let handle = handles![ordinal].place
        return chunks![Int(handle >> 32)] + Int(handle & 0xffff_ffff)
    }

    /// The first 8 bytes of `key` as a big-endian number, zero-padded.
    @inline(__always)
    static func prefix(_ key: UnsafeRawBufferPointer) -> UInt64 {
        if key.count >= 8 { return UInt64(bigEndian: key.loadUnaligned(as: UInt64.self)) }
        var value: UInt64 = 0
        for index in 0..<8 { value = value << 8 | UInt64(index < key.count ? key[index] : 0) }
        return value
    }

    /// Bytes 8 to 15 of `key` as a big-endian number, zero-padded (0 for a key of at most 8 bytes).
    @inline(__always)
    static func suffix(_ key: UnsafeRawBufferPointer) -> UInt64 {
        if key.count >= 16 { return UInt64(bigEndian: key.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) }
        var value: UInt64 = 0
        for index in 8..<16 { value = value << 8 | UInt64(index < key.count ? key[index] : 0) }
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
        let target = try room(size)
        RawBytes.store32(key.count, target)
        RawBytes.store32(payload.count, target + 4)
        if key.count > 0 { (target + 8).copyMemory(from: key.baseAddress!, byteCount: key.count) }
        if payload.count > 0 {
            (target + 8 + key.count).copyMemory(from: payload.baseAddress!, byteCount: payload.count)
        }
        let ordinal = placed(target, size: size)
        if indexed { insertSlot(ordinal, hash: hash) }
        return ordinal
    }

    /// Adds a record whose key is `key` then `sequence` (8 bytes, big-endian) and whose payload
    /// is `head` (an unsigned varint) then `payload`, written in place (a table with no index).
    func append(key: UnsafeRawBufferPointer, sequence: UInt64, head: Int, payload: UnsafeRawBufferPointer) throws {
        precondition(!indexed, "a sequenced record goes to a table with no index")
        let keyCount = key.count + 8
        let payloadCount = RawBytes.varintCount(head) + payload.count
        let size = 8 + keyCount + payloadCount
        let target = try room(size)
        RawBytes.store32(keyCount, target)
        RawBytes.store32(payloadCount, target + 4)
        if key.count > 0 { (target + 8).copyMemory(from: key.baseAddress!, byteCount: key.count) }
        (target + 8 + key.count).storeBytes(of: sequence.bigEndian, as: UInt64.self)
        var position = 8 + keyCount
        RawBytes.writeVarint(head, to: target, &position)
        if payload.count > 0 { (target + position).copyMemory(from: payload.baseAddress!, byteCount: payload.count) }
        placed(target, size: size)
    }

    /// Where the next record of `size` bytes goes (room made for it first when needed).
    @inline(__always)
    private func room(_ size: Int) throws -> UnsafeMutableRawPointer {
        let used = chunkUsed
        if used + size > chunkEnd || count == handleCapacity || (indexed && (count + 1) * 2 > slotCount) {
            try makeRoom(size)
            return chunks![chunkCount - 1] + chunkUsed
        }
        return chunks![chunkCount - 1] + used
    }

    /// Notes the record of `size` bytes just written at `target` (where `room` gave); its ordinal.
    @inline(__always)
    @discardableResult
    private func placed(_ target: UnsafeMutableRawPointer, size: Int) -> Int {
        let ordinal = count
        let offset = chunkUsed
        let key = UnsafeRawBufferPointer(start: target + 8, count: RawBytes.load32(target))
        handles![ordinal] = Handle(prefix: Self.prefix(key), suffix: Self.suffix(key),
                                   place: UInt64(chunkCount - 1) << 32 | UInt64(offset))
        chunkUsed = offset + size
        count = ordinal + 1
        return ordinal
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
        var slot = Self.slot(hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            let ordinal = Int(entry) - 1
            if RawBytes.compare(Self.key(record(ordinal)), key) == 0 { return ordinal }
            slot = (slot + 1) & mask
        }
    }

    /// A key's first slot: its `RawBytes.hash` mixed (that hash keeps too few distinct low bits
    /// for keys that differ in a few high bits, as doubles' bits do: `ImageIndexes` probed
    /// about 75 slots a lookup at 60,000 images).
    @inline(__always)
    private static func slot(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: splitMix64(hash)) }

    private func insertSlot(_ ordinal: Int, hash: UInt64) {
        let mask = slotCount - 1
        var slot = Self.slot(hash) & mask
        while slots![slot] != 0 { slot = (slot + 1) & mask }
        slots![slot] = UInt32(ordinal + 1)
    }

    /// Gets the chunk, handle and index room for one more record of `size` bytes, within the
    /// budget (which may spill this table or others first).
    private func makeRoom(_ size: Int) throws {
        while true {
            let needChunk = chunkCount == 0 || chunkUsed + size > chunkEnd
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
                if chunkCount == chunkCapacity {
                    (chunks, chunkCapacity) = (regrow(chunks, count: chunkCount, to: max(16, chunkCapacity * 2)), max(16, chunkCapacity * 2))
                }
                (chunks! + chunkCount).initialize(to: UnsafeMutableRawPointer.allocate(byteCount: chunkBytes, alignment: 8))
                chunkCount += 1
                chunkUsed = 0
                chunkEnd = chunkBytes
            }
            if newHandles != handleCapacity { (handles, handleCapacity) = (regrow(handles, count: count, to: newHandles), newHandles) }
            if newSlots != slotCount {
                (slots, slotCount) = (emptySlots(replacing: slots, count: newSlots), newSlots)
                for ordinal in 0..<count { insertSlot(ordinal, hash: RawBytes.hash(Self.key(record(ordinal)))) }
            }
            return
        }
    }

    override func freeMemory() {
        for index in 0..<chunkCount { chunks![index].deallocate() }
        chunks?.deallocate()
        chunks = nil
        chunkCount = 0
        chunkCapacity = 0
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
    override func sortMemory() {
        guard count > 1 else { return }
        // Most keys differ in their first 16 bytes: those compare as two pairs of integers.
        let chunks = UnsafeBufferPointer(start: self.chunks, count: chunkCount)
        var sorting = UnsafeMutableBufferPointer(start: handles, count: count)
        sorting.sort { a, b in
            if a.prefix != b.prefix { return a.prefix < b.prefix }
            if a.suffix != b.suffix { return a.suffix < b.suffix }
            let left = chunks[Int(a.place >> 32)] + Int(a.place & 0xffff_ffff)
            let right = chunks[Int(b.place >> 32)] + Int(b.place & 0xffff_ffff)
            let order = RawBytes.compare(Self.key(left), Self.key(right))
            return order != 0 ? order < 0 : a.place < b.place
        }
    }

    // MARK: Runs

    /// A run stores a record as it sits in memory: its key length, payload length (32 bits,
    /// little endian), key, payload.
    override func writeMemory(to file: TemporaryFile) throws {
        for ordinal in 0..<count {
            let record = self.record(ordinal)
            try file.write(UnsafeRawBufferPointer(start: record, count: 8 + RawBytes.load32(record) + RawBytes.load32(record + 4)))
        }
    }

    override func memoryCursor() -> RecordCursor { RecordCursor(sorter: self) }

    override func runCursor(_ file: TemporaryFile, start: Int, length: Int) throws -> RecordCursor {
        try RecordCursor(file: file, start: start, length: length, budget: budget, fanIn: fanIn)
    }

    override func write(_ item: ByteRecord, to file: TemporaryFile) throws {
        var header = (UInt32(item.key.count).littleEndian, UInt32(item.payload.count).littleEndian)
        try withUnsafeBytes(of: &header) { try file.write($0) }
        try file.write(item.key)
        try file.write(item.payload)
    }

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
}
