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
/// tables, plus the slice buffer, plus the images, categories and objects (held flat: about
/// 60 bytes an image, 70 an object, see `MeasureObjects`; the objects' totals spill).
///
/// ```swift
/// let result = try SegmentationMeasure(imageSize: (512, 512)).measure(.file("series.json"))
/// for object in try result.objects { print(object.id, object.totals.voxels) }
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
    /// Threads that read a big regular file (its `annotations` split among them, see
    /// `MeasureSplitPass`), then paint slices while the calling thread reads them back and counts
    /// (the same counts whatever the number). Each painter has its own canvas: with more than one, a slice is
    /// handed to them when `threads + 1` canvases of its size fit `sliceBufferBytes`, with at most
    /// `2 * threads` slices of at most 1 MiB of contours out at once.
    public var threads = 1
    /// Most contour bytes of a slice handed to a painter thread (for tests: smaller, to paint
    /// the rest of a slice on the calling thread).
    package var jobBytes = 1 << 20
    /// How the reading of a big regular file is split among threads (nil: `threads` threads,
    /// the default stretch sizes). The result is the same whatever the split.
    public var split: SplitOptions?
    /// Whether the overlapping pairs' totals are left to be summed when first asked (`overlaps()`,
    /// the summaries), not before `measure` returns: for a reader that sums them from the pairs'
    /// rows itself (`aicoco measure`'s CSV, see `noteOverlapSummaries`).
    package var defersPairTotals = false

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
    /// `SegmentationError` when an image's size is unknown or a slice needs more than the slice
    /// buffer, and `SegmentationMeasure.NonFiniteCoordinate` when a `segmentation` has a NaN or
    /// infinite coordinate (read under `allowNonFinite`).
    /// `progress` gets the bytes read.
    public func measure(_ input: DocumentSource, progress: ((Int) -> Void)? = nil) throws -> SegmentationMeasurement {
        var options = parserOptions
        options.validate = true
        // A budget for each pass: a split pass that gives up leaves its tables registered
        // (unowned) in its budget after they end; the in-order read must not spill them.
        var budget = MemoryBudget(limit: parserOptions.memoryLimit)
        let makePass = {
            budget = MemoryBudget(limit: parserOptions.memoryLimit)
            return MeasurePass(spill: ExternalSorter(budget: budget, indexed: false, wide: true))
        }
        // A big regular file is read by `split.threads` threads; else (or on any problem) in order.
        let pass: MeasurePass
        if let split = MeasureSplitPass.pass(input, options: options, split: split ?? SplitOptions(threads: threads),
                                             makePass: makePass, progress: progress) {
            pass = split
        } else {
            var parser = DocumentParser(visitor: makePass(), options: options)
            try parser.parse(input, progress: progress)
            pass = parser.visitor
        }
        if let failure = pass.intake.failure { throw failure }
        if let id = pass.intake.nonFiniteAnnotation {
            throw NonFiniteCoordinate(annotationID: id.string)
        }
        if pass.annotations > 0 && pass.segmented == 0 { throw SegmentationMeasure.NoSegmentation(annotations: pass.annotations) }
        var join = MeasureJoin(pass: pass, imageSize: imageSize, sliceBufferBytes: sliceBufferBytes, useCanvas: paintsCanvas,
                               threads: threads, jobLimit: jobBytes, rows: ExternalSorter(budget: budget, indexed: false),
                               categoryRows: ExternalSorter(budget: budget, indexed: false),
                               pairRows: ExternalSorter(budget: budget, indexed: false))
        join.defersPairTotals = defersPairTotals
        return try join.run(spill: pass.spill)
    }
}

/// The reading pass, a visitor of the validating parser: the catalog, and each annotation's
/// contours, as they stream past, into the spilling table (`MeasureIntake`). In the split pass
/// (see `MeasureSplitPass`) it reads the skeleton, and the workers' annotations reach the
/// intake in file order.
struct MeasurePass: SkeletonNoting {
    let intake: MeasureIntake
    var catalog = SegmentationCatalog()
    /// The split pass's skeleton (problems collected, not counted); nil: the one-thread pass.
    var skeleton: SplitSkeleton?
    private var encoder = ContourEncoder()

    init(spill: ExternalSorter) { intake = MeasureIntake(spill: spill) }

    var spill: ExternalSorter { intake.spill }
    var annotations: Int { intake.annotations }
    var segmented: Int { intake.segmented }

    mutating func visit(_ record: Record, index: Int) throws {
        // Images and objects into the intake's flat tables, not the catalog's arrays of Strings.
        switch record {
        case .image(let image): intake.images.add(image)
        case .object(let object): intake.objects.addFileObject(id: object.id, categoryIDs: object.categoryIDs ?? [])
        default: catalog.add(record)
        }
    }

    mutating func visitProblem(_ error: DocumentError) throws {
        if let skeleton { return skeleton.problems.append(error) }
        // The first problem ends the read (what follows it is never read: an endless input
        // that goes wrong is not read on).
        intake.takes = false
        throw error
    }

