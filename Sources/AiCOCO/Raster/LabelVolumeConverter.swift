/// Turns an AiCOCO segmentation back into a NIfTI label volume: one slice per image (sorted by
/// `index`), one voxel value per category (its class index, see `LabelNumbering`) or per
/// object, each annotation's contours filled as `cv2.fillPoly` fills them, annotations in file
/// order; where structures overlap, `overlap` decides, or a multi-label volume (`layout`
/// `.channels`) keeps each in its own channel.
/// Two passes: the first validates the document (as `validate` does) and gathers images,
/// categories and objects (which FLaVor writes after the annotations), the second fills the
/// slices in place. Memory: the slice cache (`cacheBytes`) and the catalog.
public struct LabelVolumeConverter {
    /// What a voxel value stands for.
    public enum Labels: String, Sendable, CaseIterable {
        /// A category's value (see `LabelNumbering`); an object takes its first category's value.
        case category
        /// 1, 2, ... for the objects in file order.
        case object
    }

    /// How images become slices.
    public enum SliceOrder: String, Sendable, CaseIterable {
        /// By `index`; two images with the same index are an error.
        case index
        /// By `index`, images with the same index in file order.
        case indexThenFile = "index-then-file"
        /// In file order, whatever their index.
        case file
    }

    /// The shape of the volume.
    public enum Layout: String, Sendable, CaseIterable {
        /// One 3D volume of values.
        case labels
        /// A 4D volume, one channel of 0 and 1 per value (in ascending order): overlaps kept.
        case channels
        /// One 3D volume of 0 and 1 per value, `VALUE-NAME.nii.gz` in the directory given as the
        /// path: overlaps kept.
        case split
    }

    /// One voxel value and what it stands for.
    public struct Label: Sendable, Equatable {
        /// The voxel value.
        public var value: Int
        /// The category (category labels) or the object's first category that takes a value.
        public var categoryID: String?
        /// That category's name.
        public var categoryName: String?
        /// That category's `color`.
        public var color: String?
        /// The category's position in `categories`.
        public var classIndex: Int?
        /// The object (object labels only) and all its categories.
        public var objectID: String?
        /// The object's categories.
        public var objectCategoryIDs: [String]?
    }

    /// What a conversion wrote.
    public struct Summary: Sendable {
        /// The volume's size: columns, rows, slices, channels.
        public var width = 0, height = 0, slices = 0, channels = 1
        /// The voxel type, the smallest that holds the largest value.
        public var voxelType = NiftiHeader.VoxelType.uint8
        /// How the values were given.
        public var plan: LabelPlan?
        /// The values and what each stands for.
        public var labels: [Label] { plan?.table ?? [] }
        /// Where the voxels lie (the reference's, or from `spacing`).
        public var geometry = NiftiGeometry(spacing: (1, 1, 1))
        /// Whether the file is NIfTI-2 (a dimension past 32767).
        public var nifti2 = false
        /// Annotations read, and those filled.
        public var annotations = 0, filled = 0
        /// Annotations left out: their object takes no value, or their image is unknown.
        public var skippedNoLabel = 0, skippedUnknownImage = 0
        /// Slices read back because their annotations were not together in the file.
        public var sliceReloads = 0
        /// Voxels where a value met another, by the value painted over them.
        public var overlaps: [Int: Int] = [:]
        /// `.split`: each value's file.
        public var files: [Int: String] = [:]
    }

    /// What a voxel value stands for.
    public var labels: Labels
    /// How categories are numbered.
    public var numbering: LabelNumbering = .index
    /// Supercategories and `display: false` categories take values too.
    public var includeHidden = false
    /// Which value wins where structures overlap (`.labels` layout).
    public var overlap: PolygonRasterizer.OverlapRule = .last
    /// One volume, channels, or a file per value.
    public var layout: Layout = .labels
    /// How images become slices.
    public var sliceOrder: SliceOrder = .index
    /// Size of images that do not say.
    public var imageSize: (width: Int, height: Int)?
    /// Voxel size in millimetres, written to the header (without a reference).
    public var spacing: (x: Double, y: Double, z: Double)
    /// A NIfTI of the image series: its size and geometry are the volume's.
    public var reference: NiftiReference?
    /// Validated as a whole on the first pass (`validate` is turned on).
    public var parserOptions: DocumentParsing.Options
    /// gzip level for `.nii.gz` (0 to 9).
    public var compressionLevel: Int32
    /// Memory for slices being painted (see `LabelVolumeWriter`); two slices must fit.
    public var cacheBytes = 24 << 20

