/// Thrown by the record builder when one annotation holds more coordinates than the
/// per-record limit; the engine turns it into a `.limit` error with the place.
struct RecordLimitExceeded: Error {
    let message: String
}

/// A visitor that assembles whole typed records (annotations with all their coordinates)
/// and hands each one to `deliver`.
struct RecordBuilder: DocumentVisitor {
    let maxCoordinates: Int
    let deliver: (consuming Record, _ coordinateCount: Int) throws -> Void
    /// When set, problems are passed here and the parse goes on; otherwise they are thrown.
    let collectProblem: ((DocumentError) -> Void)?
    /// When set, records are rendered as JSON lines there instead of delivered (no typed annotation).
    let renderer: RecordLineRenderer?

    /// The annotation being read, in buffers reused from one annotation to the next: each
    /// record gets storage of its exact size, one allocation for its polygons (coordinates and
    /// ends together) and one for its boxes, whatever the sizes of the annotations before it.
    private var geometry = GeometryGatherer()

    init(maxCoordinates: Int, collectProblem: ((DocumentError) -> Void)? = nil, renderer: RecordLineRenderer? = nil,
         deliver: @escaping (consuming Record, Int) throws -> Void) {
        self.maxCoordinates = maxCoordinates
        self.collectProblem = collectProblem
        self.renderer = renderer
        self.deliver = deliver
    }

    mutating func visit(_ record: Record, index: Int) throws {
        if let renderer { return renderer.record(record) }
        try deliver(record, 0)
    }

    mutating func visitAnnotationStart(index: Int) throws {
        geometry.removeAll()
        renderer?.annotationStart()
    }

    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        if geometry.counting(chunk) > maxCoordinates {
            throw RecordLimitExceeded(message: "annotation \(chunk.annotationIndex) has more than \(maxCoordinates) coordinate numbers (limit maxCoordinatesPerRecord); raise the limit (--max-record-coordinates) or read it with the visitor API (DocumentParser), which streams coordinates in chunks")
        }
        if chunk.kind == .segmentation, let renderer { return renderer.segmentation(chunk) }
        geometry.add(chunk)
    }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        if let renderer { return renderer.annotationEnd(fields, boxes: geometry.boxes, boxText: geometry.keptBoxText) }
        var annotation = Annotation(
            idKey: fields.idKey, imageKey: fields.imageKey, objectKey: fields.objectKey, iscrowd: fields.iscrowd,
            bbox: fields.bboxCount == nil ? nil : exactCopy(geometry.boxes),
            segmentation: fields.polygonCount == nil ? nil : Polygons(copying: geometry.coordinates, ends: geometry.ends),
            extra: fields.extra)
        annotation.coordinateText = geometry.text
        try deliver(.annotation(annotation), geometry.count)
    }

    mutating func visitProblem(_ error: DocumentError) throws {
        guard let collectProblem else { throw error }
        renderer?.problemReported()
        collectProblem(error)
    }
}

/// A new array of exactly `array`'s elements (`Array(array)` would share, and so keep, the
/// reused buffer and its capacity).
private func exactCopy<Element>(_ array: [Element]) -> [Element] {
    array.withUnsafeBufferPointer { Array($0) }
}
