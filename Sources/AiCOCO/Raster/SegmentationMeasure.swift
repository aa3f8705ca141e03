/// Measures a segmentation: every object and every category on its own mask (the union of its
/// annotations' masks, each annotation's contours filled together as `cv2.fillPoly` fills a list
/// of contours), whatever else overlaps it: its area in pixels on each slice and its volume in
/// voxels; and every pair of objects (and of categories) that share pixels, with how many.
///
/// One validating pass over the input, in any order of sections and annotations: each
/// annotation's contours go, rounded and delta-encoded, into a table keyed by image that
/// spills to disk past `parserOptions.memoryLimit`. The table is then read back slice by slice
/// (the slice join): a slice's annotations are painted on a canvas of object sets (see
/// `SliceCanvas`) when it fits `sliceBufferBytes`, else scanned into runs of pixels swept row by
/// row (see `SliceSweep`; a slice needing more runs than the buffer holds is an error).
/// Contours are clipped to the image as they are scanned. Memory: the memory limit for the
/// tables, plus the slice buffer, plus the images, categories and objects.
///
/// ```swift
/// let result = try SegmentationMeasure(imageSize: (512, 512)).measure(.file("series.json"))
/// for object in result.objects { print(object.id, object.totals.voxels) }
/// ```
public struct SegmentationMeasure {
    /// Size of images that do not give theirs (`width`/`height` or `dicom` `Columns`/`Rows`).
    public var imageSize: (width: Int, height: Int)?
    /// The input is always validated (`validate` is set); `memoryLimit` bounds the tables.
    public var parserOptions: DocumentParsing.Options
    /// Most bytes one slice's raster may take: its canvas (4 bytes a pixel), or for a larger
    /// image its pixel runs (16 bytes a run).
    public var sliceBufferBytes: Int
    /// Whether a slice whose canvas fits `sliceBufferBytes` is painted on it (the fast form);
    /// when false, every slice's runs are sorted and swept (the same counts).
    public var paintsCanvas = true
    /// Threads that paint slices while the calling thread reads them back and counts (the same
    /// counts whatever the number). Each has its own canvas: with more than one, a slice is
    /// handed to them when `threads + 1` canvases of its size fit `sliceBufferBytes`, with at most
    /// `2 * threads` slices of at most 1 MiB of contours out at once.
    public var threads = 1
    /// Most contour bytes of a slice handed to a painter thread (for tests: smaller, to paint
    /// the rest of a slice on the calling thread).
    package var jobBytes = 1 << 20

    /// The slice buffer when none is given: the memory limit, at least 32 MiB.
    public static func defaultSliceBuffer(memoryLimit: Int) -> Int { max(memoryLimit, 32 << 20) }

    /// A measure; `sliceBufferBytes` defaults to `defaultSliceBuffer(memoryLimit:)` (at least 1 KiB).
    public init(imageSize: (width: Int, height: Int)? = nil, parserOptions: DocumentParsing.Options = DocumentParsing.Options(),
                sliceBufferBytes: Int? = nil) {
        self.imageSize = imageSize
        self.parserOptions = parserOptions
        self.sliceBufferBytes = max(1 << 10, sliceBufferBytes ?? Self.defaultSliceBuffer(memoryLimit: parserOptions.memoryLimit))
    }

    /// Reads `input` once and measures it. Throws the first problem validation finds (a
    /// `DocumentError`), `SegmentationMeasure.NoSegmentation` when every annotation is a box only, and
    /// `SegmentationError` when an image's size is unknown or a slice needs more than the slice buffer.
    /// `progress` gets the bytes read.
    public func measure(_ input: DocumentSource, progress: ((Int) -> Void)? = nil) throws -> SegmentationMeasurement {
        var options = parserOptions
        options.validate = true
        let budget = MemoryBudget(limit: parserOptions.memoryLimit)
        var parser = DocumentParser(visitor: MeasurePass(spill: ExternalSorter(budget: budget, indexed: false)), options: options)
        try parser.parse(input, progress: progress)
        let pass = parser.visitor
        if let problem = pass.firstProblem { throw problem }
        if let failure = pass.failure { throw failure }
        if pass.annotations > 0 && pass.segmented == 0 { throw SegmentationMeasure.NoSegmentation(annotations: pass.annotations) }
        var join = MeasureJoin(pass: pass, imageSize: imageSize, sliceBufferBytes: sliceBufferBytes, useCanvas: paintsCanvas,
                               threads: threads, jobLimit: jobBytes, rows: ExternalSorter(budget: budget, indexed: false))
        return try join.run(spill: pass.spill)
    }
}

