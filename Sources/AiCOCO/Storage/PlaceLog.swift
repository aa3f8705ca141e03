// Where each checked id or reference was, kept aside until a problem needs it.

/// The places of ids and references, by ordinal, for the problems found at the end: kept in
/// a buffer, written to a temporary file past it, read back one at a time.
final class PlaceLog {
    struct Place {
        var offset: Int
        var line: Int
        var column: Int
        var record: Int
        var listIndex: Int
        var section: UInt8
        var field: UInt8
        var leaf: UInt8
    }

    private let budget: MemoryBudget
    private var places: UnsafeMutablePointer<Place>?
    private let capacity: Int
    private var buffered = 0
    private var written = 0
    private var file: TemporaryFile?

    init(budget: MemoryBudget) {
        self.budget = budget
        capacity = max(16, min(64 << 10, budget.limit / 16) / MemoryLayout<Place>.stride)
    }

    deinit { reset() }

    /// Places logged so far: the ordinal of the next one.
    var count: Int { written + buffered }

    /// Logs a place; returns its ordinal.
    func append(_ place: Place) throws -> Int {
        if buffered == capacity {
            if file == nil { file = try TemporaryFile() }
            try file!.write(UnsafeRawBufferPointer(start: places, count: buffered * MemoryLayout<Place>.stride),
                            at: written * MemoryLayout<Place>.stride)
            written += buffered
            buffered = 0
        }
        if places == nil {
            places = UnsafeMutablePointer<Place>.allocate(capacity: capacity)
            budget.force(capacity * MemoryLayout<Place>.stride)
        }
        places![buffered] = place
        buffered += 1
        return written + buffered - 1
    }

    func place(_ ordinal: Int) throws -> Place {
        if ordinal >= written { return places![ordinal - written] }
        var place = Place(offset: 0, line: 0, column: 0, record: 0, listIndex: 0, section: 0, field: 0, leaf: 0)
        let read = try withUnsafeMutableBytes(of: &place) {
            try file!.read(at: ordinal * MemoryLayout<Place>.stride, into: $0)
        }
        guard read == MemoryLayout<Place>.size else { throw file!.cutShort() }
        return place
    }

    func reset() {
        if let places {
            places.deallocate()
            budget.release(capacity * MemoryLayout<Place>.stride)
        }
        places = nil
        buffered = 0
        written = 0
        file = nil
    }
}
