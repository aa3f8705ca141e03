/// Which kind of coordinate list a `CoordinateChunk` belongs to.
public enum CoordinateKind: String, Sendable, Equatable {
    /// An annotation's `bbox`: boxes of four numbers.
    case bbox
    /// An annotation's `segmentation`: polygons of x, y pairs.
    case segmentation
}

/// A bounded run of numbers from one polygon (or one bbox entry) of an annotation, lent to
/// `visitCoordinates`: read its numbers during that call (`withValues`, `forEach`, `append(to:)`,
/// or by index); they are gone once it returns.
public struct CoordinateChunk {
    /// Whether the numbers are a bbox's or a polygon's.
    public let kind: CoordinateKind
    /// Index of the annotation in `annotations`.
    public let annotationIndex: Int
    /// Index of the polygon (segmentation) or box (bbox) within the annotation.
    public let polygonIndex: Int
    /// Index, within the polygon, of the chunk's first number.
    public let offset: Int
    /// The engine's buffer, valid during the call the chunk is lent to.
    private let base: UnsafePointer<Double>
    /// How many numbers the chunk holds.
    public let count: Int
    /// True on the last chunk of the polygon (which may then hold no value).
    public let endsPolygon: Bool
    /// The numbers' input text, comma-separated (`DocumentParsing.Options.keepsNumberText`), else `nil`.
    private let text: UnsafePointer<UInt8>?
    private let textCount: Int

    init(kind: CoordinateKind, annotationIndex: Int, polygonIndex: Int, offset: Int,
         base: UnsafeMutablePointer<Double>, count: Int, endsPolygon: Bool,
         text: UnsafeMutablePointer<UInt8>? = nil, textCount: Int = 0) {
        self.kind = kind
        self.annotationIndex = annotationIndex
        self.polygonIndex = polygonIndex
        self.offset = offset
        self.base = UnsafePointer(base)
        self.count = count
        self.endsPolygon = endsPolygon
        self.text = UnsafePointer(text)
        self.textCount = textCount
    }

    /// Calls `body` with the chunk's numbers as the input wrote them, separated by commas
    /// (`1.0,2,3e0,-0`; empty when the chunk holds no number), when the parse keeps them
    /// (`DocumentParsing.Options.keepsNumberText`); `nil` otherwise. Valid during the call only.
    public func withNumberText<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result? {
        guard let text else { return nil }
        return try body(UnsafeBufferPointer(start: text, count: textCount))
    }

    /// The number at `index` (0..<count) of the chunk.
    public subscript(index: Int) -> Double {
        precondition(index >= 0 && index < count, "coordinate index out of range")
        return values[index]
    }

