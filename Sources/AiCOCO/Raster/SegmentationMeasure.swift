/// Measures a segmentation: for each object and each category, its area in pixels on each
/// slice and its volume in voxels, counted on the label volume the annotations paint (each
/// annotation's contours filled as `cv2.fillPoly` fills them, annotations in file order, a later
/// one over an earlier one: what `LabelVolumeConverter` writes). So a structure drawn over
/// another (a lesion inside the liver's outer contour) takes its pixels from it, as in the label
/// volume FLaVor started from. A category's area adds up its objects'.
///
/// One pass when the annotations of a slice come together (as FLaVor writes them), in any section
/// order; memory: `openSlices` slices being painted, plus the images, objects and the (object,
/// slice) areas. When a slice's annotations are apart, the slices concerned are measured again
/// by further passes, `openSlices` at a time.
///
/// ```swift
/// let result = try SegmentationMeasure(imageSize: (512, 512)).measure(passes: { .file("series.json") })
/// for object in result.objects { print(object.id, object.voxels) }
/// ```
public struct SegmentationMeasure {
    /// Size of images that do not give theirs (`width`/`height` or `dicom` `Columns`/`Rows`).
    public var imageSize: (width: Int, height: Int)?
    public var parserOptions: ParserOptions
    /// Slices painted at the same time (two bytes a pixel each; FLaVor writes annotations object
    /// by object, so the slices an object spans are open together).
    public var openSlices: Int

    public init(imageSize: (width: Int, height: Int)? = nil, parserOptions: ParserOptions = ParserOptions(),
                openSlices: Int = 48) {
        self.imageSize = imageSize
        self.parserOptions = parserOptions
        self.openSlices = max(1, openSlices)
    }

    /// Measures the document `pass()` gives (called once, or more when a slice's annotations are
    /// apart; each call must give the input from its start). `progress` gets the pass and bytes read.
    public func measure(passes pass: () throws -> AiCOCOInput, progress: ((Int, Int) -> Void)? = nil) throws
        -> SegmentationMeasurement {
        var state = MeasureState(imageSize: imageSize, openSlices: openSlices)
        try read(try pass(), into: &state, passNumber: 1, progress: progress)
        try state.closeAll()
        var passNumber = 1
        var pending = state.reopened.sorted()
        while !pending.isEmpty {
            let batch = Set(pending.prefix(openSlices))
            pending.removeFirst(batch.count)
            passNumber += 1
            state.restart(only: batch)
            try read(try pass(), into: &state, passNumber: passNumber, progress: progress)
            try state.closeAll()
        }
        var result = state.result()
        result.passes = passNumber
        return result
    }

    private func read(_ input: AiCOCOInput, into state: inout MeasureState, passNumber: Int,
                      progress: ((Int, Int) -> Void)?) throws {
        let reader = AiCOCORecordReader(input, options: RecordReaderOptions(parser: parserOptions))
        var seen = 0
        while let record = try reader.next() {
            try state.add(record, firstPass: passNumber == 1)
            seen += 1
            if seen & 255 == 0 { progress?(passNumber, reader.bytesRead) }
        }
        progress?(passNumber, reader.bytesRead)
    }
}

/// The painting and counting behind `SegmentationMeasure`.
struct MeasureState {
    let imageSize: (width: Int, height: Int)?
    let openSlices: Int
    var catalog = SegmentationCatalog()
    var imageOrdinals: [String: Int] = [:]
    var imageIDs: [String] = []
    var objectOrdinals: [String: Int] = [:]
    var objectIDs: [String] = []
    /// Per object ordinal: pixels per image ordinal.
    var areas: [[Int: Int]] = []
    var annotations = 0
    /// Slices measured and closed; slices whose annotations came after they were closed.
    var closed = Set<Int>()
    var reopened = Set<Int>()
    /// When measuring again: the only slices painted.
    var only: Set<Int>?
    private var open: [OpenSlice] = []
    private var clock = 0

