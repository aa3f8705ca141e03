/// The visitor of a worker's parser: it reads one stretch of `annotations` as the document
/// `{"annotations":[` + stretch + `]`, forwards the annotations to a part, and notes anything
/// that is not an annotation (which means the stretch was not what the guess assumed).
struct StretchVisitor<Part: AnnotationPart>: DocumentVisitor {
    var part: Part
    let empty: Part
    /// Takes a full part (a worker may wait there until the parse's thread has room).
    let handOver: (Part) -> Void
    private var started = false
    /// `annotations` has ended (the `]` after the stretch).
    private(set) var ended = false
    /// Something other than annotations was read: the guess was wrong.
    private(set) var wrong = false

    init(part: Part, handOver: @escaping (Part) -> Void) {
        self.part = part
        empty = part
        self.handOver = handOver
    }

    mutating func visitSectionStart(_ section: Section) throws {
        if section != .annotations || started { wrong = true }
        started = true
    }

    mutating func visitSectionEnd(_ section: Section, count: Int) throws {
        if section != .annotations || ended { wrong = true }
        ended = true
    }

    mutating func visit(_ record: Record, index: Int) throws {
        wrong = true
    }

    mutating func visitAnnotationStart(index: Int) throws {
        if ended { wrong = true }
        try part.visitAnnotationStart(index: index)
    }

    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        try part.visitCoordinates(chunk)
    }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        try part.visitAnnotationEnd(fields, index: index)
        if part.isFull {
            handOver(part)
            part = empty
        }
    }

    mutating func visitAnnotationDropped(index: Int) throws {
        try part.visitAnnotationDropped(index: index)
    }
}

extension SplitParse {
    /// The text that puts a new parser inside `annotations`, between records.
    static var stretchPrefix: [UInt8] { Array("{\"annotations\":[".utf8) }

    /// Parses stretch `range` of the file with a parser of its own; true when the stretch is
    /// confirmed: it ended exactly between two records of `annotations`, with nothing but
    /// annotations read and no problem. The part's contents go to `handOver` as they fill.
    func parseStretch(_ range: Range<Int>, handOver: @escaping (Part) -> Void) -> Bool {
        var options = self.options
        options.recordsArtifact = .skip
        var parser = DocumentParser(visitor: StretchVisitor(part: partTemplate, handOver: handOver), options: options)
        do {
            try parser.feed(Self.stretchPrefix)
            let read = try file.readBlocks(range) { block in
                guard !failed else { return false }
                try parser.feed(block)
                return true
            }
            // Every byte given has been read (none held back for a token that goes on, whose
            // events would come later), and annotations has not ended (nor anything else happened).
            let given = Self.stretchPrefix.count + range.count
            guard read, parser.bytesFed == given, !parser.visitor.wrong, !parser.visitor.ended else {
                return false
            }
            try parser.feed([UInt8(ascii: "]")])
            guard parser.bytesFed == given + 1 else { return false }
        } catch {
            return false
        }
        let visitor = parser.visitor
        guard visitor.ended, !visitor.wrong else { return false }
        handOver(visitor.part)
        addNonFinite(parser.nonFiniteCounts)
        return true
    }
}