    /// Calls `body` with the chunk's numbers.
    public func withValues<Result, Failure: Error>(
        _ body: (Span<Double>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(values.span)
    }

    /// Calls `body` with each number, in order.
    public func forEach<Failure: Error>(_ body: (Double) throws(Failure) -> Void) throws(Failure) {
        for value in values { try body(value) }
    }

    /// Appends the chunk's numbers to `array`.
    public func append(to array: inout [Double]) {
        array.append(contentsOf: values)
    }

    /// The numbers, for the module's writers that take a buffer (valid during the call only).
    func withBuffer<Result>(_ body: (UnsafeBufferPointer<Double>) throws -> Result) rethrows -> Result {
        try body(values)
    }

    private var values: UnsafeBufferPointer<Double> { UnsafeBufferPointer(start: base, count: count) }
}

/// The fields of an annotation other than its coordinates, delivered once the
/// annotation's object has closed (keys may come in any order).
public struct AnnotationFields: Sendable, Equatable {
    /// The ids, held without allocation (see `RecordID`); `id`, `imageID` and `objectID` give them as text.
    public var idKey: RecordID
    /// The `image_id`, held as `idKey` is.
    public var imageKey: RecordID
    /// The `object_id`, held as `idKey` is.
    public var objectKey: RecordID
    /// The annotation's `id` as text.
    public var id: String { idKey.string }
    /// The `image_id` as text.
    public var imageID: String { imageKey.string }
    /// The `object_id` as text.
    public var objectID: String { objectKey.string }
    /// The `iscrowd` flag (0 or 1).
    public var iscrowd: Int
    /// Number of bbox entries, or `nil` for `"bbox": null`.
    public var bboxCount: Int?
    /// Number of polygons, or `nil` for `"segmentation": null`.
    public var polygonCount: Int?
    /// Keys the schema does not name, with their values, in the order read.
    public var extra: [JSONMember]
}

/// Receives an AiCOCO document as it is read: small records whole, annotations in parts with
/// their coordinates in bounded chunks, so that even a polygon of millions of points takes
/// constant memory. Every method has a default that does nothing, except `visitProblem`,
/// which by default throws (stop at the first problem); a visitor that returns from it
/// instead keeps the parse going (the record concerned is then dropped).
public protocol DocumentVisitor {
    /// A top-level section's array begins.
    mutating func visitSectionStart(_ section: Section) throws
    /// A section's array ends, after `count` records.
    mutating func visitSectionEnd(_ section: Section, count: Int) throws
    /// An image, category, regression, object or the meta record (not annotations).
    mutating func visit(_ record: Record, index: Int) throws
    /// The annotation at `index` begins; its coordinates and fields follow.
    mutating func visitAnnotationStart(index: Int) throws
    /// The next bounded chunk of the current annotation's bbox or segmentation numbers.
    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws
    /// The annotation at `index` ends, with its scalar fields.
    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws
    /// The annotation at `index` had a problem and was dropped (only when `visitProblem` returned).
    mutating func visitAnnotationDropped(index: Int) throws
    /// A problem with the input. Syntax errors and limits end the parse whatever this does.
    mutating func visitProblem(_ error: DocumentError) throws
}

extension DocumentVisitor {
    /// Does nothing.
    public mutating func visitSectionStart(_ section: Section) throws {}
    /// Does nothing.
    public mutating func visitSectionEnd(_ section: Section, count: Int) throws {}
    /// Does nothing.
    public mutating func visit(_ record: Record, index: Int) throws {}
    /// Does nothing.
    public mutating func visitAnnotationStart(index: Int) throws {}
    /// Does nothing.
    public mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {}
    /// Does nothing.
    public mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {}
    /// Does nothing.
    public mutating func visitAnnotationDropped(index: Int) throws {}
    /// Throws `error`: the parse stops at the first problem.
    public mutating func visitProblem(_ error: DocumentError) throws { throw error }
}

/// What the engine reports to; `DocumentParser` adapts a visitor to it.
protocol EngineDelegate: AnyObject {
    func engineSectionStart(_ section: Section) throws
    func engineSectionEnd(_ section: Section, count: Int) throws
    func engineRecord(_ record: Record, index: Int) throws
    func engineAnnotationStart(index: Int) throws
    func engineCoordinates(_ chunk: CoordinateChunk) throws
    func engineAnnotationEnd(_ fields: AnnotationFields, index: Int) throws
    func engineAnnotationDropped(index: Int) throws
    func engineProblem(_ error: DocumentError) throws
}

final class VisitorAdapter<Visitor: DocumentVisitor>: EngineDelegate {
    /// The visitor, behind a pointer: a class's stored `var` costs a dynamic exclusivity check
    /// at each call, and this one is called per polygon.
    private let storage: UnsafeMutablePointer<Visitor>

    var visitor: Visitor { storage.pointee }

    init(_ visitor: Visitor) {
        storage = .allocate(capacity: 1)
        storage.initialize(to: visitor)
    }