    /// A slice being painted: per pixel, 1 + the position in `objects` of the object painted
    /// last there, 0 for none.
    struct OpenSlice {
        var image: Int
        var width: Int, height: Int
        var pixels: [UInt16]
        var rasterizer: PolygonRasterizer
        /// Object ordinals painted on this slice.
        var objects: [Int]
        var lastUse: Int
    }

    init(imageSize: (width: Int, height: Int)?, openSlices: Int) {
        self.imageSize = imageSize
        self.openSlices = openSlices
    }

    mutating func add(_ record: AiCOCORecord, firstPass: Bool) throws {
        guard case .annotation(let annotation) = record else {
            if firstPass { catalog.add(record) }
            return
        }
        if firstPass { annotations += 1 }
        guard let polygons = annotation.segmentation, !polygons.isEmpty else { return }
        let image = Self.ordinal(of: annotation.imageID, in: &imageOrdinals, ids: &imageIDs)
        if let only, !only.contains(image) { return }
        if only == nil && closed.contains(image) {
            reopened.insert(image)
            return
        }
        let objectCount = objectIDs.count
        let object = Self.ordinal(of: annotation.objectID, in: &objectOrdinals, ids: &objectIDs)
        if object == objectCount { areas.append([:]) }
        let slot = try openSlot(for: image, annotation: annotation.id)
        var local = open[slot].objects.firstIndex(of: object)
        if local == nil {
            guard open[slot].objects.count < Int(UInt16.max) else {
                throw SegmentationError("image \(jsonQuoted(annotation.imageID)) has more than 65,535 objects")
            }
            open[slot].objects.append(object)
            local = open[slot].objects.count - 1
        }
        // Taken out and put back, so that neither is copied.
        var pixels: [UInt16] = []
        swap(&pixels, &open[slot].pixels)
        var rasterizer = open[slot].rasterizer
        rasterizer.fill(polygons, value: UInt16(local! + 1), into: &pixels)
        swap(&pixels, &open[slot].pixels)
        open[slot].rasterizer = rasterizer
    }

    private mutating func openSlot(for image: Int, annotation: String) throws -> Int {
        clock += 1
        if let slot = open.firstIndex(where: { $0.image == image }) {
            open[slot].lastUse = clock
            return slot
        }
        if open.count >= openSlices {
            let oldest = open.indices.min { open[$0].lastUse < open[$1].lastUse }!
            close(oldest)
        }
        let size = try self.size(forImage: imageIDs[image], annotation: annotation)
        open.append(OpenSlice(image: image, width: size.width, height: size.height,
                              pixels: [UInt16](repeating: 0, count: size.width * size.height),
                              rasterizer: PolygonRasterizer(width: size.width, height: size.height),
                              objects: [], lastUse: clock))
        return open.count - 1
    }

    private func size(forImage id: String, annotation: String) throws -> (width: Int, height: Int) {
        if let position = catalog.imagePosition(id), let width = catalog.images[position].width,
           let height = catalog.images[position].height {
            return (width, height)
        }
        if let imageSize { return imageSize }
        throw SegmentationError("annotation \(jsonQuoted(annotation)): the size of image \(jsonQuoted(id)) is not known (the image gives no width/height, or comes after its annotations): give the size with --image-size WxH")
    }

    /// Counts the pixels of each object on the slice and forgets the slice.
    private mutating func close(_ slot: Int) {
        let slice = open.remove(at: slot)
        var counts = [Int](repeating: 0, count: slice.objects.count + 1)
        slice.pixels.withUnsafeBufferPointer { pixels in
            for value in pixels { counts[Int(value)] += 1 }
        }
        for (local, object) in slice.objects.enumerated() {
            areas[object][slice.image] = counts[local + 1] > 0 ? counts[local + 1] : nil
        }
        closed.insert(slice.image)
    }

    mutating func closeAll() throws {
        while !open.isEmpty { close(open.count - 1) }
    }

    /// Prepares a pass that measures `slices` again from nothing.
    mutating func restart(only slices: Set<Int>) {
        only = slices
        for object in areas.indices {
            for image in slices { areas[object][image] = nil }
        }
    }

