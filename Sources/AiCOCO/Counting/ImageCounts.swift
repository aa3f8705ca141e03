/// Annotations per image id, as a split stretch counts them (`AnnotationCounts`): the ids
/// `RecordID` packs into two words (FLaVor's nanoids, short ids) in a flat open-addressing
/// table, compared as integers (no hashing of bytes, nothing allocated per id); any other id in
/// a dictionary. At most `capacity` ids (the part is handed over then).
struct ImageCounts: Sendable {
    static let capacity = 4096
    /// A power of two, twice the ids held at most.
    private static let slotCount = 2 * capacity
    /// Each packed id's words, high then low.
    private var words: [UInt64] = []
    /// Each packed id's annotations.
    private var counts: [Int] = []
    /// Open addressing: entry index + 1, or 0 (made at the first id).
    private var slots: [Int32] = []
    private var others: [RecordID: Int] = [:]

    /// Ids counted.
    var count: Int { counts.count + others.count }

    /// One more annotation on image `id`.
    @inline(__always)
    mutating func add(_ id: RecordID) {
        guard let packed = id.packedWords else {
            others[id, default: 0] += 1
            return
        }
        if slots.isEmpty { slots = [Int32](repeating: 0, count: Self.slotCount) }
        let mask = Self.slotCount - 1
        var slot = packedIDHash(high: packed.high, low: packed.low) & mask
        while true {
            let entry = Int(slots[slot]) - 1
            if entry < 0 { break }
            if words[2 * entry] == packed.high && words[2 * entry + 1] == packed.low {
                counts[entry] += 1
                return
            }
            slot = (slot + 1) & mask
        }
        words.append(packed.high)
        words.append(packed.low)
        counts.append(1)
        slots[slot] = Int32(counts.count)
    }

    /// Calls `body` with each image id and its annotations (no set order).
    func forEach(_ body: (RecordID, Int) throws -> Void) rethrows {
        for entry in counts.indices {
            try body(RecordID(packedHigh: words[2 * entry], low: words[2 * entry + 1]), counts[entry])
        }
        for (id, count) in others { try body(id, count) }
    }
}
