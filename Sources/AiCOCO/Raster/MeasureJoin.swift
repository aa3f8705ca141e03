/// The slice join of `SegmentationMeasure`: the spilled contours read back slice by slice,
/// scanned into runs and swept; each structure's and pair's pixels on the slice go to a table
/// of rows (spilling too), their totals to memory.
struct MeasureJoin {
    let pass: MeasurePass
    let imageSize: (width: Int, height: Int)?
    /// Most runs one slice may hold.
    let runLimit: Int
    let rows: ExternalSorter
    /// Bytes the slice's canvas or runs may take; whether slices that fit are painted on a canvas.
    let sliceBufferBytes: Int
    let useCanvas: Bool
    private var canvas: SliceCanvas?
    private let result = SegmentationMeasurement()
    /// Per object number (order of first annotation): its position in `result.objects`.
    private var objectPositions: [Int] = []
    private var objectPairs: [UInt64: SegmentationMeasurement.Totals] = [:]
    private var categoryPairs: [UInt64: SegmentationMeasurement.Totals] = [:]
    private var runs = SliceRuns()
    private var scanner = ContourScanner()
    private var points: [Int64] = []
    private var ends: [Int] = []
    private var payload: [UInt8] = []
    private var key: [UInt8] = []

    init(pass: MeasurePass, imageSize: (width: Int, height: Int)?, sliceBufferBytes: Int, useCanvas: Bool, rows: ExternalSorter) {
        self.pass = pass
        self.imageSize = imageSize
        self.sliceBufferBytes = sliceBufferBytes
        self.useCanvas = useCanvas
        self.runLimit = max(1, sliceBufferBytes / MemoryLayout<PixelRun>.stride)
        self.rows = rows
    }

    mutating func run(spill: ExternalSorter) throws -> SegmentationMeasurement {
        let catalog = pass.catalog
        result.annotations = pass.annotations
        result.segmentedAnnotations = pass.segmented
        result.imageIDs = catalog.images.map(\.id)
        result.imageIndices = catalog.images.map(\.index)
        // Objects: those the file lists, in its order, then those only annotations name.
        var categoryObjects = [Int](repeating: 0, count: catalog.categories.count)
        func names(_ categoryIDs: [String]) -> String {
            categoryIDs.map { id in catalog.categoryPosition(id).map { catalog.categories[$0].name } ?? id }.joined(separator: ";")
        }
        for object in catalog.objects {
            result.objects.append(.init(id: object.id, name: names(object.categoryIDs), categoryIDs: object.categoryIDs, objects: 1))
            for id in Set(object.categoryIDs) { if let position = catalog.categoryPosition(id) { categoryObjects[position] += 1 } }
        }
        var categoriesOfObject: [[Int32]] = []
        for id in pass.objectIDs {
            let text = id.string
            if let position = catalog.objectPosition(text) {
                objectPositions.append(position)
            } else {
                objectPositions.append(result.objects.count)
                result.objects.append(.init(id: text, name: "", categoryIDs: [], objects: 1))
            }
            let categoryIDs = result.objects[objectPositions.last!].categoryIDs
            var numbers: [Int32] = []
            for id in categoryIDs {
                if let position = catalog.categoryPosition(id), !numbers.contains(Int32(position)) { numbers.append(Int32(position)) }
            }
            categoriesOfObject.append(numbers)
        }
        for (position, category) in catalog.categories.enumerated() {
            result.categories.append(.init(id: category.id, name: category.name, categoryIDs: [category.id],
                                           objects: categoryObjects[position]))
        }
        var sweep = SliceSweep(objectCount: pass.objectIDs.count, categoryCount: catalog.categories.count,
                               categoriesOfObject: categoriesOfObject)
        let stream = try spill.sorted()
        while !stream.atEnd {
            let image = Int(UInt32(bigEndian: stream.key.loadUnaligned(as: UInt32.self)))
            let id = pass.imageIDs[image].string
            guard let position = catalog.imagePosition(id) else {
                result.unknownImageIDs.append(id)
                while !stream.atEnd && Self.image(stream) == image { try stream.advance() }
                continue
            }
            let size = try self.size(of: catalog.images[position])
            if useCanvas && SliceCanvas.bytes(width: size.width, height: size.height) <= sliceBufferBytes {
                // The canvas: painted annotation by annotation.
                if canvas?.width != size.width || canvas?.height != size.height {
                    canvas = nil
                    canvas = SliceCanvas(width: size.width, height: size.height)
                }
                while !stream.atEnd && Self.image(stream) == image {
                    paint(stream.payload, width: size.width, height: size.height)
                    try stream.advance()
                }
                canvas!.finish(into: &sweep)
            } else {
                // The runs, sorted and swept.
                runs.removeAll()
                while !stream.atEnd && Self.image(stream) == image {
                    try scan(stream.payload, width: size.width, height: size.height, imageID: id)
                    try stream.advance()
                }
                sweep.sweep(runs.runs)
            }
            try emit(&sweep, image: position, index: catalog.images[position].index)
        }
        spill.reset()
        result.objectOverlaps = Self.overlaps(objectPairs)
        result.categoryOverlaps = Self.overlaps(categoryPairs)
        result.rows = rows
        return result
    }

    private static func image(_ stream: SortedStream) -> Int {
        Int(UInt32(bigEndian: stream.key.loadUnaligned(as: UInt32.self)))
    }