    /// A converter; the other settings are properties.
    public init(labels: Labels = .category, imageSize: (width: Int, height: Int)? = nil,
                spacing: (x: Double, y: Double, z: Double) = (1, 1, 1), parserOptions: DocumentParsing.Options = DocumentParsing.Options(),
                compressionLevel: Int32 = 6) {
        self.labels = labels
        self.imageSize = imageSize
        self.spacing = spacing
        self.parserOptions = parserOptions
        self.compressionLevel = compressionLevel
    }

    /// Converts the document `pass()` gives (called twice, each time from its start) into the
    /// volume at `path` (`.nii`, or `.nii.gz`). `progress` gets the pass (1 or 2) and bytes read.
    /// Throws `LabelVolumeError`, `DocumentError` (an invalid document) or `SegmentationError`
    /// before anything is written at `path`; a `segmentation` with a NaN or infinite coordinate
    /// (read under `allowNonFinite`) is a `LabelVolumeError` of the input.
    public func convert(passes pass: () throws -> DocumentSource, to path: String,
                        progress: ((Int, Int) -> Void)? = nil) throws -> Summary {
        let volume = try prepare(passes: pass, to: path, progress: progress)
        try volume.commit()
        return volume.summary
    }

    /// `convert`, but the volume (or `.split`'s volumes) stays under its hidden name beside
    /// `path` until `PreparedLabelVolume.commit()`: what goes with it (the label table) can be
    /// written whole first, and both put in place together. Nothing is left if the prepared
    /// volume goes away uncommitted.
    public func prepare(passes pass: () throws -> DocumentSource, to path: String,
                        progress: ((Int, Int) -> Void)? = nil) throws -> PreparedLabelVolume {
        var options = parserOptions
        options.validate = true
        // Images sharing an index are `sliceNumbers`' to order or refuse (naming --slice-order).
        options.allowsRepeatedImageIndexes = true
        var parser = DocumentParser(visitor: Gatherer(checksNonFinite: options.allowNonFinite), options: options)
        try parser.parse(try pass()) { progress?(1, $0) }
        let gathered = parser.visitor
        let catalog = gathered.catalog
        if let id = gathered.nonFiniteAnnotation {
            throw LabelVolumeError(.input, "annotation \(jsonQuoted(id)): its segmentation has a NaN or infinite coordinate (read under --allow-nan), which is no pixel: a label volume cannot place it; remove it or fix the coordinate")
        }
        if gathered.annotations > 0 && gathered.withPolygons == 0 {
            throw LabelVolumeError(.input, "no segmentation: its \(gathered.annotations) annotation\(gathered.annotations == 1 ? " is a box" : "s are boxes") only (a detection output); a label volume needs polygons")
        }
        let size = try volumeSize(catalog)
        let slices = try sliceNumbers(catalog)
        let plan = try LabelPlan(catalog: catalog, labels: labels, numbering: numbering, includeHidden: includeHidden)
        let channelOfValue = Dictionary(uniqueKeysWithValues: plan.values.enumerated().map { ($1, $0) })

        var summary = Summary()
        (summary.width, summary.height, summary.slices) = (size.width, size.height, catalog.images.count)
        summary.plan = plan
        summary.channels = layout == .channels ? max(1, plan.values.count) : 1
        summary.voxelType = layout == .labels ? .holding(plan.maximum) : .uint8
        summary.geometry = reference?.geometry ?? NiftiGeometry(spacing: spacing)
        var total = summary.voxelType.size
        for factor in [size.width, size.height, max(1, summary.slices), summary.channels] {
            let (product, overflow) = total.multipliedReportingOverflow(by: factor)
            guard !overflow else { throw LabelVolumeError(.usage, "a volume of \(size.width)x\(size.height)x\(summary.slices)x\(summary.channels) voxels is too large to write") }
            total = product
        }
        let header = NiftiHeader(width: size.width, height: size.height, depth: summary.slices, channels: summary.channels,
                                 voxelType: summary.voxelType, geometry: summary.geometry,
                                 maximumLabel: layout == .labels ? plan.maximum : 1,
                                 description: "aicoco \(labels.rawValue) labels")
        summary.nifti2 = header.isNifti2
        if layout == .split {
            let (summary, writers) = try split(pass: pass, into: path, header: header, catalog: catalog, slices: slices, summary: summary, progress: progress)
            return PreparedLabelVolume(summary: summary, writers: writers)
        }
        let writer = try LabelVolumeWriter(path: path, header: header, cacheBytes: cacheBytes)
        try forEachFill(pass: pass, catalog: catalog, plan: plan, slices: slices, summary: &summary, progress: progress) { annotation, polygons, slice, value, summary in
            if layout == .channels {
                try writer.fill(polygons, slice: slice, channel: channelOfValue[value]!, value: 1)
                return
            }
            let found = try writer.fill(polygons, slice: slice, value: value, rule: overlap)
            guard found.voxels > 0 else { return }
            summary.overlaps[value, default: 0] += found.voxels
            if overlap == .error {
                throw LabelVolumeError(.input, "annotation \(jsonQuoted(annotation.id)) (object \(jsonQuoted(annotation.objectID)), value \(value)) overlaps value \(found.under) on \(found.voxels) voxel\(found.voxels == 1 ? "" : "s") of image \(jsonQuoted(annotation.imageID)): --overlap last or first says which stays, --multi-label keeps both")
            }
        }
        try writer.prepare(compressionLevel: compressionLevel)
        summary.sliceReloads = writer.sliceReloads
        return PreparedLabelVolume(summary: summary, writers: [writer])
    }

