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

/// The text that puts a new parser inside `annotations`, between records.
let stretchPrefix: [UInt8] = Array("{\"annotations\":[".utf8)

/// Reads stretch `range` of `file` with `parser` (new) as the document `{"annotations":[` +
/// stretch + `]`; true when the stretch is confirmed: it ended exactly between two records of
/// `annotations`, with nothing but annotations read and no problem. `stop` is asked before
/// each block (another stretch failed: give up).
func readStretch<Part: AnnotationPart>(_ range: Range<Int>, of file: PositionalFile,
                                       with parser: inout DocumentParser<StretchVisitor<Part>>,
                                       stop: () -> Bool) -> Bool {
    do {
        try parser.feed(stretchPrefix)
        let read = try file.readBlocks(range) { block in
            guard !stop() else { return false }
            try parser.feed(block)
            return true
        }
        // Every byte given has been read (none held back for a token that goes on, whose
        // events would come later), and annotations has not ended (nor anything else happened).
        let given = stretchPrefix.count + range.count
        guard read, parser.bytesFed == given, !parser.visitor.wrong, !parser.visitor.ended else {
            return false
        }
        try parser.feed([UInt8(ascii: "]")])
        guard parser.bytesFed == given + 1 else { return false }
    } catch {
        return false
    }
    return parser.visitor.ended && !parser.visitor.wrong
}

extension SplitParse {
    /// Parses stretch `range` of the file with a parser of its own (see `readStretch`); the
    /// part's contents go to `handOver` as they fill.
    func parseStretch(_ range: Range<Int>, handOver: @escaping (Part) -> Void) -> Bool {
        var options = self.options
        options.recordsArtifact = .skip
        var parser = DocumentParser(visitor: StretchVisitor(part: partTemplate, handOver: handOver), options: options)
        guard readStretch(range, of: file, with: &parser, stop: { failed }) else { return false }
        handOver(parser.visitor.part)
        addNonFinite(parser.nonFiniteCounts)
        return true
    }
}