    private static func ordinal(of id: String, in ordinals: inout [String: Int], ids: inout [String]) -> Int {
        if let ordinal = ordinals[id] { return ordinal }
        ordinals[id] = ids.count
        ids.append(id)
        return ids.count - 1
    }

    func result() -> SegmentationMeasurement {
        var result = SegmentationMeasurement()
        result.annotations = annotations
        result.slicesMeasuredAgain = reopened.count
        // Image ordinal -> (index, id), for images the file defines.
        let placed: [(index: Double, id: String)?] = imageIDs.map { id in
            catalog.imagePosition(id).map { (catalog.images[$0].index, id) }
        }
        func slices(_ pixelsByImage: [Int: Int]) -> [SegmentationMeasurement.Slice] {
            pixelsByImage.compactMap { image, pixels in
                placed[image].map { SegmentationMeasurement.Slice(index: $0.index, imageID: $0.id, pixels: pixels) }
            }.sorted { $0.index != $1.index ? $0.index < $1.index : $0.imageID < $1.imageID }
        }
        for image in imageIDs.indices where placed[image] == nil { result.unknownImageIDs.append(imageIDs[image]) }
        // Objects: those the file lists, in its order, then those only annotations name.
        var order = catalog.objects.map(\.id)
        let listed = Set(order)
        order += objectIDs.filter { !listed.contains($0) }
        var categoryAreas = [[Int: Int]](repeating: [:], count: catalog.categories.count)
        var categoryObjects = [Int](repeating: 0, count: catalog.categories.count)
        for id in order {
            let categoryIDs = catalog.objectPosition(id).map { catalog.objects[$0].categoryIDs } ?? []
            let pixelsByImage = objectOrdinals[id].map { areas[$0] } ?? [:]
            let names = categoryIDs.map { id in catalog.categoryPosition(id).map { catalog.categories[$0].name } ?? id }
            result.objects.append(SegmentationMeasurement.Structure(id: id, name: names.joined(separator: ";"),
                                                                    categoryIDs: categoryIDs, objects: 1,
                                                                    slices: slices(pixelsByImage)))
            for categoryID in Set(categoryIDs) {
                guard let position = catalog.categoryPosition(categoryID) else { continue }
                categoryObjects[position] += 1
                for (image, pixels) in pixelsByImage { categoryAreas[position][image, default: 0] += pixels }
            }
        }
        for (position, category) in catalog.categories.enumerated() {
            result.categories.append(SegmentationMeasurement.Structure(id: category.id, name: category.name,
                                                                       categoryIDs: [category.id],
                                                                       objects: categoryObjects[position],
                                                                       slices: slices(categoryAreas[position])))
        }
        return result
    }
}

/// What `SegmentationMeasure` found.
public struct SegmentationMeasurement: Sendable {
    /// A structure's area on one slice.
    public struct Slice: Sendable, Equatable {
        /// The image's `index` in its series.
        public var index: Double
        public var imageID: String
        public var pixels: Int
    }

    /// An object or a category, with its area per slice (slices with pixels only, by `index`).
    public struct Structure: Sendable, Equatable {
        public var id: String
        /// The category's name, or the names of the object's categories joined by `;`.
        public var name: String
        public var categoryIDs: [String]
        /// Objects counted: 1 for an object, the category's objects for a category.
        public var objects: Int
        public var slices: [Slice]

        /// Pixels over all slices.
        public var voxels: Int { slices.reduce(0) { $0 + $1.pixels } }
        /// Lowest and highest `index` with pixels.
        public var indexRange: ClosedRange<Double>? {
            guard let first = slices.first, let last = slices.last else { return nil }
            return first.index...last.index
        }
    }

    public var objects: [Structure] = []
    public var categories: [Structure] = []
    public var annotations = 0
    /// Images annotations refer to but the file does not define (their pixels are left out).
    public var unknownImageIDs: [String] = []
    /// Passes over the input, and slices measured again because their annotations were apart.
    public var passes = 1
    public var slicesMeasuredAgain = 0
}
