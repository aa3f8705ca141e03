/// Annotations per image joined with each image's `index`, for `aicoco stats`, within a memory
/// budget (the counts and the images spill to temporary files past it), whatever the order of
/// the sections. The same as two dictionaries by image id (the last image of an id wins).
package final class AnnotatedImageTally {
    /// Over the images that have annotations: lowest and highest index, how many, and fewest
    /// and most annotations on one.
    package struct Span: Sendable, Equatable {
        package var minIndex: Double, maxIndex: Double
        package var images: Int, fewest: Int, most: Int
    }

    let budget: MemoryBudget
    /// Image id → annotation count (8 bytes, updated in place).
    private let counts: ExternalSorter
    /// Image id → order of the image (8 bytes) and its index (8 bytes).
    private let images: ExternalSorter
    private var sequence = 0

    package init(memoryLimit: Int = DocumentParsing.Options.defaultMemoryLimit) {
        budget = MemoryBudget(limit: memoryLimit)
        counts = ExternalSorter(budget: budget, indexed: true)
        images = ExternalSorter(budget: budget, indexed: false)
    }

    package func addImage(id: String, index: Double) throws {
        var payload: (UInt64, UInt64) = (UInt64(sequence).littleEndian, index.bitPattern.littleEndian)
        sequence += 1
        try RecordID(id).withKeyBytes { key in try withUnsafeBytes(of: &payload) { try images.append(key: key, payload: $0) } }
    }

    package func addAnnotation(imageID: String) throws {
        try addAnnotation(imageKey: RecordID(imageID))
    }

    /// One more annotation on the image `imageKey` (no `String`: the key is the id's own bytes).
    package func addAnnotation(imageKey: RecordID) throws {
        try addAnnotations(imageKey: imageKey, count: 1)
    }

    /// `count` more annotations on the image `imageKey` (a parallel parse's workers count them apart).
    @inline(__always)
    package func addAnnotations(imageKey: RecordID, count added: Int) throws {
        try imageKey.withKeyBytes { key in
            if let ordinal = counts.find(key) {
                let count = counts.payload(of: ordinal).baseAddress!
                RawBytes.store64(RawBytes.load64(count) + added, count)
                return
            }
            var first = UInt64(added).littleEndian
            try withUnsafeBytes(of: &first) { try counts.append(key: key, payload: $0) }
        }
    }

    /// The span over the images that have annotations, or nil when none has.
    package func finish() throws -> Span? {
        let annotated = try counts.sorted()
        let known = try images.sorted()
        defer {
            counts.reset()
            images.reset()
        }
        var span: Span?
        var current: [UInt8] = []
        while !annotated.atEnd {
            let count = try annotated.sumCounts(key: &current)
            while !known.atEnd && current.withUnsafeBytes({ RawBytes.compare(known.key, $0) }) < 0 { try known.advance() }
            var latest: (sequence: Int, index: Double)?
            while !known.atEnd && current.withUnsafeBytes({ RawBytes.compare(known.key, $0) }) == 0 {
                let order = RawBytes.load64(known.payload.baseAddress!)
                let index = Double(bitPattern: UInt64(truncatingIfNeeded: RawBytes.load64(known.payload.baseAddress! + 8)))
                if latest == nil || order > latest!.sequence { latest = (order, index) }
                try known.advance()
            }
            guard let index = latest?.index else { continue }
            if var value = span {
                value.minIndex = min(value.minIndex, index)
                value.maxIndex = max(value.maxIndex, index)
                value.images += 1
                value.fewest = min(value.fewest, count)
                value.most = max(value.most, count)
                span = value
            } else {
                span = Span(minIndex: index, maxIndex: index, images: 1, fewest: count, most: count)
            }
        }
        return span
    }
}
