// Reading a `PackedTable` back in order: a cursor per run (or over the sorted memory),
// merged by `KWayMerge`.

/// Entries in order from memory, or from one run of a file through a buffer.
final class PackedCursor: MergeCursor {
    private let file: TemporaryFile?
    private var position = 0
    private var left = 0
    private let buffer: UnsafeMutablePointer<PackedEntry>?
    private let capacity: Int
    private let budget: MemoryBudget?
    private var filled = 0
    private var index = 0
    private(set) var atEnd = false
    private(set) var current = PackedEntry(high: 0, low: 0, ordinal: 0, count: 0)

    init(memory: UnsafeMutablePointer<PackedEntry>?, count: Int) {
        file = nil
        buffer = memory
        capacity = count
        budget = nil
        filled = count
        atEnd = count == 0
        if count > 0 { current = memory![0] }
    }

    init(file: TemporaryFile, start: Int, count: Int, budget: MemoryBudget) throws {
        self.file = file
        position = start
        left = count
        self.budget = budget
        capacity = PackedTable.bufferEntries(budget)
        buffer = UnsafeMutablePointer<PackedEntry>.allocate(capacity: capacity)
        budget.force(capacity * MemoryLayout<PackedEntry>.stride)
        try refill()
    }

    deinit {
        guard let budget else { return }
        buffer?.deallocate()
        budget.release(capacity * MemoryLayout<PackedEntry>.stride)
    }

    private func refill() throws {
        let wanted = min(capacity, left)
        guard let file, wanted > 0 else {
            atEnd = true
            return
        }
        let bytes = wanted * MemoryLayout<PackedEntry>.stride
        let read = try file.read(at: position, into: UnsafeMutableRawBufferPointer(start: buffer, count: bytes))
        guard read == bytes else { throw file.cutShort() }
        position += bytes
        left -= wanted
        filled = wanted
        index = 0
        current = buffer![0]
    }

    static func isOrdered(_ a: PackedEntry, before b: PackedEntry, tie: Bool) -> Bool {
        if a.high != b.high { return a.high < b.high }
        if a.low != b.low { return a.low < b.low }
        return a.ordinal != b.ordinal ? a.ordinal < b.ordinal : tie
    }

    @inline(__always)
    func advance() throws {
        index += 1
        if index < filled {
            current = buffer![index]
        } else {
            try refill()
        }
    }
}
