/// Records rendered as JSON lines while they are parsed, byte for byte what
/// `RecordLineWriter` writes for the typed records: annotations straight from their fields
/// and coordinate chunks (no typed record, no copy of their coordinates), every other record
/// through `JSONWriter.record`. The lines gather until `take` hands them on.
final class RecordLineRenderer {
    let envelope: Bool
    /// The sections whose records are rendered; all when empty.
    let sections: Set<Section>
    /// Records delivered since the last `take`, rendered or not (another section).
    private(set) var delivered = 0
    /// Why a record could not be rendered; nothing is rendered after it.
    private(set) var failure: Error?
    private let json = JSONWriter(sink: { _ in })
    /// The current annotation's `segmentation`, rendered as its chunks come.
    private let polygons = JSONGenerator(pretty: false)
    private var polygonOpen = false
    /// Why the current annotation's coordinates could not be rendered (a number not finite).
    private var segmentationFailure: Error?
    private let annotations: Bool
    /// Whether a problem of the document has been found (validation on).
    private var problemFound = false
    /// The bytes of the lines gathered since the last `take` by records delivered before the
    /// first problem was found: the records that end before the problem's byte.
    private var bytesBeforeProblem = 0
    /// `bytesBeforeProblem` of the batch `take` is handing on.
    private(set) var batchBytesBeforeProblem = 0
    /// An annotation id to watch for (a split parse's placeholder record), and whether an
    /// annotation with that id has ended since it was set.
    var watchedID: RecordID? {
        didSet { watchedSeen = false }
    }
    private(set) var watchedSeen = false

    init(envelope: Bool, sections: Set<Section>, allowsNonFinite: Bool = false) {
        json.allowsNonFinite = allowsNonFinite
        polygons.allowsNonFinite = allowsNonFinite
        self.envelope = envelope
        self.sections = sections
        annotations = sections.isEmpty || sections.contains(.annotations)
    }

    /// Hands the lines rendered so far (each ending in a newline) and the number of records
    /// delivered since the last call, then starts afresh.
    func take(_ body: (UnsafeRawBufferPointer, Int) throws -> Void) throws {
        let count = delivered
        delivered = 0
        batchBytesBeforeProblem = problemFound ? bytesBeforeProblem : json.generator.pendingBytes
        bytesBeforeProblem = 0
        if json.generator.pendingBytes == 0 { return try body(UnsafeRawBufferPointer(start: nil, count: 0), count) }
        try json.generator.drain { try body($0, count) }
    }

    /// Drops the lines rendered since the last `take` (a split parse's placeholder record).
    func discard() {
        json.generator.rollback(to: 0)
        delivered = 0
        bytesBeforeProblem = 0
    }

    /// A problem of the document was found: the lines of records delivered from now on are
    /// after it.
    func problemReported() {
        problemFound = true
    }

    /// Notes the lines so far as before any problem, while none was found.
    private func delivering() {
        delivered += 1
        if !problemFound { bytesBeforeProblem = json.generator.pendingBytes }
    }

    func record(_ record: Record) {
        guard failure == nil else { return }
        defer { delivering() }
        guard sections.isEmpty || sections.contains(record.section) else { return }
        line(record.section) {
            try json.record(record)
        }
    }

    func annotationStart() {
        guard annotations else { return }
        polygons.reset()
        polygonOpen = false
        segmentationFailure = nil
        try? polygons.arrayOpen()
    }

    func segmentation(_ chunk: CoordinateChunk) {
        guard annotations, segmentationFailure == nil else { return }
        do {
            if !polygonOpen {
                try polygons.arrayOpen()
                polygonOpen = true
            }
            // The numbers as the input wrote them, when the parse kept their text.
            let kept: Void? = try chunk.withNumberText { text in
                if !text.isEmpty { try text.withUnsafeBytes { try polygons.atom($0, "number") } }
            }
            if kept == nil { try chunk.withBuffer { try polygons.numberList($0) } }
            if chunk.endsPolygon {
                try polygons.arrayClose()
                polygonOpen = false
            }
        } catch {
            segmentationFailure = error
        }
    }

    /// The annotation's line, as `JSONWriter.record` writes an `Annotation`.
    func annotationEnd(_ fields: AnnotationFields, boxes: [BoundingBox], boxText: [UInt8]?) {
        if let watchedID, fields.idKey == watchedID { watchedSeen = true }
        guard failure == nil else { return }
        defer { delivering() }
        guard annotations else { return }
        if let segmentationFailure {
            failure = segmentationFailure
            return
        }
        line(.annotations) {
            try json.generator.mapOpen()
            try json.name("id"); try json.id(fields.idKey)
            try json.name("image_id"); try json.id(fields.imageKey)
            try json.name("object_id"); try json.id(fields.objectKey)
            try json.name("iscrowd"); try json.number(fields.iscrowd)
            try json.name("bbox")
            if fields.bboxCount != nil { try json.boxes(boxes, text: boxText) } else { try json.generator.null() }
            try json.name("segmentation")
            if fields.polygonCount != nil {
                try polygons.arrayClose()
                try polygons.drain { try json.generator.atom($0, "value") }
            } else {
                try json.generator.null()
            }
            try json.members(fields.extra)
            try json.generator.mapClose()
        }
    }

    /// One line, in its envelope when asked; a record that fails leaves nothing of itself.
    private func line(_ section: Section, _ body: () throws -> Void) {
        let mark = json.generator.pendingBytes
        do {
            if envelope {
                try json.beginObject()
                try json.name("section")
                try json.sectionName(section)
                try json.name("record")
            }
            try body()
            if envelope { try json.generator.mapClose() }
            json.generator.endLine()
        } catch {
            json.generator.rollback(to: mark)
            failure = error
        }
    }
}