    deinit {
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    func engineSectionStart(_ section: Section) throws { try storage.pointee.visitSectionStart(section) }
    func engineSectionEnd(_ section: Section, count: Int) throws {
        try storage.pointee.visitSectionEnd(section, count: count)
    }
    func engineRecord(_ record: Record, index: Int) throws { try storage.pointee.visit(record, index: index) }
    func engineAnnotationStart(index: Int) throws { try storage.pointee.visitAnnotationStart(index: index) }
    func engineCoordinates(_ chunk: CoordinateChunk) throws { try storage.pointee.visitCoordinates(chunk) }
    func engineAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        try storage.pointee.visitAnnotationEnd(fields, index: index)
    }
    func engineAnnotationDropped(index: Int) throws { try storage.pointee.visitAnnotationDropped(index: index) }
    func engineProblem(_ error: DocumentError) throws {
        guard decompressedNotePending else { return try storage.pointee.visitProblem(error) }
        try storage.pointee.visitProblem(notingDecompressed(error))
    }

    /// The input is decompressed and no problem has said yet that its places are in the text.
    var decompressedNotePending = false

    /// `error` with the note that its place is in the decompressed text, when it is the first
    /// placed in the input since `decompressedNotePending` was set.
    func notingDecompressed(_ error: DocumentError) -> DocumentError {
        guard decompressedNotePending, error.file == nil, error.kind != .io else { return error }
        decompressedNotePending = false
        var error = error
        error.message += DocumentError.decompressedNote
        return error
    }
}

/// An incremental, push-style AiCOCO parser: feed it bytes in chunks of any size, then
/// `finish()`. It calls the visitor as the document is read and keeps no more than the
/// record being read, whatever the size of the input. It is not copyable (a copy would read
/// on from the same place as the original): pass it `inout`, or `consume` it.
///
/// ```swift
/// var parser = DocumentParser(visitor: MyVisitor())
/// try parser.feed(chunk1); try parser.feed(chunk2)
/// try parser.finish()
/// print(parser.visitor)
/// ```
public struct DocumentParser<Visitor: DocumentVisitor>: ~Copyable {
    /// The visitor, adapted to what the engine reports to (the engine's delegate).
    private let adapter: VisitorAdapter<Visitor>
    private var engine: DocumentEngine
    /// The options the parser was made with.
    public let options: DocumentParsing.Options
    /// `NaN`, `Infinity` and `-Infinity` read in the records artifact (once read).
    private var artifactNonFiniteCounts = NonFiniteCounts()

    /// A parser that reports to `visitor`, at the start of a document.
    public init(visitor: Visitor, options: DocumentParsing.Options = DocumentParsing.Options()) {
        self.options = options
        adapter = VisitorAdapter(visitor)
        engine = DocumentEngine(options: options, delegate: adapter)
    }

    /// What the document is (its kind and, for a tabular output, the form of its records, which
    /// tells the FLaVor releases that write it), once it has ended with the keys of a kind.
    public var documentForm: DocumentForm? { engine.documentForm }

    /// `NaN`, `Infinity` and `-Infinity` read (with `allowNonFinite`), in the document and its
    /// artifact (once read).
    public var nonFiniteCounts: NonFiniteCounts { engine.nonFinite.counts + artifactNonFiniteCounts }

    /// The visitor, with whatever it has gathered so far.
    public var visitor: Visitor { adapter.visitor }

    /// Bytes fed so far.
    public var bytesFed: Int { engine.places.bytesFed }

    /// The tables that check ids and references (validation on).
    var referenceChecker: ReferenceChecker? { engine.checker }

    /// Problems' places are in decompressed text: the first one placed says so.
    func noteDecompressedPlaces() { adapter.decompressedNotePending = true }