/// The reading pass, a visitor of the validating parser: the catalog, and each annotation's
/// contours, as they stream past, into the spilling table.
struct MeasurePass: DocumentVisitor {
    let spill: ExternalSorter
    var catalog = SegmentationCatalog()
    var imageOrdinals: [RecordID: UInt32] = [:]
    var imageIDs: [RecordID] = []
    var objectOrdinals: [RecordID: UInt32] = [:]
    var objectIDs: [RecordID] = []
    var annotations = 0, segmented = 0
    /// The first problem validation found (the parse goes on, counting them).
    var firstProblem: DocumentError?
    var problems = 0
    /// An error of the spilling table (the disk), kept to be thrown after the parse.
    var failure: Error?
    /// The annotation being read: its contours, encoded; the polygon's points so far, encoded,
    /// their number, the last point and an x waiting for its y.
    private var body: [UInt8] = []
    private var contours = 0
    private var polygon: [UInt8] = []
    private var polygonBytes = 0
    private var points = 0
    private var previous: (x: Int64, y: Int64) = (0, 0)
    private var pendingX: Int64?
    private var payload: [UInt8] = []

    init(spill: ExternalSorter) { self.spill = spill }

    mutating func visit(_ record: Record, index: Int) throws { catalog.add(record) }

    mutating func visitProblem(_ error: DocumentError) throws {
        problems += 1
        if firstProblem == nil { firstProblem = error }
    }

    mutating func visitAnnotationStart(index: Int) throws {
        body.removeAll(keepingCapacity: true)
        startPolygon()
        contours = 0
    }

    private mutating func startPolygon() {
        polygonBytes = 0
        points = 0
        previous = (0, 0)
        pendingX = nil
    }

    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        guard chunk.kind == .segmentation else { return }
        // Per contour: its point count, then its points as zigzag varint deltas (10 bytes each at most).
        let room = polygonBytes + 10 * chunk.count
        if polygon.count < room { polygon.append(contentsOf: repeatElement(0, count: max(room, 2 * polygon.count) - polygon.count)) }
        var (length, count, previous, pendingX) = (polygonBytes, points, self.previous, self.pendingX)
        polygon.withUnsafeMutableBytes { polygon in
            let base = polygon.baseAddress!
            chunk.withBuffer { values in for value in values {
                guard let x = pendingX else {
                    pendingX = Self.integer(value)
                    continue
                }
                let y = Self.integer(value)
                let dx = x - previous.x, dy = y - previous.y
                RawBytes.writeVarint(Int((dx << 1) ^ (dx >> 63)), to: base, &length)
                RawBytes.writeVarint(Int((dy << 1) ^ (dy >> 63)), to: base, &length)
                previous = (x, y)
                pendingX = nil
                count += 1
            } }
        }
        (polygonBytes, points, self.previous, self.pendingX) = (length, count, previous, pendingX)
        guard chunk.endsPolygon else { return }
        RawBytes.appendVarint(points, to: &body)
        body.append(contentsOf: polygon[0..<polygonBytes])
        startPolygon()
        contours += 1
    }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        annotations += 1
        guard fields.polygonCount != nil, problems == 0, failure == nil else { return }
        segmented += 1
        let image = Self.ordinal(fields.imageKey, &imageOrdinals, &imageIDs)
        let object = Self.ordinal(fields.objectKey, &objectOrdinals, &objectIDs)
        // Payload: object, contour count, the contours.
        payload.removeAll(keepingCapacity: true)
        RawBytes.appendVarint(Int(object), to: &payload)
        RawBytes.appendVarint(contours, to: &payload)
        payload.append(contentsOf: body)
        var key = image.bigEndian
        do {
            try withUnsafeBytes(of: &key) { key in
                try payload.withUnsafeBytes { _ = try spill.append(key: key, payload: $0) }
            }
        } catch {
            failure = error
        }
    }

    mutating func visitAnnotationDropped(index: Int) throws { annotations += 1 }

    /// A coordinate as `ContourScanner` takes it: rounded to the nearest integer (ties to even),
    /// clamped to its limit.
    @inline(__always)
    static func integer(_ value: Double) -> Int64 { ContourScanner.rounded(value) }

    private static func ordinal(_ id: RecordID, _ ordinals: inout [RecordID: UInt32], _ ids: inout [RecordID]) -> UInt32 {
        if let ordinal = ordinals[id] { return ordinal }
        let ordinal = UInt32(ids.count)
        ordinals[id] = ordinal
        ids.append(id)
        return ordinal
    }
}
