/// Turns an AiCOCO segmentation back into a NIfTI-1 label volume: one slice per image (sorted by
/// `index`), one voxel value per category (or per object), each annotation's contours filled as
/// `cv2.fillPoly` fills them, annotations in file order (a later one over an earlier one).
/// Two passes: the first gathers images, categories and objects (which FLaVor writes after the
/// annotations), the second fills the slices in place. Memory: a few slices and the catalog.
public struct LabelVolumeConverter {
    /// What a voxel value stands for.
    public enum Labels: String, Sendable, CaseIterable {
        /// 1, 2, ... for the categories in file order; an object takes its first category's value.
        case category
        /// 1, 2, ... for the objects in file order.
        case object
    }

    /// One voxel value and what it stands for.
    public struct Label: Sendable, Equatable {
        public var value: Int
        /// The category (category labels) or the object's first category (object labels).
        public var categoryID: String?
        public var categoryName: String?
        public var color: String?
        /// The object (object labels only) and all its categories.
        public var objectID: String?
        public var objectCategoryIDs: [String]?
    }

    public struct Summary: Sendable {
        public var width = 0, height = 0, slices = 0
        public var voxelType = NiftiHeader.VoxelType.uint8
        public var labels: [Label] = []
        public var annotations = 0, filled = 0
        /// Annotations left out: their object is unknown or has no category (category labels),
        /// or their image is unknown.
        public var skippedNoLabel = 0, skippedUnknownImage = 0
        /// Slices read back because their annotations were not together in the file.
        public var sliceReloads = 0
    }

    public var labels: Labels
    /// Size of images that do not say.
    public var imageSize: (width: Int, height: Int)?
    /// Voxel size in millimetres, written to the header.
    public var spacing: (x: Double, y: Double, z: Double)
    public var parserOptions: ParserOptions
    public var compressionLevel: Int32
    /// Memory for slices being painted (see `LabelVolumeWriter`).
    public var cacheBytes = 24 << 20

    public init(labels: Labels = .category, imageSize: (width: Int, height: Int)? = nil,
                spacing: (x: Double, y: Double, z: Double) = (1, 1, 1), parserOptions: ParserOptions = ParserOptions(),
                compressionLevel: Int32 = 6) {
        self.labels = labels
        self.imageSize = imageSize
        self.spacing = spacing
        self.parserOptions = parserOptions
        self.compressionLevel = compressionLevel
    }

    /// Converts the document `pass()` gives (called twice, each time from its start) into the
    /// volume at `path` (`.nii`, or `.nii.gz`). `progress` gets the pass (1 or 2) and bytes read.
    public func convert(passes pass: () throws -> AiCOCOInput, to path: String,
                        progress: ((Int, Int) -> Void)? = nil) throws -> Summary {
        let catalog = try SegmentationCatalog(reading: try pass(), options: parserOptions) { progress?(1, $0) }
        let size = try catalog.commonImageSize(fallback: imageSize)
        var summary = Summary()
        summary.width = size.width
        summary.height = size.height
        summary.slices = catalog.images.count
        let (table, valueOfObject) = labelTable(catalog)
        summary.labels = table
        summary.voxelType = .holding(table.count)
        let header = NiftiHeader(width: size.width, height: size.height, depth: catalog.images.count,
                                 voxelType: summary.voxelType, spacing: spacing, maximumLabel: table.count,
                                 description: "aicoco \(labels.rawValue) labels")
        let writer = try LabelVolumeWriter(path: path, header: header, cacheBytes: cacheBytes)
        let slices = catalog.sliceNumbers()
        let reader = AiCOCORecordReader(try pass(), options: RecordReaderOptions(parser: parserOptions))
        var seen = 0
        while let record = try reader.next() {
            guard case .annotation(let annotation) = record else { continue }
            summary.annotations += 1
            seen += 1
            if seen & 1023 == 0 { progress?(2, reader.bytesRead) }
            guard let position = catalog.imagePosition(annotation.imageID) else {
                summary.skippedUnknownImage += 1
                continue
            }
            guard let value = valueOfObject[annotation.objectID] else {
                summary.skippedNoLabel += 1
                continue
            }
            guard let polygons = annotation.segmentation, !polygons.isEmpty else { continue }
            try writer.fill(polygons, slice: slices[position], value: value)
            summary.filled += 1
        }
        progress?(2, reader.bytesRead)
        try writer.finish(compressionLevel: compressionLevel)
        summary.sliceReloads = writer.sliceReloads
        return summary
    }

    /// The values, and each object's value.
    func labelTable(_ catalog: SegmentationCatalog) -> ([Label], [String: Int]) {
        var table: [Label] = []
        var valueOfObject: [String: Int] = [:]
        switch labels {
        case .category:
            for (position, category) in catalog.categories.enumerated() {
                table.append(Label(value: position + 1, categoryID: category.id, categoryName: category.name, color: category.color))
            }
            for object in catalog.objects {
                if let first = object.categoryIDs.first, let position = catalog.categoryPosition(first) {
                    valueOfObject[object.id] = position + 1
                }
            }
        case .object:
            for (position, object) in catalog.objects.enumerated() {
                let category = object.categoryIDs.first.flatMap { catalog.categoryPosition($0) }.map { catalog.categories[$0] }
                table.append(Label(value: position + 1, categoryID: category?.id, categoryName: category?.name,
                                   color: category?.color, objectID: object.id, objectCategoryIDs: object.categoryIDs))
                valueOfObject[object.id] = position + 1
            }
        }
        return (table, valueOfObject)
    }
}
