/// Checks that no two images share an `index` (the value that orders the slices of a series):
/// within the reference checker's memory budget, whatever the number of images, in the same
/// single pass. Each index is a key of 8 bytes (the double's bits, -0 as 0); while the table is
/// in memory a repeat is found at once, past the budget the sorted runs are joined at the end.
/// Every image but the first (in file order) with a given index is a problem.
final class ImageIndexes {
    private let table: ExternalSorter
    private var place: [UInt8] = []

    init(budget: MemoryBudget) {
        table = ExternalSorter(budget: budget, indexed: true)
    }

    /// The index of image `site.record`, at `location`; duplicates go to `checker`'s problems.
    func add(_ index: Double, site: ReferenceSite, at location: SourceLocation, checker: ReferenceChecker) throws {
        let key = (index == 0 ? 0 : index).bitPattern.bigEndian
        try withUnsafeBytes(of: key) { bytes in
            let hash = RawBytes.hash(bytes)
            if table.find(bytes, hash: hash) != nil {
                try checker.addProblem(.duplicateIndex, target: .images, site: site, location: location, count: 1, key: bytes)
                return
            }
            place.removeAll(keepingCapacity: true)
            ReferenceChecker.appendPlace(site, location, to: &place)
            try place.withUnsafeBytes { _ = try table.append(key: bytes, payload: $0, hash: hash) }
        }
    }

    /// Joins what was spilled: each later image with an index already taken is a problem.
    func finish(checker: ReferenceChecker) throws {
        guard !table.isEmpty else { return }
        let stream = try table.sorted()
        var current: [UInt8] = []
        var first: (site: ReferenceSite, location: SourceLocation)?
        while !stream.atEnd {
            var position = 0
            let entry = ReferenceChecker.readPlace(stream.payload, &position)
            if !current.elementsEqual(stream.key) {
                current.removeAll(keepingCapacity: true)
                current.append(contentsOf: stream.key)
                first = entry
            } else if let earlier = first {
                // The earlier of the two stands; the later is the problem.
                var later = entry
                if earlier.location.offset > entry.location.offset {
                    later = earlier
                    first = entry
                }
                try current.withUnsafeBytes {
                    try checker.addProblem(.duplicateIndex, target: .images, site: later.site, location: later.location, count: 1, key: $0)
                }
            }
            try stream.advance()
        }
        table.reset()
    }

    /// The index a problem's key holds.
    static func value(_ key: UnsafeRawBufferPointer) -> Double {
        var bits: UInt64 = 0
        for byte in key.prefix(8) { bits = bits << 8 | UInt64(byte) }
        return Double(bitPattern: bits)
    }
}
