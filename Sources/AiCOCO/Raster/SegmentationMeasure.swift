/// Measures a segmentation: every object and every category on its own mask (the union of its
/// own contours, each filled as `cv2.fillPoly` fills it), whatever else overlaps it: its area in
/// pixels on each slice and its volume in voxels; and every pair of objects (and of categories)
/// that share pixels, with how many.
///
/// One validating pass over the input, in any order of sections and annotations: each
/// annotation's contours go, rounded and delta-encoded, into a table keyed by image that
/// spills to disk past `parserOptions.memoryLimit`. The table is then read back slice by slice
/// (the slice join): a slice's contours are scanned into runs of pixels, which are swept row by
/// row (see `SliceSweep`). Memory: the memory limit for the tables, plus the runs of one slice
/// (`sliceBufferBytes`, 16 bytes a run; a slice needing more is an error), plus the images,
/// categories and objects; nothing grows with the image's size.
///
/// ```swift
/// let result = try SegmentationMeasure(imageSize: (512, 512)).measure(.file("series.json"))
/// for object in result.objects { print(object.id, object.totals.voxels) }
/// ```
public struct SegmentationMeasure {
    /// Size of images that do not give theirs (`width`/`height` or `dicom` `Columns`/`Rows`).
    public var imageSize: (width: Int, height: Int)?
    /// The input is always validated (`validate` is set); `memoryLimit` bounds the tables.
    public var parserOptions: ParserOptions
    /// Most bytes of pixel runs one slice may take (16 bytes a run).
    public var sliceBufferBytes: Int

    /// The slice buffer when none is given: the memory limit, at least 32 MiB.
    public static func defaultSliceBuffer(memoryLimit: Int) -> Int { max(memoryLimit, 32 << 20) }

    public init(imageSize: (width: Int, height: Int)? = nil, parserOptions: ParserOptions = ParserOptions(),
                sliceBufferBytes: Int? = nil) {
        self.imageSize = imageSize
        self.parserOptions = parserOptions
        self.sliceBufferBytes = max(1 << 10, sliceBufferBytes ?? Self.defaultSliceBuffer(memoryLimit: parserOptions.memoryLimit))
    }

    /// Reads `input` once and measures it. Throws the first problem validation finds (an
    /// `AiCOCOError`), `NoSegmentation` when every annotation is a box only, and
    /// `SegmentationError` when an image's size is unknown or a slice needs more than the slice buffer.
    /// `progress` gets the bytes read.
    public func measure(_ input: AiCOCOInput, progress: ((Int) -> Void)? = nil) throws -> SegmentationMeasurement {
        var options = parserOptions
        options.validate = true
        let reader = AiCOCORecordReader(input, options: RecordReaderOptions(parser: options))
        let budget = MemoryBudget(limit: parserOptions.memoryLimit)
        var pass = MeasurePass(spill: ExternalSorter(budget: budget, indexed: false))
        var seen = 0
        while let record = try reader.next() {
            try pass.add(record)
            seen += 1
            if seen & 1023 == 0 { progress?(reader.bytesRead) }
        }
        progress?(reader.bytesRead)
        if reader.problemCount > 0 { throw reader.problems[0] }
        if pass.annotations > 0 && pass.segmented == 0 { throw NoSegmentation(annotations: pass.annotations) }
        var join = MeasureJoin(pass: pass, imageSize: imageSize, runLimit: sliceBufferBytes / MemoryLayout<PixelRun>.stride,
                               rows: ExternalSorter(budget: budget, indexed: false))
        return try join.run(spill: pass.spill)
    }
}

/// The reading pass: the catalog, and each annotation's contours into the spilling table.
struct MeasurePass {
    let spill: ExternalSorter
    var catalog = SegmentationCatalog()
    var imageOrdinals: [AiID: UInt32] = [:]
    var imageIDs: [AiID] = []
    var objectOrdinals: [AiID: UInt32] = [:]
    var objectIDs: [AiID] = []
    var annotations = 0, segmented = 0
    private var payload: [UInt8] = []

    init(spill: ExternalSorter) { self.spill = spill }

    mutating func add(_ record: AiCOCORecord) throws {
        guard case .annotation(let annotation) = record else {
            catalog.add(record)
            return
        }
        annotations += 1
        guard let polygons = annotation.segmentation else { return }
        segmented += 1
        let image = Self.ordinal(annotation.imageKey, &imageOrdinals, &imageIDs)
        let object = Self.ordinal(annotation.objectKey, &objectOrdinals, &objectIDs)
        // Payload: object, contour count, then per contour its point count and its points as
        // zigzag varint deltas, rounded as the scanner rounds them.
        payload.removeAll(keepingCapacity: true)
        RawBytes.appendVarint(Int(object), to: &payload)
        RawBytes.appendVarint(polygons.ends.count, to: &payload)
        polygons.coordinates.withUnsafeBufferPointer { all in
            var start = 0
            for end in polygons.ends {
                let points = (end - start) / 2
                RawBytes.appendVarint(points, to: &payload)
                var previousX: Int64 = 0, previousY: Int64 = 0
                for point in 0..<points {
                    let x = Self.integer(all[start + 2 * point]), y = Self.integer(all[start + 2 * point + 1])
                    let dx = x - previousX, dy = y - previousY
                    RawBytes.appendVarint(Int((dx << 1) ^ (dx >> 63)), to: &payload)
                    RawBytes.appendVarint(Int((dy << 1) ^ (dy >> 63)), to: &payload)
                    (previousX, previousY) = (x, y)
                }
                start = end
            }
        }
        var key = image.bigEndian
        try withUnsafeBytes(of: &key) { key in
            try payload.withUnsafeBytes { _ = try spill.append(key: key, payload: $0) }
        }
    }

    /// A coordinate as `ContourScanner` takes it: rounded to the nearest integer (ties to even),
    /// clamped to its limit.
    static func integer(_ value: Double) -> Int64 {
        let limit = ContourScanner.coordinateLimit
        guard value.isFinite else { return value > 0 ? Int64(limit) : -Int64(limit) }
        return Int64(min(max(value.rounded(.toNearestOrEven), -limit), limit))
    }

    private static func ordinal(_ id: AiID, _ ordinals: inout [AiID: UInt32], _ ids: inout [AiID]) -> UInt32 {
        if let ordinal = ordinals[id] { return ordinal }
        let ordinal = UInt32(ids.count)
        ordinals[id] = ordinal
        ids.append(id)
        return ordinal
    }
}
