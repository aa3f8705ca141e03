/// A stretch's lines, rendered (nil: not wanted), and the ids of its annotations.
struct RenderedStretch: @unchecked Sendable {
    let renderer: RecordLineRenderer?
    let ids: StretchIDs

    /// Gives the ids to the skeleton's tables (see `StretchIDs.check(in:)`).
    func check(in checker: ReferenceChecker) -> Bool { ids.check(in: checker) }
}

/// A worker's visitor of annotations: renders them as `records` does (`RecordBuilder`), and
/// notes their ids for the skeleton's tables.
struct RenderedLines: AnnotationPart, @unchecked Sendable {
    let renderer: RecordLineRenderer
    private var builder: RecordBuilder
    private(set) var ids = StretchIDs()

    init(renderer: RecordLineRenderer, maxCoordinates: Int) {
        self.renderer = renderer
        builder = RecordBuilder(maxCoordinates: maxCoordinates, renderer: renderer, deliver: { _, _ in })
    }

    /// Handed over whole, at the end of the stretch.
    var isFull: Bool { false }

    mutating func visitAnnotationStart(index: Int) throws {
        try builder.visitAnnotationStart(index: index)
    }

    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        try builder.visitCoordinates(chunk)
    }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        ids.note(fields)
        try builder.visitAnnotationEnd(fields, index: index)
    }
}