    /// `error` thrown while reading decompressed input: a failure of the compressed stream placed
    /// where the text fed so far ends, the first error placed in the text noted as such.
    /// A JSON error in the text of a corrupt stream is that corruption (looked for a little ahead
    /// in `reader`), placed where the text went wrong.
    mutating func placedInDecompressedText(_ error: any Error, from reader: ChunkReader? = nil) -> any Error {
        guard var error = error as? DocumentError else { return error }
        if error.kind == .compression && error.location.line == 0 {
            (error.location, error.path) = engine.endOfInput()
        } else if error.kind != .compression && error.kind != .io && error.file == nil,
                  let gzip = reader as? GzipReader, let corrupt = gzip.failureAhead() {
            error.message = corrupt.message + ", found after the text went wrong here: " + error.message
            error.kind = .compression
        }
        return adapter.notingDecompressed(error)
    }

    /// Reads the next chunk of the document.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws {
        try engine.feed(UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                            count: bytes.count))
    }

    /// Reads the next chunk of the document.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws {
        let done: Void? = try bytes.withContiguousStorageIfAvailable { try engine.feed($0) }
        if done == nil {
            try Array(bytes).withUnsafeBufferPointer { try engine.feed($0) }
        }
    }

    /// Ends the input: reports a document cut short, and references that were never resolved.
    public mutating func finish() throws {
        try engine.finish()
    }

    /// Ends the input like `finish()`, then, for a tabular output, reads its records artifact
    /// from where `options.recordsArtifact` says (`document` is where the document came from, to
    /// look beside it): its records reach the visitor as section `rows` (`TabularRecord`s), its
    /// problems are placed in it (`DocumentError.file`). References are checked last, the
    /// artifact's with the document's. `parse(_:)` does this; with `feed`, call it instead of `finish()`.
    public mutating func finish(readingRecordsArtifactOf document: DocumentSource?) throws {
        try finishDocument()
        let artifact = try openRecordsArtifact(documentAt: document)
        while try artifact?.step() == true {}
        try finishArtifact(artifact)
    }

    /// The document's end, without the reference problems (`finishArtifact` reports them).
    mutating func finishDocument() throws {
        try engine.finish(checkingReferences: false)
    }

    /// After `finishDocument()`: the artifact of a tabular output, opened, its section begun;
    /// nil when there is none to read.
    mutating func openRecordsArtifact(documentAt document: DocumentSource?) throws -> RecordsArtifactStream? {
        guard let artifact = engine.tabularArtifact, options.recordsArtifact != .skip else { return nil }
        guard let path = options.recordsArtifact.path(for: artifact.reference, documentAt: document) else {
            throw DocumentError(kind: .io, message: "the records of this tabular output are in \(jsonQuoted(artifact.reference.fileName)) (\(artifact.reference.locationKey)), which cannot be looked for beside \(document?.displayName ?? "this input"): give its path (--records FILE)",
                              path: "$." + artifact.reference.locationKey, location: SourceLocation(offset: 0, line: 1, column: 1))
        }
        let delegate: EngineDelegate = adapter
        let stream: RecordsArtifactStream
        do {
            stream = try RecordsArtifactStream(
                path: path, reference: artifact.reference, windowSize: artifact.windowSize, options: options,
                checker: artifact.checker, report: { try delegate.engineProblem($0) },
                deliver: { try delegate.engineRecord(.tabularRecord($0), index: $1) })
        } catch let error as DocumentError where error.kind == .io {
            throw DocumentError(kind: .io, message: error.message + " (the records artifact named by \(artifact.reference.locationKey))",
                              path: "$." + artifact.reference.locationKey, location: error.location, file: path)
        }
        try delegate.engineSectionStart(.rows)
        return stream
    }

    /// Ends the artifact's section (when there was one) and reports the reference problems.
    mutating func finishArtifact(_ artifact: RecordsArtifactStream?) throws {
        if let artifact {
            artifactNonFiniteCounts = artifact.nonFiniteCounts
            try adapter.engineSectionEnd(.rows, count: artifact.delivered)
        }
        try engine.finishReferences(artifact: artifact?.path)
    }
}
