/// Converts an AiCOCO document to standard COCO detection/segmentation JSON (as read by
/// pycocotools' `COCO(...)`), in constant memory, in two passes over the input:
///
/// 1. images, categories and objects (small) are read, with full validation of the document;
/// 2. annotations are streamed: one COCO annotation per category of the annotation's object.
///
/// Ids become integers 1, 2, ... in file order; the AiCOCO ids are kept in `aicoco_id`.
/// Polygons are those pycocotools accepts (see `COCOGeometry`: contours of 1 or 2 points, or
/// without area, become the pixels they stand for; boxes alone become rectangle polygons).
/// `bbox` is `[x, y, width, height]`, at least 1 x 1: the union of the AiCOCO boxes, or the
/// polygons' extent when `bbox` is null. `area` is the polygons' area (shoelace).
public struct COCOConverter {
    public var parserOptions: ParserOptions
    /// Image size for images that do not carry `width`/`height` (or `dicom.Columns`/`Rows`).
    public var imageSize: (width: Int, height: Int)?
    public var pretty: Bool

    public init(parserOptions: ParserOptions = ParserOptions(), imageSize: (width: Int, height: Int)? = nil,
                pretty: Bool = false) {
        self.parserOptions = parserOptions
        self.imageSize = imageSize
        self.pretty = pretty
    }

    public struct Summary: Sendable, Equatable {
        public var images = 0, categories = 0, annotations = 0
        /// AiCOCO annotations left out: their object has no category, or they have neither bbox nor polygon.
        public var skippedNoCategory = 0, skippedNoGeometry = 0
        /// Contours of 1 or 2 points, or without area, written as the pixels they stand for.
        public var pixelContours = 0
    }

    /// What pass 1 gathers. Images and objects grow with the input: they go to budgeted
    /// tables (`IDMap`) and a temporary file, within half of `parserOptions.memoryLimit` (the
    /// reference checks of pass 1 have the other half).
    final class Catalog {
        /// The images in file order (id, file name, width, height), read back to write them.
        var images: TemporaryFile?
        var imageCount = 0
        var firstImageWithoutSize: String?
        /// Image id → its number (1, 2, ...).
        let imageNumbers: IDMap
        var categories: [AiCategory] = []
        var categoryNumbers: [String: Int] = [:]
        /// Object id → confidence and category ids.
        let objects: IDMap
        var meta: AiMeta?
        var isTabular = false
        private var bytes: [UInt8] = []

        init(memoryLimit: Int) {
            let budget = MemoryBudget(limit: memoryLimit)
            imageNumbers = IDMap(budget: budget)
            objects = IDMap(budget: budget)
        }

        func add(_ image: AiImage) throws {
            imageCount += 1
            let size = CatalogVisitor.size(of: image.extra)
            if (size.width == nil || size.height == nil) && firstImageWithoutSize == nil { firstImageWithoutSize = image.id }
            bytes.removeAll(keepingCapacity: true)
            Self.appendString(image.id, to: &bytes)
            Self.appendString(image.fileName, to: &bytes)
            RawBytes.appendVarint((size.width ?? -1) + 1, to: &bytes)
            RawBytes.appendVarint((size.height ?? -1) + 1, to: &bytes)
            if images == nil { images = try TemporaryFile() }
            var length = UInt32(bytes.count).littleEndian
            try withUnsafeBytes(of: &length) { try images!.write($0) }
            try images!.write(bytes)
            bytes.removeAll(keepingCapacity: true)
            RawBytes.appendVarint(imageCount, to: &bytes)
            try imageNumbers.set(image.id, bytes)
        }

