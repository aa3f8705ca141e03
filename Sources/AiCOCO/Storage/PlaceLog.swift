// Where each checked id or reference was, kept aside until a problem needs it.

/// The places of ids and references, by ordinal, for the problems found at the end: kept in
/// a buffer that grows within the memory budget, written to a temporary file past it (or when
/// the budget spills it), read back one at a time.
final class PlaceLog: Spillable {
    struct Place {
        var offset, line, column, record, listIndex: Int
        var section, field, leaf: UInt8
    }

    private let budget: MemoryBudget
    private var places: UnsafeMutablePointer<Place>?
    private var capacity = 0
    private let maxCapacity: Int
    /// Times the buffer was spilled (a growth that spilled it starts over).
    private var generation = 0
    private var buffered = 0
    private var written = 0
    private var file: TemporaryFile?

    init(budget: MemoryBudget) {
        self.budget = budget
        maxCapacity = max(16, budget.limit / 4 / MemoryLayout<Place>.stride)
        budget.register(self)
    }

    var spillableBytes: Int { capacity * MemoryLayout<Place>.stride }
    /// Only collects, for the problems at the end.
    var spillWeight: Int { 4 }

    func spill() throws {
        try writeBuffered()
        if let places {
            places.deallocate()
            budget.release(capacity * MemoryLayout<Place>.stride)
        }
        places = nil
        capacity = 0
        generation += 1
    }

    deinit { reset() }

    /// Places logged so far: the ordinal of the next one.
    var count: Int { written + buffered }

    /// Logs a place; returns its ordinal.
    func append(_ place: Place) throws -> Int {
        while buffered == capacity { try makeRoom() }
        places![buffered] = place
        buffered += 1
        return written + buffered - 1
    }

    /// Grows the buffer by what the budget grants, up to its share; past it, writes it out.
    private func makeRoom() throws {
        guard capacity < maxCapacity else { return try writeBuffered() }
        let grown = min(max(16, 2 * capacity), maxCapacity)
        let extra = (grown - capacity) * MemoryLayout<Place>.stride
        let before = generation
        try budget.reserve(extra)
        if generation != before {
            // The budget spilled this log to make room: start over from an empty buffer.
            budget.release(extra)
            return
        }
        let bigger = UnsafeMutablePointer<Place>.allocate(capacity: grown)
        if let places {
            bigger.moveInitialize(from: places, count: buffered)
            places.deallocate()
        }
        (places, capacity) = (bigger, grown)
    }

    /// Writes the buffered places to the temporary file, after those written before.
    private func writeBuffered() throws {
        guard buffered > 0 else { return }
        if file == nil { file = try TemporaryFile() }
        try file!.write(UnsafeRawBufferPointer(start: places, count: buffered * MemoryLayout<Place>.stride),
                        at: written * MemoryLayout<Place>.stride)
        written += buffered
        buffered = 0
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
        capacity = 0
        buffered = 0
        written = 0
        file = nil
    }
}
