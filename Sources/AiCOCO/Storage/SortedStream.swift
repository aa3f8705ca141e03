// Reading sorted runs back: a buffered cursor over one run of a temporary file, and the
// k-way merge of several cursors.

/// Records in key order from one source.
protocol SortedSource: AnyObject {
    var atEnd: Bool { get }
    /// The current record's key and payload, valid until `advance`.
    var key: UnsafeRawBufferPointer { get }
    var payload: UnsafeRawBufferPointer { get }
    func advance() throws
}

/// One sorted run of a temporary file, read through a small buffer with `pread`.
final class RunCursor: SortedSource {
    private let file: TemporaryFile
    private var position: Int
    private let end: Int
    private var buffer: UnsafeMutableRawBufferPointer
    private let budget: MemoryBudget
    private var filled = 0
    private var current = 0
    private var currentSize = 0
    private(set) var key = UnsafeRawBufferPointer(start: nil, count: 0)
    private(set) var payload = UnsafeRawBufferPointer(start: nil, count: 0)
    private(set) var atEnd = false

    /// Read buffer per cursor: up to `fanIn` cursors of three tables may be open at once.
    static func bufferSize(_ budget: MemoryBudget) -> Int {
        max(512, min(64 << 10, budget.limit / (8 * ExternalSorter.fanIn)))
    }

    init(file: TemporaryFile, start: Int, length: Int, budget: MemoryBudget) throws {
        self.file = file
        position = start
        end = start + length
        self.budget = budget
        let size = Self.bufferSize(budget)
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        budget.force(size)
        try advance()
    }

    deinit {
        budget.release(buffer.count)
        buffer.deallocate()
    }

    /// Makes `count` bytes from `current` available in the buffer; false at the run's end.
    private func fill(_ count: Int) throws -> Bool {
        if filled - current >= count { return true }
        let kept = filled - current
        if count > buffer.count {
            let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 8)
            budget.force(count - buffer.count)
            grown.baseAddress!.copyMemory(from: buffer.baseAddress! + current, byteCount: kept)
            buffer.deallocate()
            buffer = grown
        } else if kept > 0 {
            buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + current, byteCount: kept)
        }
        filled = kept
        current = 0
        let wanted = min(buffer.count - filled, end - position)
        if wanted > 0 {
            let read = try file.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<filled + wanted]))
            guard read == wanted else {
                throw file.cutShort()
            }
            position += read
            filled += read
        }
        return filled - current >= count
    }

    func advance() throws {
        current += currentSize
        currentSize = 0
        guard try fill(8) else {
            atEnd = true
            return
        }
        let base = buffer.baseAddress! + current
        let keyCount = RawBytes.load32(base), payloadCount = RawBytes.load32(base + 4)
        guard try fill(8 + keyCount + payloadCount) else {
            throw file.cutShort()
        }
        let record = buffer.baseAddress! + current
        key = UnsafeRawBufferPointer(start: record + 8, count: keyCount)
        payload = UnsafeRawBufferPointer(start: record + 8 + keyCount, count: payloadCount)
        currentSize = 8 + keyCount + payloadCount
    }
}

/// The records of several sorted sources as one sequence in key order (a binary heap;
/// equal keys come from the lower-numbered source first).
final class SortedStream {
    private let sources: [any SortedSource]
    private var heap: [Int] = []

    init(sources: [any SortedSource]) throws {
        self.sources = sources
        for index in sources.indices where !sources[index].atEnd {
            heap.append(index)
            siftUp(heap.count - 1)
        }
    }

    var atEnd: Bool { heap.isEmpty }
    var key: UnsafeRawBufferPointer { sources[heap[0]].key }
    var payload: UnsafeRawBufferPointer { sources[heap[0]].payload }

    func advance() throws {
        let top = sources[heap[0]]
        try top.advance()
        if top.atEnd {
            heap[0] = heap[heap.count - 1]
            heap.removeLast()
        }
        if !heap.isEmpty { siftDown(0) }
    }

    /// Writes the current record as it is stored (header, key, payload).
    func writeCurrent(to file: TemporaryFile) throws {
        var header: (UInt32, UInt32) = (UInt32(key.count).littleEndian, UInt32(payload.count).littleEndian)
        try withUnsafeBytes(of: &header) { try file.write($0) }
        try file.write(key)
        try file.write(payload)
    }

    @inline(__always)
    private func less(_ a: Int, _ b: Int) -> Bool {
        let order = RawBytes.compare(sources[a].key, sources[b].key)
        return order != 0 ? order < 0 : a < b
    }

    private func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func siftDown(_ start: Int) {
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
}
