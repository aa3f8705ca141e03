// Reading an `ExternalSorter` back in key order: a cursor over one sorted run of a temporary
// file (or over the sorted memory), merged by `KWayMerge`.

/// A record of an `ExternalSorter`: its key and payload bytes, valid until its cursor moves.
struct ByteRecord {
    var key: UnsafeRawBufferPointer
    var payload: UnsafeRawBufferPointer

    /// No key, no payload.
    static var empty: ByteRecord {
        ByteRecord(key: UnsafeRawBufferPointer(start: nil, count: 0), payload: UnsafeRawBufferPointer(start: nil, count: 0))
    }
}

/// The records of an `ExternalSorter` in key order.
typealias SortedStream = KWayMerge<RecordCursor>

extension KWayMerge where Cursor == RecordCursor {
    /// The current record's key.
    var key: UnsafeRawBufferPointer { current.key }
    /// The current record's payload.
    var payload: UnsafeRawBufferPointer { current.payload }

    /// Moves past the records with the current key (copied to `key`); returns the sum of the
    /// 64-bit counts their payloads open with.
    func sumCounts(key: inout [UInt8]) throws -> Int {
        key.removeAll(keepingCapacity: true)
        key.append(contentsOf: self.key)
        var count = 0
        while !atEnd && key.withUnsafeBytes({ RawBytes.compare(self.key, $0) }) == 0 {
            count += RawBytes.load64(payload.baseAddress!)
            try advance()
        }
        return count
    }
}

/// Byte records in key order: the sorted memory of an `ExternalSorter`, or one sorted run of
/// a temporary file read through a small buffer with `pread`.
final class RecordCursor: MergeCursor {
    /// Reading memory: the table and the current record's ordinal.
    private let sorter: ExternalSorter?
    private var ordinal = -1
    // Reading a run.
    private let file: TemporaryFile?
    private var position = 0
    private var end = 0
    private var buffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private let budget: MemoryBudget?
    private var filled = 0
    private var start = 0
    private var currentSize = 0
    private(set) var current = ByteRecord.empty
    private(set) var atEnd = false

    /// Read buffer per cursor of a table merging `fanIn` runs at a time: up to `fanIn` cursors of
    /// three tables may be open at once.
    static func bufferSize(_ budget: MemoryBudget, fanIn: Int) -> Int {
        max(512, min(64 << 10, budget.limit / (8 * fanIn)))
    }

    /// The records in memory of `sorter`, sorted.
    init(sorter: ExternalSorter) {
        self.sorter = sorter
        file = nil
        budget = nil
        advanceInMemory()
    }

    /// The run of `length` bytes at `start` in `file`, of a table merging `fanIn` runs at a time.
    init(file: TemporaryFile, start: Int, length: Int, budget: MemoryBudget, fanIn: Int) throws {
        sorter = nil
        self.file = file
        position = start
        end = start + length
        self.budget = budget
        let size = Self.bufferSize(budget, fanIn: fanIn)
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        budget.force(size)
        try advance()
    }

    deinit {
        guard let budget else { return }
        budget.release(buffer.count)
        buffer.deallocate()
    }

    static func isOrdered(_ a: ByteRecord, before b: ByteRecord, tie: Bool) -> Bool {
        let order = RawBytes.compare(a.key, b.key)
        return order != 0 ? order < 0 : tie
    }

    func advance() throws {
        if sorter != nil { return advanceInMemory() }
        start += currentSize
        currentSize = 0
        guard try fill(8) else {
            atEnd = true
            return
        }
        let base = buffer.baseAddress! + start
        let keyCount = RawBytes.load32(base), payloadCount = RawBytes.load32(base + 4)
        guard try fill(8 + keyCount + payloadCount) else { throw file!.cutShort() }
        let record = buffer.baseAddress! + start
        current = ByteRecord(key: UnsafeRawBufferPointer(start: record + 8, count: keyCount),
                             payload: UnsafeRawBufferPointer(start: record + 8 + keyCount, count: payloadCount))
        currentSize = 8 + keyCount + payloadCount
    }

    private func advanceInMemory() {
        ordinal += 1
        guard let sorter, ordinal < sorter.count else {
            atEnd = true
            return
        }
        let record = sorter.record(ordinal)
        current = ByteRecord(key: ExternalSorter.key(record), payload: UnsafeRawBufferPointer(ExternalSorter.payload(record)))
    }

    /// Makes `count` bytes from `start` available in the buffer; false at the run's end.
    private func fill(_ count: Int) throws -> Bool {
        if filled - start >= count { return true }
        let kept = filled - start
        if count > buffer.count {
            let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 8)
            budget!.force(count - buffer.count)
            grown.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: kept)
            buffer.deallocate()
            buffer = grown
        } else if kept > 0 {
            buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: kept)
        }
        filled = kept
        start = 0
        let wanted = min(buffer.count - filled, end - position)
        if wanted > 0 {
            let read = try file!.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<filled + wanted]))
            guard read == wanted else { throw file!.cutShort() }
            position += read
            filled += read
        }
        return filled - start >= count
    }
}
