// The batches' coordinate buffers, taken back when the caller frees them and lent again.
import AiCOCO

/// Coordinate buffers of the batches handed over ("lent": the caller frees them with
/// `aicoco_free`, which gives them back here) and spares, given back and kept for the next
/// hand-overs while a reader is open. A batch's coordinates are the builder's own buffer,
/// swapped at hand-over for a spare: no copy of a worker's part, and no fresh pages (a new 2 MiB
/// buffer is 512 page faults as it is filled). Spares are freed when the last reader closes.
final class CoordinatePool: @unchecked Sendable {
    static let shared = CoordinatePool()

    private let monitor = Monitor(conditions: 1)
    /// The buffers lent, by address: their size in bytes.
    private var lent: [UnsafeMutableRawPointer: Int] = [:]
    private var spares: [(pointer: UnsafeMutableRawPointer, bytes: Int)] = []
    private var readers = 0
    /// Spares kept at most (a reader holds its channel's ready batches and the caller's one).
    static let keep = 8

    /// A reader opened: spares are kept until every reader closed.
    func open() { monitor.withLock { readers += 1 } }

    func close() {
        let freed: [UnsafeMutableRawPointer] = monitor.withLock {
            readers -= 1
            guard readers == 0 else { return [] }
            defer { spares.removeAll() }
            return spares.map(\.pointer)
        }
        for pointer in freed { CHeap.free(pointer) }
    }

    /// A spare of at least `bytes`, or a new buffer: (its address, its size). It is the
    /// caller's (a builder's) until `lend`.
    func take(bytes: Int) -> (pointer: UnsafeMutableRawPointer, bytes: Int) {
        let spare: (pointer: UnsafeMutableRawPointer, bytes: Int)? = monitor.withLock {
            guard let index = spares.lastIndex(where: { $0.bytes >= bytes }) else { return nil }
            return spares.remove(at: index)
        }
        if let spare { return spare }
        return (UnsafeMutableRawPointer(CHeap.allocate(UInt8.self, capacity: bytes)), bytes)
    }

    /// `pointer` (a buffer of `bytes`) goes to the caller, who gives it back with `give`.
    func lend(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        monitor.withLock { lent[pointer] = bytes }
    }

    /// Frees `pointer` (anything the library malloc'd and handed over), or keeps it as a spare
    /// when it is a lent buffer and a reader is open.
    func give(_ pointer: UnsafeMutableRawPointer?) {
        guard let pointer else { return }
        let kept: Bool = monitor.withLock {
            guard let bytes = lent.removeValue(forKey: pointer) else { return false }
            guard readers > 0, spares.count < Self.keep else { return false }
            spares.append((pointer, bytes))
            return true
        }
        if !kept { CHeap.free(pointer) }
    }
}
