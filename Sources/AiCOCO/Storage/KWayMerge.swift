// The one k-way merge of the spilling tables: several sorted cursors read as one sequence.

/// Items in order from one source: a sorted run on disk, or a table's sorted memory.
protocol MergeCursor: AnyObject {
    associatedtype Item
    /// True past the last item.
    var atEnd: Bool { get }
    /// The current item (not at the end), valid until `advance`.
    var current: Item { get }
    func advance() throws
    /// Whether `a` comes before `b`; `tie` when they are equal.
    static func isOrdered(_ a: Item, before b: Item, tie: Bool) -> Bool
}

/// The items of several cursors as one sequence in order: a binary heap of each cursor's
/// current item; equal items come from the lower-numbered cursor first.
final class KWayMerge<Cursor: MergeCursor> {
    private struct Node {
        var item: Cursor.Item
        var cursor: Int
    }

    private let cursors: [Cursor]
    private let heap: UnsafeMutablePointer<Node>
    private var size = 0

    init(cursors: [Cursor]) {
        self.cursors = cursors
        heap = UnsafeMutablePointer<Node>.allocate(capacity: max(1, cursors.count))
        for (index, cursor) in cursors.enumerated() where !cursor.atEnd {
            (heap + size).initialize(to: Node(item: cursor.current, cursor: index))
            size += 1
        }
        for index in stride(from: size / 2 - 1, through: 0, by: -1) { siftDown(index) }
    }

    deinit {
        heap.deinitialize(count: size)
        heap.deallocate()
    }

    /// True when every cursor is at its end.
    var atEnd: Bool { size == 0 }
    /// The current item (not at the end).
    var current: Cursor.Item { heap[0].item }

    func advance() throws {
        let cursor = cursors[heap[0].cursor]
        try cursor.advance()
        if cursor.atEnd {
            size -= 1
            heap[0] = heap[size]
            (heap + size).deinitialize(count: 1)
        } else {
            heap[0].item = cursor.current
        }
        if size > 1 { siftDown(0) }
    }

    @inline(__always)
    private func less(_ a: Node, _ b: Node) -> Bool {
        Cursor.isOrdered(a.item, before: b.item, tie: a.cursor < b.cursor)
    }

    private func siftDown(_ start: Int) {
        var parent = start
        let node = heap[parent]
        while true {
            let left = 2 * parent + 1
            guard left < size else { break }
            var smallest = left
            if left + 1 < size && less(heap[left + 1], heap[left]) { smallest = left + 1 }
            guard less(heap[smallest], node) else { break }
            heap[parent] = heap[smallest]
            parent = smallest
        }
        heap[parent] = node
    }
}
