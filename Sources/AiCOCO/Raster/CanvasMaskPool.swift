/// The words of a slice's masks (see `CanvasMasks`), kept from slice to slice: `count` of them
/// in use, the rest room. A mask is taken zeroed at the end and given back from the end.
struct MaskPool {
    /// Never empty (a word of room at least): its base address is always there.
    private var words: [UInt64] = [0]
    /// Words in use.
    private(set) var count = 0

    /// Takes `added` zeroed words at the end; where they start.
    mutating func appendZeroed(_ added: Int) -> Int {
        let start = count
        if words.count < start + added { words.append(contentsOf: repeatElement(0, count: start + added - words.count)) }
        words.withUnsafeMutableBufferPointer { ($0.baseAddress! + start).update(repeating: 0, count: added) }
        count = start + added
        return start
    }

    /// Gives back the last `removed` words.
    mutating func removeLast(_ removed: Int) { count -= removed }

    mutating func removeAll() { count = 0 }

    /// The words (those in use read only).
    @inline(__always)
    func withWords<Result>(_ body: (UnsafePointer<UInt64>) throws -> Result) rethrows -> Result {
        try words.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    @inline(__always)
    mutating func withMutableWords<Result>(_ body: (UnsafeMutablePointer<UInt64>) throws -> Result) rethrows -> Result {
        try words.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }
}
