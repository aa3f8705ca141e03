/// Converts an AiCOCO document to standard COCO detection/segmentation JSON (as read by
/// pycocotools' `COCO(...)`), in constant memory, in one validating pass over the input:
/// images, categories and objects are kept in budgeted tables, each annotation is converted
/// as it comes and spilled to a temporary file (its object, which gives its categories and
/// score, usually comes later). Once the whole document is read and valid, the COCO document is
/// written: one COCO annotation per category of the annotation's object. An invalid input
/// writes nothing.
///
/// Ids become integers 1, 2, ... in file order; the AiCOCO ids are kept in `aicoco_id`.
/// An annotation with contours becomes its pixels (`COCOMask`: the contours filled as
/// `cv2.fillPoly` fills them, clipped to the image), written as `segmentation` (polygons along
/// the pixels' outer corners, or RLE) that pycocotools reads back to exactly those pixels;
/// `area` is their number and `bbox` `[x, y, width, height]` their box. An annotation with
/// boxes only gets each box as a rectangle polygon (`COCOGeometry`).
public struct COCOConverter {
    /// How the input is parsed.
    public var parserOptions: DocumentParsing.Options
    /// Image size for images that do not carry `width`/`height` (or `dicom.Columns`/`Rows`).
    public var imageSize: (width: Int, height: Int)?
    /// Whether the COCO JSON is indented.
    public var pretty: Bool
    /// How an annotation's pixels are written.
    public var segmentation: COCOConverter.SegmentationForm
    /// The most pixels the raster of one annotation may take (its contours' box in its image,
    /// one byte each); more is an error.
    public var maxMaskPixels = 1 << 26
    /// Threads to convert with (1: one). The pixels of annotations with contours are built on
    /// several; the output is the same bytes whatever the number.
    public var split = SplitOptions(threads: 1)

    /// A converter.
    public init(parserOptions: DocumentParsing.Options = DocumentParsing.Options(), imageSize: (width: Int, height: Int)? = nil,
                pretty: Bool = false, segmentation: COCOConverter.SegmentationForm = .polygon) {
        self.parserOptions = parserOptions
        self.imageSize = imageSize
        self.pretty = pretty
        self.segmentation = segmentation
    }

    /// What a conversion wrote and left out.
    public struct Summary: Sendable, Equatable {
        /// COCO records written.
        public var images = 0, categories = 0, annotations = 0
        /// AiCOCO annotations left out: their object has no category, or they have neither bbox nor polygon.
        public var skippedNoCategory = 0, skippedNoGeometry = 0
        /// AiCOCO annotations left out: their contours have no pixel inside their image.
        public var skippedOutsideImage = 0
    }

    /// The visitor of the pass: keeps the catalog's records and spills the annotations.
    struct Pass: SkeletonNoting {
        let catalog: Catalog
        var annotations: SpillingAnnotations
        /// No size was given for images without one.
        let needsImageSizes: Bool
        /// The split pass's skeleton (problems collected, not thrown); nil: the one-thread pass.
        var skeleton: SplitSkeleton?

        init(catalog: Catalog, spill: AnnotationSpill, maxCoordinates: Int, needsImageSizes: Bool) {
            self.catalog = catalog
            annotations = SpillingAnnotations(spill: spill, maxCoordinates: maxCoordinates)
            self.needsImageSizes = needsImageSizes
        }

        mutating func visit(_ record: Record, index: Int) throws {
            try catalog.add(record)
            if needsImageSizes && catalog.firstImageWithoutSize != nil { annotations.converts = false }
        }

        mutating func visitAnnotationStart(index: Int) throws {
            annotations.start()
        }

        mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
            try annotations.add(chunk)
        }

        mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
            if let skeleton, skeleton.watchesPlaceholder {
                skeleton.watchedEnds += 1
                if fields.idKey == SplitParse<AnnotationCounts>.placeholderID { return skeleton.placeholderSeen = true }
            }
            try annotations.end(fields)
        }

        mutating func visitProblem(_ error: DocumentError) throws {
            guard let skeleton else { throw error }
            skeleton.problems.append(error)
        }
    }

    /// Gathers each annotation's coordinates (at most `maxCoordinates`) and spills it.
    struct SpillingAnnotations {
        let spill: AnnotationSpill
        let maxCoordinates: Int
        /// False once an image without size is seen and no size was given: the conversion will
        /// refuse, so only the validation goes on.
        var converts = true
        private var geometry = GeometryGatherer()

        init(spill: AnnotationSpill, maxCoordinates: Int) {
            self.spill = spill
            self.maxCoordinates = maxCoordinates
        }

        mutating func start() {
            geometry.removeAll()
        }

        mutating func add(_ chunk: CoordinateChunk) throws {
            if geometry.counting(chunk) > maxCoordinates {
                throw RecordLimitExceeded(message: "annotation \(chunk.annotationIndex) has more than \(maxCoordinates) coordinate numbers (limit maxCoordinatesPerRecord); raise the limit (--max-record-coordinates)")
            }
            geometry.add(chunk)
        }

        mutating func end(_ fields: AnnotationFields) throws {
            guard converts else { return }
            try geometry.coordinates.withUnsafeBufferPointer { polygons in
                try spill.add(fields, polygons: polygons, ends: fields.polygonCount == nil ? nil : geometry.ends,
                              boxes: fields.bboxCount == nil ? nil : geometry.boxes)
            }
        }
    }

    /// Converts `input`, read once; nothing is written to `json` unless the whole input is valid.
    /// `progress` gets the bytes read so far.
    public func convert(_ input: DocumentSource, to json: JSONWriter, progress: ((_ bytes: Int) -> Void)? = nil) throws -> Summary {
        // The memory limit is shared: half for the reference checks, half for the catalog.
        var options = parserOptions
        options.validate = true
        options.recordsArtifact = .skip
        options.memoryLimit = parserOptions.memoryLimit / 2
        let makePass = {
            Pass(catalog: Catalog(memoryLimit: parserOptions.memoryLimit / 2), spill: try AnnotationSpill(pretty: json.pretty),
                 maxCoordinates: options.limits.maxCoordinatesPerRecord, needsImageSizes: imageSize == nil)
        }
        // A big file's annotations split among threads; on any problem, read again in order.
        let pass = try passSplitting(input, options: options, pretty: json.pretty, makePass: makePass, progress: progress)
            ?? runParse(input, visitor: makePass(), options: options, progress: progress)
        let catalog = pass.catalog, spill = pass.annotations.spill
        if catalog.isTabular { throw NothingToDoForTabular(operation: "convert to COCO") }
        if let id = catalog.firstImageWithoutSize, imageSize == nil {
            throw MissingImageSize(imageID: id)
        }
        try catalog.freeze(memoryLimit: parserOptions.memoryLimit)
        let annotations = try spill.finish()

        var summary = Summary()
        try json.beginObject()
        try json.key("info")
        try json.beginObject()
        try json.field("description", "Converted from AiCOCO by aicoco convert --to coco")
        if let meta = catalog.meta {
            try json.key("aicoco_meta")
            try json.record(.meta(meta))
        }
        try json.endObject()
        try json.key("licenses"); try json.beginArray(); try json.endArray()

        try json.key("images")
        try json.beginArray()
        var imageNumber = 0
        try catalog.forEachImage { id, fileName, width, height in
            imageNumber += 1
            try json.beginObject()
            try json.key("id"); try json.number(imageNumber)
            try json.field("file_name", fileName)
            try json.key("width"); try json.number(width ?? imageSize!.width)
            try json.key("height"); try json.number(height ?? imageSize!.height)
            try json.field("aicoco_id", id)
            try json.endObject()
            summary.images += 1
        }
        try json.endArray()

        try json.key("categories")
        try json.beginArray()
        let names = Dictionary(catalog.categories.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        for (number, category) in catalog.categories.enumerated() {
            try json.beginObject()
            try json.key("id"); try json.number(number + 1)
            try json.field("name", category.name)
            try json.field("supercategory", category.supercategoryID.flatMap { names[$0] } ?? "")
            try json.field("aicoco_id", category.id)
            try json.endObject()
            summary.categories += 1
        }
        try json.endArray()

        try json.key("annotations")
        try json.beginArray()
        if let annotations {
            // Several threads build pixels once there is enough text for them (any text when
            // the split is for tests).
            let pool = split.threads > 1 && annotations.text.size >= min(1 << 20, split.minimumBytes)
                ? try PixelPool(index: annotations.index.another(window: 1 << 16), text: annotations.text.another(window: 1 << 18),
                                catalog: catalog, imageSize: imageSize, threads: split.threads,
                                jobBytes: min(1 << 16, split.stretchBytes), builtBytes: min(1 << 20, split.stretchBytes)) {
                    try PixelWriter(form: segmentation, pretty: pretty, maxPixels: maxMaskPixels)
                }
                : nil
            defer { pool?.stop() }
            try writeAnnotations(index: annotations.index, text: annotations.text, catalog: catalog, pool: pool,
                                 to: json, summary: &summary)
        }
        try json.endArray()
        try json.endObject()
        return summary
    }

    /// Writes the spilled annotations, each once per category of its object, with `id`,
    /// `image_id`, `category_id` and `score` filled in; the pixels of annotations with contours
    /// are filled and written here, once their image's size is known.
    private func writeAnnotations(index spill: SpillReader, text: SpillReader, catalog: Catalog, pool: PixelPool?,
                                  to json: JSONWriter, summary: inout Summary) throws {
        let generator = json.generator
        var number = 0
        var categories: [Int] = []
        var confidence: Double?
        var lastImage: [UInt8] = [], lastImageFound: Catalog.ImageEntry?, looked = false
        let pixels = try PixelWriter(form: segmentation, pretty: pretty, maxPixels: maxMaskPixels)
        /// The number and size of the image whose id is `image` (the last one is kept: an
        /// object's annotations mostly come image after image, several on one).
        func lookUp(_ image: UnsafeRawBufferPointer) throws -> Catalog.ImageEntry? {
            // (`looked` false: none looked up yet; an empty id is a valid id.)
            if !looked || !lastImage.elementsEqual(image) {
                lastImage.removeAll(keepingCapacity: true)
                lastImage.append(contentsOf: image)
                lastImageFound = try image.withMemoryRebound(to: UInt8.self) { try catalog.image($0) }
                looked = true
            }
            return lastImageFound
        }
        func write(image: Int, middle: (JSONWriter) throws -> Void, tailCount: Int) throws {
            let fragment = text.position
            for category in categories {
                text.position = fragment
                number += 1
                try json.beginObject()
                try json.key("id"); try json.number(number)
                try json.key("image_id"); try json.number(image)
                try json.key("category_id"); try json.number(category)
                try middle(json)
                if let confidence { try json.key("score"); try json.number(confidence) }
                try text.copy(tailCount) { generator.continuation($0); try json.flushIfNeeded() }
                try json.endObject()
                summary.annotations += 1
            }
        }
        /// An annotation entry's image id and the lengths of its two parts of text; nil (its
        /// text passed over) when its object has no category.
        func entryHead() throws -> (image: UnsafeRawBufferPointer, first: Int, tail: Int)? {
            let imageCount = try spill.varint(), firstCount = try spill.varint(), tailCount = try spill.varint()
            let image = try spill.bytes(imageCount)
            guard !categories.isEmpty else {
                summary.skippedNoCategory += 1
                text.position += firstCount + tailCount
                return nil
            }
            return (image, firstCount, tailCount)
        }
        while !spill.atEnd {
            switch try spill.byte() {
            case 1:
                let count = try spill.varint()
                let object = try spill.bytes(count).withMemoryRebound(to: UInt8.self) { try catalog.object($0) }
                categories = object?.categories ?? []
                confidence = object?.confidence
            case 2:
                guard let (image, middleCount, tailCount) = try entryHead() else { continue }
                let imageNumber = try lookUp(image)?.number ?? 0
                let middle = text.position
                try write(image: imageNumber, middle: { json in
                    text.position = middle
                    try text.copy(middleCount) { generator.continuation($0); try json.flushIfNeeded() }
                }, tailCount: tailCount)
            case 4:
                guard let (image, rawCount, tailCount) = try entryHead() else { continue }
                let entry = try lookUp(image)
                let width = entry?.width ?? imageSize?.width ?? 0, height = entry?.height ?? imageSize?.height ?? 0
                let inImage: Bool
                do {
                    if let pool {
                        text.position += rawCount
                        inImage = try pool.next()
                    } else {
                        inImage = try pixels.build(raw: text.bytes(rawCount), width: width, height: height)
                    }
                } catch var error as MaskTooLarge {
                    // Named by its AiCOCO id, in the tail that follows the raw part.
                    error.annotation = MaskTooLarge.annotationID(inTail: try text.bytes(tailCount))
                    throw error
                }
                guard inImage else {
                    summary.skippedOutsideImage += 1
                    text.position += tailCount
                    continue
                }
                try write(image: entry?.number ?? 0, middle: { json in
                    if let pool { pool.withLast { generator.continuation($0) } } else {
                        pixels.bytes.withUnsafeBytes { generator.continuation($0) }
                    }
                    try json.flushIfNeeded()
                }, tailCount: tailCount)
            case 3:
                let withoutGeometry = try spill.varint()
                if categories.isEmpty {
                    summary.skippedNoCategory += withoutGeometry
                } else {
                    summary.skippedNoGeometry += withoutGeometry
                }
            default:
                throw Self.damagedSpill
            }
        }
    }

    static var damagedSpill: DocumentError {
        DocumentError.io("a temporary file of convert is damaged; set TMPDIR to another directory")
    }
}

/// An image has no size of its own and none was given.
public struct MissingImageSize: Error, Sendable, CustomStringConvertible {
    /// The image without a size.
    public let imageID: String
    /// The message, naming the image and `--image-size`.
    public var description: String {
        "image \(jsonQuoted(imageID)) has no width/height (nor dicom Columns/Rows): give the size with --image-size WxH"
    }
}
