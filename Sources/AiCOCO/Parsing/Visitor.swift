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
    /// (`DocumentParsing.Options.keepsNumberText`); `nil` otherwise (`body` is not called). The
    /// span lives during the call only.
    public func withNumberText<Result, Failure: Error>(
        _ body: (Span<UInt8>) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        guard let text else { return nil }
        return try body(UnsafeBufferPointer(start: text, count: textCount).span)
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
