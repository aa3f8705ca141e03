/// The visitor of the skeleton's parser (see `SplitParse`): the caller's visitor, less the
/// placeholder annotation, folding in the workers' parts as they come. Any problem stops the
/// split parse (the file is then read again in order, where the problem is placed as usual).
struct SkeletonVisitor<Inner: SplittableVisitor>: DocumentVisitor {
    var inner: Inner
    unowned let run: SplitParse<Inner.Part>
    /// While the placeholder is read: an annotation start not yet passed on (it may be the
    /// placeholder's).
    private var heldStart: Int?
    private var sinceFold = 0

    init(inner: Inner, run: SplitParse<Inner.Part>) {
        self.inner = inner
        self.run = run
    }

    /// Folds in the workers' parts now and then (each look takes a lock).
    private mutating func foldParts(every count: Int) throws {
        sinceFold += 1
        guard sinceFold >= count else { return }
        sinceFold = 0
        for part in run.takeParts() { try inner.absorb(part) }
    }

    private mutating func passHeldStart() throws {
        guard let index = heldStart else { return }
        heldStart = nil
        try inner.visitAnnotationStart(index: index)
    }

    mutating func visitSectionStart(_ section: Section) throws {
        try inner.visitSectionStart(section)
    }

    mutating func visitSectionEnd(_ section: Section, count: Int) throws {
        try inner.visitSectionEnd(section, count: count)
        try foldParts(every: 1)
    }

    mutating func visit(_ record: Record, index: Int) throws {
        try inner.visit(record, index: index)
        try foldParts(every: 64)
    }

    mutating func visitAnnotationStart(index: Int) throws {
        try passHeldStart()
        if run.expectingPlaceholder {
            heldStart = index
        } else {
            try inner.visitAnnotationStart(index: index)
        }
    }

    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        try passHeldStart()
        try inner.visitCoordinates(chunk)
    }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        if run.expectingPlaceholder, heldStart != nil, fields.idKey == SplitParse<Inner.Part>.placeholderID {
            heldStart = nil
            run.placeholderSeen = true
            return
        }
        try passHeldStart()
        try inner.visitAnnotationEnd(fields, index: index)
        try foldParts(every: 64)
    }

    mutating func visitAnnotationDropped(index: Int) throws {
        try passHeldStart()
        try inner.visitAnnotationDropped(index: index)
    }

    mutating func visitProblem(_ error: DocumentError) throws {
        run.fail()
        throw error
    }
}