        func add(_ object: AiObject) throws {
            bytes.removeAll(keepingCapacity: true)
            if let confidence = object.confidence {
                bytes.append(1)
                withUnsafeBytes(of: confidence.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            } else {
                bytes.append(0)
            }
            for id in object.categoryIDs ?? [] { Self.appendString(id, to: &bytes) }
            try objects.set(object.id, bytes)
        }

        /// Reads back the images in file order.
        func forEachImage(_ body: (_ id: String, _ fileName: String, _ width: Int?, _ height: Int?) throws -> Void) throws {
            guard let images else { return }
            try images.flush()
            var offset = 0
            var record: [UInt8] = []
            while offset < images.size {
                var length: UInt32 = 0
                _ = try withUnsafeMutableBytes(of: &length) { try images.read(at: offset, into: $0) }
                let count = Int(UInt32(littleEndian: length))
                if record.count < count { record = [UInt8](repeating: 0, count: count) }
                _ = try record.withUnsafeMutableBytes { try images.read(at: offset + 4, into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<count])) }
                offset += 4 + count
                try record.withUnsafeBytes { raw in
                    let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                    var position = 0
                    let id = Self.readString(bytes, &position), fileName = Self.readString(bytes, &position)
                    let width = RawBytes.readVarint(bytes, &position) - 1, height = RawBytes.readVarint(bytes, &position) - 1
                    try body(id, fileName, width < 0 ? nil : width, height < 0 ? nil : height)
                }
            }
        }