    /// The reference's size (checked against the images and their count), else the images' own.
    func volumeSize(_ catalog: SegmentationCatalog) throws -> (width: Int, height: Int) {
        guard let reference else { return try catalog.commonImageSize(fallback: imageSize) }
        guard reference.depth == catalog.images.count else {
            throw LabelVolumeError(.usage, "--reference \(reference.path) has \(reference.depth) slices and the file \(catalog.images.count) images: it is not a scan of this series")
        }
        for image in catalog.images {
            guard let width = image.width, let height = image.height else { continue }
            guard (width, height) == (reference.width, reference.height) else {
                throw LabelVolumeError(.usage, "--reference \(reference.path) is \(reference.width)x\(reference.height) and image \(jsonQuoted(image.id)) \(width)x\(height)")
            }
        }
        if let imageSize, imageSize != (reference.width, reference.height) {
            throw LabelVolumeError(.usage, "--image-size \(imageSize.width)x\(imageSize.height) and --reference \(reference.width)x\(reference.height) differ")
        }
        return (reference.width, reference.height)
    }

    /// For each image (in file order), its slice number, by `sliceOrder`.
    func sliceNumbers(_ catalog: SegmentationCatalog) throws -> [Int] {
        let images = catalog.images
        guard sliceOrder != .file else { return Array(images.indices) }
        let order = images.indices.sorted { images[$0].index != images[$1].index ? images[$0].index < images[$1].index : $0 < $1 }
        if sliceOrder == .index {
            for (a, b) in zip(order, order.dropFirst()) where images[a].index == images[b].index {
                throw LabelVolumeError(.input, "images \(jsonQuoted(images[a].id)) and \(jsonQuoted(images[b].id)) have the same index \(images[a].index): which slice comes first? --slice-order index-then-file (ties in file order) or file")
            }
        }
        var slices = [Int](repeating: 0, count: images.count)
        for (slice, position) in order.enumerated() { slices[position] = slice }
        return slices
    }

    /// The first pass: the catalog, whether any annotation has polygons, and (when NaN and
    /// Infinity are read, `checksNonFinite`) the first whose polygons have one.
    private struct Gatherer: DocumentVisitor {
        var catalog = SegmentationCatalog()
        var annotations = 0, withPolygons = 0
        let checksNonFinite: Bool
        private var nonFinite = false
        private(set) var nonFiniteAnnotation: String?
        init(checksNonFinite: Bool) { self.checksNonFinite = checksNonFinite }
        mutating func visit(_ record: Record, index: Int) throws { catalog.add(record) }
        mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
            guard checksNonFinite, chunk.kind == .segmentation, !nonFinite else { return }
            nonFinite = chunk.withBuffer { $0.contains { !$0.isFinite } }
        }
        mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
            annotations += 1
            if let count = fields.polygonCount, count > 0 { withPolygons += 1 }
            if nonFinite && nonFiniteAnnotation == nil { nonFiniteAnnotation = fields.idKey.string }
            nonFinite = false
        }
    }
}

/// A label volume written whole under a hidden name beside its path (or `.split`'s volumes),
/// renamed into place by `commit()`; removed if this goes away uncommitted.
public final class PreparedLabelVolume {
    /// What the conversion wrote.
    public let summary: LabelVolumeConverter.Summary
    private let writers: [LabelVolumeWriter]

    init(summary: LabelVolumeConverter.Summary, writers: [LabelVolumeWriter]) {
        self.summary = summary
        self.writers = writers
    }

    /// Renames every volume into place.
    public func commit() throws {
        for writer in writers { try writer.commit() }
    }
}
