// Reading a `PackedTable` back in order: a cursor per run (or over the sorted memory) and a
// binary heap merging them into one stream.

extension PackedTable {
    /// The entries of several cursors as one sequence in order: a binary heap of each
    /// cursor's current entry (entries of one table differ by their ordinals: no ties).
    final class Stream {
        private struct Node {
            var entry: Entry
            var cursor: Int
        }

        private let cursors: [Cursor]
        private let heap: UnsafeMutablePointer<Node>
        private var size = 0

        init(cursors: [Cursor]) throws {
            self.cursors = cursors
            heap = UnsafeMutablePointer<Node>.allocate(capacity: max(1, cursors.count))
            for (index, cursor) in cursors.enumerated() where !cursor.atEnd {
                heap[size] = Node(entry: cursor.current, cursor: index)
                size += 1
            }
            for index in stride(from: size / 2 - 1, through: 0, by: -1) { siftDown(index) }
        }

        deinit { heap.deallocate() }

        var atEnd: Bool { size == 0 }
        /// The current entry (not at the end).
        var current: Entry { heap[0].entry }

        func advance() throws {
            let cursor = cursors[heap[0].cursor]
            try cursor.advance()
            if cursor.atEnd {
                size -= 1
                heap[0] = heap[size]
            } else {
                heap[0].entry = cursor.current
            }
            if size > 1 { siftDown(0) }
        }

        private func siftDown(_ start: Int) {
            var parent = start
            let node = heap[parent]
            while true {
                let left = 2 * parent + 1
                guard left < size else { break }
                var smallest = left
                if left + 1 < size && heap[left + 1].entry < heap[left].entry { smallest = left + 1 }
                guard heap[smallest].entry < node.entry else { break }
                heap[parent] = heap[smallest]
                parent = smallest
            }
            heap[parent] = node
        }
    }

    /// Entries in order from memory, or from one run of a file through a buffer.
    final class Cursor {
        private let file: TemporaryFile?
        private var position = 0
        private var left = 0
        private let buffer: UnsafeMutablePointer<Entry>?
        private let capacity: Int
        private let budget: MemoryBudget?
        private var filled = 0
        private var index = 0
        private(set) var atEnd = false
        private(set) var current = Entry(high: 0, low: 0, ordinal: 0, count: 0)

        init(memory: UnsafeMutablePointer<Entry>?, count: Int) {
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
            buffer = UnsafeMutablePointer<Entry>.allocate(capacity: capacity)
            budget.force(capacity * MemoryLayout<Entry>.stride)
            try refill()
        }

        deinit {
            guard let budget else { return }
            buffer?.deallocate()
            budget.release(capacity * MemoryLayout<Entry>.stride)
        }

        private func refill() throws {
            let wanted = min(capacity, left)
            guard let file, wanted > 0 else {
                atEnd = true
                return
            }
            let bytes = wanted * MemoryLayout<Entry>.stride
            let read = try file.read(at: position, into: UnsafeMutableRawBufferPointer(start: buffer, count: bytes))
            guard read == bytes else { throw file.cutShort() }
            position += bytes
            left -= wanted
            filled = wanted
            index = 0
            current = buffer![0]
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
}