        /// The category numbers and confidence of an object.
        func object(_ id: AiID) throws -> (categories: [Int], confidence: Double?)? {
            guard let bytes = try id.withUTF8({ try objects.value(for: $0) }), !bytes.isEmpty else { return nil }
            var position = 1
            var confidence: Double?
            if bytes[0] == 1 {
                confidence = Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 1, as: UInt64.self)))
                position = 9
            }
            var categories: [Int] = []
            while position < bytes.count {
                if let number = categoryNumbers[Self.readString(bytes, &position)] { categories.append(number) }
            }
            return (categories, confidence)
        }

        func imageNumber(_ id: AiID) throws -> Int? {
            guard let bytes = try id.withUTF8({ try imageNumbers.value(for: $0) }) else { return nil }
            var position = 0
            return RawBytes.readVarint(bytes, &position)
        }

        static func appendString(_ text: String, to bytes: inout [UInt8]) {
            RawBytes.appendVarint(text.utf8.count, to: &bytes)
            bytes.append(contentsOf: text.utf8)
        }

        static func readString(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) -> String {
            let count = RawBytes.readVarint(bytes, &position)
            defer { position += count }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<position + count]), as: UTF8.self)
        }
    }

    struct CatalogVisitor: AiCOCOVisitor {
        let catalog: Catalog

        mutating func visit(_ record: AiCOCORecord, index: Int) throws {
            switch record {
            case .image(let image):
                try catalog.add(image)
            case .category(let category):
                catalog.categoryNumbers[category.id] = catalog.categories.count + 1
                catalog.categories.append(category)
            case .object(let object):
                try catalog.add(object)
            case .meta(let meta):
                catalog.meta = meta
            case .recordsReference:
                catalog.isTabular = true
            default:
                break
            }
        }

        static func integer(_ value: JSONValue?) -> Int? {
            guard case .number(let number)? = value, let double = number.doubleValue,
                  double >= 0, double < 1e9, double == double.rounded() else { return nil }
            return Int(double)
        }

        /// `width`/`height`, else `dicom.Columns`/`dicom.Rows`.
        static func size(of extra: [JSONMember]) -> (width: Int?, height: Int?) {
            var width = integer(extra[key: "width"]), height = integer(extra[key: "height"])
            if width == nil || height == nil, case .object(let dicom)? = extra[key: "dicom"] {
                width = width ?? integer(dicom[key: "Columns"])
                height = height ?? integer(dicom[key: "Rows"])
            }
            return (width, height)
        }
    }

    /// Converts the document `pass()` returns (called twice: each call must give the input from its start).
    public func convert(passes pass: () throws -> AiCOCOInput, to json: JSONWriter,
                        progress: ((_ pass: Int, _ bytes: Int, _ total: Int?) -> Void)? = nil,
                        cancelHook: ((AiCOCORecordReader) -> Void)? = nil) throws -> Summary {
        // Pass 1.
        // The memory limit is shared: half for the reference checks, half for the catalog.
        var options = parserOptions
        options.validate = true
        options.recordsArtifact = .skip
        options.memoryLimit = parserOptions.memoryLimit / 2
        let catalog = try runParse(pass(), visitor: CatalogVisitor(catalog: Catalog(memoryLimit: parserOptions.memoryLimit / 2)),
                                   options: options) {
            progress?(1, $0, nil)
        }.catalog
        if catalog.isTabular { throw NothingToDoForTabular(operation: "convert to COCO") }
        try catalog.imageNumbers.freeze()
        try catalog.objects.freeze()
        if let id = catalog.firstImageWithoutSize, imageSize == nil {
            throw MissingImageSize(imageID: id)
        }

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
            let image = (id: id, fileName: fileName, width: width, height: height)
            try json.beginObject()
            try json.key("id"); try json.number(imageNumber)
            try json.field("file_name", image.fileName)
            try json.key("width"); try json.number(image.width ?? imageSize!.width)
            try json.key("height"); try json.number(image.height ?? imageSize!.height)
            try json.field("aicoco_id", image.id)
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

        // Pass 2: annotations.
        try json.key("annotations")
        try json.beginArray()
        var readerOptions = RecordReaderOptions(parser: parserOptions)
        readerOptions.parser.validate = false
        readerOptions.parser.recordsArtifact = .skip
        let reader = AiCOCORecordReader(try pass(), options: readerOptions)
        cancelHook?(reader)
        defer { reader.cancel() }
        var seen = 0
        var number = 0
        var geometry = COCOGeometry()
        // Annotations come object by object: the last object's catalog entry is kept.
        var lastObject: (id: AiID, entry: (categories: [Int], confidence: Double?)?)?
        while let record = try reader.next() {
            seen += 1
            if seen & 255 == 0 { progress?(2, reader.bytesRead, reader.totalBytes) }
            guard case .annotation(let annotation) = record else { continue }
            if lastObject?.id != annotation.objectKey {
                lastObject = (annotation.objectKey, try catalog.object(annotation.objectKey))
            }
            let object = lastObject!.entry
            let categories = object?.categories ?? []
            guard !categories.isEmpty else {
                summary.skippedNoCategory += 1
                continue
            }
            guard geometry.build(annotation) else {
                summary.skippedNoGeometry += 1
                continue
            }
            let imageNumber = try catalog.imageNumber(annotation.imageKey) ?? 0
            let confidence = object?.confidence
            for category in categories {
                number += 1
                try json.beginObject()
                try json.key("id"); try json.number(number)
                try json.key("image_id"); try json.number(imageNumber)
                try json.key("category_id"); try json.number(category)
                try json.key("segmentation")
                try json.beginArray()
                try geometry.coordinates.withUnsafeBufferPointer { all in
                    var start = 0
                    for end in geometry.ends {
                        try json.beginArray()
                        try json.numbers(UnsafeBufferPointer(rebasing: all[start..<end]))
                        try json.endArray()
                        start = end
                    }
                }
                try json.endArray()
                try json.key("area"); try json.number(geometry.area)
                try json.key("bbox")
                try json.beginArray()
                try json.number(geometry.x); try json.number(geometry.y)
                try json.number(geometry.width); try json.number(geometry.height)
                try json.endArray()
                try json.key("iscrowd"); try json.number(annotation.iscrowd)
                if let confidence { try json.key("score"); try json.number(confidence) }
                try json.key("aicoco_id"); try annotation.idKey.withUTF8 { try json.generator.string(bytes: $0) }
                try json.key("aicoco_object_id"); try annotation.objectKey.withUTF8 { try json.generator.string(bytes: $0) }
                try json.endObject()
                try json.flushIfNeeded()
                summary.annotations += 1
            }
        }
        progress?(2, reader.bytesRead, reader.totalBytes)
        summary.pixelContours = geometry.pixelContours
        try json.endArray()
        try json.endObject()
        return summary
    }
}

/// An image has no size of its own and none was given.
public struct MissingImageSize: Error, Sendable, CustomStringConvertible {
    public let imageID: String
    public var description: String {
        "image \(jsonQuoted(imageID)) has no width/height (nor dicom Columns/Rows): give the size with --image-size WxH"
    }
}