    private func size(of image: SegmentationCatalog.Image) throws -> (width: Int, height: Int) {
        if let width = image.width, let height = image.height { return (width, height) }
        if let imageSize { return imageSize }
        throw SegmentationError("the size of image \(jsonQuoted(image.id)) is not known (the image gives no width/height, nor dicom Columns/Rows): give the size with --image-size WxH")
    }

    /// Decodes one annotation's contours and paints them on the canvas, together as
    /// `cv2.fillPoly` fills a list of contours.
    private mutating func paint(_ bytes: UnsafeRawBufferPointer, width: Int, height: Int) {
        var position = 0
        let object = Int32(RawBytes.readVarint(bytes, &position))
        _ = decode(bytes, &position, height: height)
        points.withUnsafeBufferPointer { points in
            ends.withUnsafeBufferPointer { canvas!.paint(object: object, points: points, ends: $0, scanner: &scanner) }
        }
    }

    /// Decodes the contours at `position` into `points` and `ends`; the rows of the image they
    /// span (a bound of the runs they give).
    private mutating func decode(_ bytes: UnsafeRawBufferPointer, _ position: inout Int, height: Int) -> Int {
        let contours = Self.varint(bytes, &position)
        points.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        var rows = 0
        for _ in 0..<contours {
            let count = Self.varint(bytes, &position)
            var x: Int64 = 0, y: Int64 = 0
            var low = Int64.max, high = Int64.min
            for _ in 0..<count {
                let dx = UInt64(bitPattern: Int64(Self.varint(bytes, &position)))
                let dy = UInt64(bitPattern: Int64(Self.varint(bytes, &position)))
                x += Int64(bitPattern: dx >> 1) ^ -Int64(bitPattern: dx & 1)
                y += Int64(bitPattern: dy >> 1) ^ -Int64(bitPattern: dy & 1)
                points.append(x)
                points.append(y)
                low = min(low, y)
                high = max(high, y)
            }
            ends.append(points.count)
            rows += Int(max(0, min(high, Int64(height) - 1) - max(low, 0) + 1))
        }
        return rows
    }

    /// A varint of the spill (most are one byte).
    @inline(__always)
    private static func varint(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) -> Int {
        let first = bytes[position]
        guard first >= 0x80 else {
            position += 1
            return Int(first)
        }
        return RawBytes.readVarint(bytes, &position)
    }

    /// Decodes one annotation's contours and scans them, together as `cv2.fillPoly` fills a
    /// list of contours, into `runs`, tagged with its object.
    private mutating func scan(_ bytes: UnsafeRawBufferPointer, width: Int, height: Int, imageID: String) throws {
        var position = 0
        runs.tag = Int32(RawBytes.readVarint(bytes, &position))
        let rows = decode(bytes, &position, height: height)
        if runs.runs.count + rows > runLimit { throw tooLarge(imageID) }
        points.withUnsafeBufferPointer { points in
            ends.withUnsafeBufferPointer { scanner.fillTogether(points: points, ends: $0, width: width, height: height, into: &runs) }
        }
        if runs.runs.count > runLimit { throw tooLarge(imageID) }
    }

    private func tooLarge(_ imageID: String) -> SegmentationError {
        SegmentationError("image \(jsonQuoted(imageID)): its contours need more than \(runLimit) runs of pixels (\(runLimit * MemoryLayout<PixelRun>.stride >> 20) MiB, the slice buffer); give a larger --memory-limit")
    }

    /// The slice's counts into the rows table and the totals; the sweep is reset.
    private mutating func emit(_ sweep: inout SliceSweep, image: Int, index: Double) throws {
        for tag in sweep.objects.touched {
            let position = objectPositions[Int(tag)]
            let pixels = sweep.objects.area[Int(tag)]
            try row(.object, position, 0, index, image, pixels)
            result.objects[position].totals.add(pixels: pixels, index: index)
        }
        for tag in sweep.categories.touched {
            let pixels = sweep.categories.area[Int(tag)]
            try row(.category, Int(tag), 0, index, image, pixels)
            result.categories[Int(tag)].totals.add(pixels: pixels, index: index)
        }
        for (key, pixels) in sweep.objects.pairs {
            let a = objectPositions[Int(key >> 32)], b = objectPositions[Int(key & 0xffff_ffff)]
            let (first, second) = a < b ? (a, b) : (b, a)
            try row(.objectOverlap, first, second, index, image, pixels)
            objectPairs[UInt64(first) << 32 | UInt64(second), default: .init()].add(pixels: pixels, index: index)
        }
        for (key, pixels) in sweep.categories.pairs {
            let first = Int(key >> 32), second = Int(key & 0xffff_ffff)
            try row(.categoryOverlap, first, second, index, image, pixels)
            categoryPairs[key, default: .init()].add(pixels: pixels, index: index)
        }
        sweep.objects.reset()
        sweep.categories.reset()
    }

    private mutating func row(_ scope: SegmentationMeasurement.Scope, _ first: Int, _ second: Int, _ index: Double,
                              _ image: Int, _ pixels: Int) throws {
        SegmentationMeasurement.key(scope: scope, first: first, second: second, index: index, image: image, into: &key)
        var value = UInt64(pixels).littleEndian
        try key.withUnsafeBytes { key in
            try withUnsafeBytes(of: &value) { _ = try rows.append(key: key, payload: $0) }
        }
    }

    private static func overlaps(_ pairs: [UInt64: SegmentationMeasurement.Totals]) -> [SegmentationMeasurement.Overlap] {
        pairs.keys.sorted().map { key in
            SegmentationMeasurement.Overlap(first: Int(key >> 32), second: Int(key & 0xffff_ffff), totals: pairs[key]!)
        }
    }
}
