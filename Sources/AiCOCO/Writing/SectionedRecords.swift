/// A visitor that hands over whole typed records together with the section boundaries
/// (which the record reader does not report), so that a document can be rewritten in the
/// order of its sections, empty sections included. Annotations are assembled from their
/// coordinate chunks; only one record is held at a time. The records of a tabular output's
/// artifact (section `rows` after a `records` reference) are not part of the document and are
/// not handed over; inline records (section `rows` without a reference, FLaVor 2.1.0 to 2.2.1) are.
struct SectionedRecordVisitor: DocumentVisitor {
    private var builder: RecordBuilder
    private let sectionStart: (Section) throws -> Void
    private let sectionEnd: (Section, Int) throws -> Void
    /// A `records` reference was read: records of section `rows` are its artifact's.
    private var rowsInArtifact = false

    init(maxCoordinates: Int = DocumentParsing.Limits().maxCoordinatesPerRecord,
         sectionStart: @escaping (Section) throws -> Void = { _ in },
         record onRecord: @escaping (Record) throws -> Void,
         sectionEnd: @escaping (Section, Int) throws -> Void = { _, _ in }) {
        builder = RecordBuilder(maxCoordinates: maxCoordinates) { record, _ in try onRecord(record) }
        self.sectionStart = sectionStart
        self.sectionEnd = sectionEnd
    }

    mutating func visitSectionStart(_ section: Section) throws {
        if section != .rows || !rowsInArtifact { try sectionStart(section) }
    }
    mutating func visitSectionEnd(_ section: Section, count: Int) throws {
        if section != .rows || !rowsInArtifact { try sectionEnd(section, count) }
    }
    mutating func visit(_ record: Record, index: Int) throws {
        // The parser reports no section boundaries around `meta` and `records` (objects, not
        // arrays): each is handed over here as a section of one record.
        if record.section == .records { rowsInArtifact = true }
        if record.section == .rows && rowsInArtifact { return }
        if record.section.isSingleObject {
            try sectionStart(record.section)
            try builder.visit(record, index: index)
            try sectionEnd(record.section, 1)
        } else {
            try builder.visit(record, index: index)
        }
    }
    mutating func visitAnnotationStart(index: Int) throws { try builder.visitAnnotationStart(index: index) }
    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws { try builder.visitCoordinates(chunk) }
    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        try builder.visitAnnotationEnd(fields, index: index)
    }
}

/// Parses `input` through `visitor` on the calling thread (the visitor's own errors, e.g.
/// `FileOutput.Closed`, come out as they are).
func runParse<Visitor: DocumentVisitor>(_ input: DocumentSource, visitor: Visitor, options: DocumentParsing.Options,
                                            progress: ((Int) -> Void)? = nil) throws -> Visitor {
    var parser = DocumentParser(visitor: visitor, options: options)
    try parser.parse(input, progress: progress)
    return parser.visitor
}

/// Like `runParse`, from a chunk reader.
func runParse<Visitor: DocumentVisitor>(reader: ChunkReader, visitor: Visitor, options: DocumentParsing.Options,
                                     progress: ((Int) -> Void)? = nil) throws -> Visitor {
    var parser = DocumentParser(visitor: visitor, options: options)
    try parser.parse(reader: reader, progress: progress)
    return parser.visitor
}