    mutating func visitAnnotationStart(index: Int) throws { encoder.start() }

    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws { encoder.add(chunk) }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        if let skeleton, skeleton.watchesPlaceholder {
            skeleton.watchedEnds += 1
            if fields.idKey == SplitParse<AnnotationCounts>.placeholderID { return skeleton.placeholderSeen = true }
        }
        intake.annotations += 1
        guard fields.polygonCount != nil else { return }
        if encoder.nonFinite { intake.noteNonFinite(fields.idKey) }
        encoder.withBody { body in
            intake.add(image: fields.imageKey, object: fields.objectKey, contours: encoder.contours, body: body)
        }
    }

    mutating func visitAnnotationDropped(index: Int) throws { intake.annotations += 1 }
}

/// Where the reading pass puts the annotations: each segmented one's contours into the spill,
/// keyed by its image's id and its number among them (`imageKey`: no table of images that grows
/// with them), led by its object's ordinal (in order of first sight, see `MeasureObjects`).
final class MeasureIntake {
    let spill: ExternalSorter
    /// The objects annotations name and those the file lists.
    let objects = MeasureObjects()
    /// The file's images.
    var images = MeasureImages()
    var annotations = 0, segmented = 0
    /// An error of the spilling table (the disk), kept to be thrown after the parse.
    var failure: Error?
    /// The first annotation with a NaN or infinite coordinate in its `segmentation`.
    private(set) var nonFiniteAnnotation: RecordID?
    /// False once a problem is found: nothing more is spilled (the measure will not be given).
    var takes = true
    private var payload: [UInt8] = [], key: [UInt8] = []
    private var lastObject: (key: RecordID, ordinal: UInt32)?

    init(spill: ExternalSorter) { self.spill = spill }

    func noteNonFinite(_ id: RecordID) {
        if nonFiniteAnnotation == nil { nonFiniteAnnotation = id }
        takes = false
    }

    /// A segmented annotation of `image` and `object`, its `contours` encoded as `body`, into the spill.
    func add(image imageKey: RecordID, object objectKey: RecordID, contours: Int, body: UnsafeRawBufferPointer) {
        guard takes, failure == nil else { return }
        segmented += 1
        let object = ordinal(of: objectKey)
        key.removeAll(keepingCapacity: true)
        Self.appendImageKey(imageKey, to: &key)
        payload.removeAll(keepingCapacity: true)
        RawBytes.appendVarint(contours, to: &payload)
        payload.append(contentsOf: body)
        key.withUnsafeBytes { key in
            payload.withUnsafeBytes { take(key: key, sequence: segmented, object: object, rest: $0) }
        }
    }

    /// Spills the annotation number `sequence` (among the segmented ones, from 1): its image's
    /// part of the key, its object's ordinal, and the rest of its payload (contour count, contours).
    @inline(__always)
    func take(key: UnsafeRawBufferPointer, sequence: Int, object: UInt32, rest: UnsafeRawBufferPointer) {
        do {
            try spill.append(key: key, sequence: UInt64(sequence), head: Int(object), payload: rest)
        } catch {
            failure = error
        }
    }

    /// The ordinal of an object (in order of first sight); a new one is given the next.
    func ordinal(of objectKey: RecordID) -> UInt32 {
        // An object's annotations mostly follow one another (FLaVor's order): its last ordinal, at hand.
        if let lastObject, lastObject.key == objectKey { return lastObject.ordinal }
        let ordinal = objects.ordinal(of: objectKey)
        lastObject = (objectKey, ordinal)
        return ordinal
    }

    /// Appends an image's part of a key in the spill to `key`: 1 and its two packed words (an
    /// inline id or a nanoid), or 0, the length of its UTF-8 (4 bytes) and its UTF-8. The key
    /// goes on with the annotation's number (8 bytes, big-endian): a slice's annotations in file order.
    static func appendImageKey(_ id: RecordID, to key: inout [UInt8]) {
        var head: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &head) { head in
            if let words = id.packedWords {
                head[0] = 1
                head.storeBytes(of: words.high.bigEndian, toByteOffset: 1, as: UInt64.self)
                head.storeBytes(of: words.low.bigEndian, toByteOffset: 9, as: UInt64.self)
                key.append(contentsOf: UnsafeRawBufferPointer(rebasing: head[0..<17]))
            } else {
                id.withUTF8 { utf8 in
                    head[0] = 0
                    head.storeBytes(of: UInt32(utf8.count).bigEndian, toByteOffset: 1, as: UInt32.self)
                    key.append(contentsOf: UnsafeRawBufferPointer(rebasing: head[0..<5]))
                    key.append(contentsOf: utf8)
                }
            }
        }
    }

    /// The id of the image of a key in the spill.
    static func imageID(_ key: UnsafeRawBufferPointer) -> String { imageRecordID(key).string }

    /// The id of the image of a key in the spill, as a `RecordID` (a packed one is no string).
    static func imageRecordID(_ key: UnsafeRawBufferPointer) -> RecordID {
        func word(_ offset: Int) -> UInt64 { UInt64(bigEndian: key.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        guard key.first == 1 else { return RecordID(String(decoding: key[5..<key.count - 8], as: UTF8.self)) }
        return RecordID(packedHigh: word(1), low: word(9))
    }

    /// The number of the annotation of a key in the spill (among the segmented ones, from 1).
    static func sequence(_ key: UnsafeRawBufferPointer) -> Int {
        Int(UInt64(bigEndian: key.loadUnaligned(fromByteOffset: key.count - 8, as: UInt64.self)))
    }
}
