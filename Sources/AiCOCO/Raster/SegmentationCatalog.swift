/// What a segmentation needs besides its polygons: the images (their order in the series and
/// their size), the categories and which categories each object has. Gathered by one pass that
/// skips the annotations' coordinates; its size grows with images, categories and objects only.
public struct SegmentationCatalog: Sendable {
    /// An image: its id, `index` and size (when it gives one).
    public struct Image: Sendable, Equatable {
        /// `id`.
        public var id: String
        /// `index`: its position in the series.
        public var index: Double
        /// `width`/`height`, or `dicom` `Columns`/`Rows`, when given.
        public var width: Int?, height: Int?
    }

    /// An object and its categories.
    public struct Object: Sendable, Equatable {
        /// `id`.
        public var id: String
        /// `category_ids` (empty for `null`).
        public var categoryIDs: [String]
    }

    /// In file order.
    public private(set) var images: [Image] = []
    /// In file order.
    public private(set) var categories: [Category] = []
    /// In file order.
    public private(set) var objects: [Object] = []
    private var imagePositions: [String: Int] = [:]
    private var categoryPositions: [String: Int] = [:]
    private var objectPositions: [String: Int] = [:]

    /// An empty catalog, for `add(_:)`.
    public init() {}

    /// Reads `input` once, keeping images, categories and objects.
    public init(reading input: DocumentSource, options: DocumentParsing.Options = DocumentParsing.Options(),
                progress: ((Int) -> Void)? = nil) throws {
        var parser = DocumentParser(visitor: Gatherer(), options: options)
        try parser.parse(input, progress: progress)
        self = parser.visitor.catalog
    }

    /// Adds an image, category or object record (others are ignored).
    public mutating func add(_ record: Record) {
        switch record {
        case .image(let image):
            let size = Self.size(of: image.extra)
            imagePositions[image.id] = images.count
            images.append(Image(id: image.id, index: image.index, width: size.width, height: size.height))
        case .category(let category):
            categoryPositions[category.id] = categories.count
            categories.append(category)
        case .object(let object):
            objectPositions[object.id] = objects.count
            objects.append(Object(id: object.id, categoryIDs: object.categoryIDs ?? []))
        default:
            break
        }
    }

    /// Position of the image in `images`.
    public func imagePosition(_ id: String) -> Int? { imagePositions[id] }
    /// Position of the category in `categories`.
    public func categoryPosition(_ id: String) -> Int? { categoryPositions[id] }
    /// Position of the object in `objects`.
    public func objectPosition(_ id: String) -> Int? { objectPositions[id] }

    /// For each image (in file order), its slice number: images sorted by `index`, ties in file order.
    public func sliceNumbers() -> [Int] {
        let order = images.indices.sorted { images[$0].index != images[$1].index ? images[$0].index < images[$1].index : $0 < $1 }
        var slices = [Int](repeating: 0, count: images.count)
        for (slice, position) in order.enumerated() { slices[position] = slice }
        return slices
    }

    /// The one size of all images: from their `width`/`height` (or `dicom` `Columns`/`Rows`), or
    /// `fallback` for images that do not say. Throws when an image has no size and there is no
    /// fallback, or when the images differ.
    public func commonImageSize(fallback: (width: Int, height: Int)?) throws -> (width: Int, height: Int) {
        var size: (width: Int, height: Int)?
        for image in images {
            let own: (width: Int, height: Int)
            if let width = image.width, let height = image.height, width > 0, height > 0 {
                own = (width, height)
            } else if let fallback {
                own = fallback
            } else {
                throw MissingImageSize(imageID: image.id)
            }
            if let size, size != own {
                throw SegmentationError("images differ in size (\(size.width)x\(size.height) and \(own.width)x\(own.height), image \(jsonQuoted(image.id))): a volume needs one size")
            }
            size = own
        }
        guard let size = size ?? fallback else { throw SegmentationError("the file has no images: give the size with --image-size WxH") }
        return size
    }

    /// `width`/`height`, else `dicom.Columns`/`dicom.Rows`: positive integers.
    static func size(of extra: [JSONMember]) -> (width: Int?, height: Int?) {
        func integer(_ value: JSONValue?) -> Int? {
            guard case .number(let number)? = value, let double = number.doubleValue,
                  double >= 1, double < 1e9, double == double.rounded() else { return nil }
            return Int(double)
        }
        var width = integer(extra[key: "width"]), height = integer(extra[key: "height"])
        if width == nil || height == nil, case .object(let dicom)? = extra[key: "dicom"] {
            width = width ?? integer(dicom[key: "Columns"])
            height = height ?? integer(dicom[key: "Rows"])
        }
        return (width, height)
    }

    private struct Gatherer: DocumentVisitor {
        var catalog = SegmentationCatalog()
        mutating func visit(_ record: Record, index: Int) throws { catalog.add(record) }
    }
}

/// A segmentation that cannot be turned into pixels as asked (sizes, slices, labels).
public struct SegmentationError: Error, Sendable, CustomStringConvertible {
    /// The message.
    public let description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
