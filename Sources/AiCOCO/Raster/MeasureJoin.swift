/// The slice join of `SegmentationMeasure`: the spilled contours read back slice by slice,
/// painted on a canvas (on painter threads when there are several, see `SlicePainters`) or
/// scanned into runs and swept; each structure's and pair's pixels on the slice go, in slice
/// order, to tables of rows (spilling too); the categories' totals to memory, the objects' and
/// the pairs' totalled from their rows once sorted (memory grows with neither).
struct MeasureJoin {
    let pass: MeasurePass
    /// The file's images (the reading pass's).
    let images: MeasureImages
    let imageSize: (width: Int, height: Int)?
    /// Most runs one slice may hold.
    let runLimit: Int
    /// The objects' rows, the categories' and the pairs' (three tables: read by two threads at once, see `SegmentationMeasurement.objectSlices()`).
    let rows: ExternalSorter, categoryRows: ExternalSorter, pairRows: ExternalSorter
    /// Bytes the slice's canvas or runs may take; whether slices that fit are painted on a canvas.
    let sliceBufferBytes: Int
    let useCanvas: Bool
    /// Threads that paint slices (1: the calling thread paints them).
    let threads: Int
    private let result = SegmentationMeasurement()
    /// Per object number (order of first sight): its position in `result.objects`.
    private var objectPositions: [Int32] = []
    private var runs = SliceRuns()
    /// Per image (position in the file): its slice number in the rows' keys.
    private var sliceNumbers: [Int32] = []
    /// The spill's key of the slice being read (its image's id, see `MeasureIntake.imageKey`).
    private var imageKey: [UInt8] = []
    /// Most payload bytes of one slice handed to a painter thread; a larger slice is painted by
    /// the calling thread once the slices before it are counted (memory: `window` such jobs).
    let jobLimit: Int
    /// The bytes and annotations of the last job gathered for a painter thread.
    private var lastJob = (bytes: 0, annotations: 0)
    /// Whether the pairs' totals wait until first asked (see `SegmentationMeasure.defersPairTotals`).
    var defersPairTotals = false

    init(pass: MeasurePass, imageSize: (width: Int, height: Int)?, sliceBufferBytes: Int, useCanvas: Bool, threads: Int = 1,
         jobLimit: Int = 1 << 20, rows: ExternalSorter, categoryRows: ExternalSorter, pairRows: ExternalSorter) {
        self.jobLimit = jobLimit
        self.pass = pass
        images = pass.intake.images
        self.imageSize = imageSize
        self.sliceBufferBytes = sliceBufferBytes
        self.useCanvas = useCanvas
        self.threads = threads
        self.runLimit = max(1, sliceBufferBytes / MemoryLayout<PixelRun>.stride)
        self.rows = rows
        self.categoryRows = categoryRows
        self.pairRows = pairRows
    }

    mutating func run(spill: ExternalSorter) throws -> SegmentationMeasurement {
        let catalog = pass.catalog
        result.annotations = pass.annotations
        result.segmentedAnnotations = pass.segmented
        result.images = images.withoutLookups()
        result.imageIndices = images.indices
        sliceNumbers = result.numberSlices()
        // Objects: those the file lists, in its order, then those only annotations name.
        let objects = pass.intake.objects
        var table = MeasuredObjects(source: objects, catalog: catalog)
        var categoryObjects = [Int](repeating: 0, count: catalog.categories.count)
        var own: [Int32] = []
        /// `own` gets the catalog positions of the file object's categories, each once.
        func categories(ofFileObject position: Int) {
            own.removeAll(keepingCapacity: true)
            for number in objects.categories(ofFileObject: position) {
                let category = table.categoryPositions[Int(number)]
                if category >= 0 && !own.contains(category) { own.append(category) }
            }
        }
        for position in objects.fileOrdinals.indices {
            categories(ofFileObject: position)
            for category in own { categoryObjects[Int(category)] += 1 }
        }
        var categoriesOfObject = ObjectCategories()
        objectPositions.reserveCapacity(objects.ids.count)
        for ordinal in 0..<objects.ids.count {
            let file = Int(objects.filePosition[ordinal])
            if file >= 0 {
                objectPositions.append(Int32(file))
                categories(ofFileObject: file)
                categoriesOfObject.append(own)
            } else {
                objectPositions.append(Int32(table.count))
                table.extraOrdinals.append(UInt32(ordinal))
                categoriesOfObject.append(EmptyCollection())
            }
        }
        objects.endReading()
        result.objectTable = table
        for (position, category) in catalog.categories.enumerated() {
            result.categories.append(.init(id: category.id, name: category.name, categoryIDs: [category.id],
                                           objects: categoryObjects[position]))
        }
        var painter = SlicePainter(sweep: SliceSweep(objectCount: objects.ids.count, categoryCount: catalog.categories.count,
                                                     categoriesOfObject: categoriesOfObject))
        // Painter threads, for slices whose canvases, one per thread and the calling thread's, fit the slice buffer.
        let painters = useCanvas && threads > 1 ? try? SlicePainters(count: threads, sweep: painter.sweep) : nil
        let threadCanvasBytes = sliceBufferBytes / (threads + 1)
        defer { painters?.stop() }
        let stream = try spill.sorted()
        // Slices in the spill's order (by image id); an error (a slice too big, a size not
        // known) is that of the image annotated first, as when slices were read in that order.
        var pending: (sequence: Int, error: SegmentationError)?
        while !stream.atEnd {
            imageKey.removeAll(keepingCapacity: true)
            imageKey.append(contentsOf: stream.key.dropLast(8))
            let first = MeasureIntake.sequence(stream.key)
            if let pending, first > pending.sequence {
                while inImage(stream) { try stream.advance() }
                continue
            }
            do {
                try slice(stream, catalog: catalog, painter: &painter, painters: painters, threadCanvasBytes: threadCanvasBytes)
            } catch let error as SegmentationError {
                pending = (first, error)
                while inImage(stream) { try stream.advance() }
            }
        }
        if let pending { throw pending.error }
        while let counts = painters?.next() { try emit(counts) }
        spill.reset()
        result.rows = rows
        result.categoryRows = categoryRows
        result.pairRows = pairRows
        try result.total(budget: rows.budget, pairs: !defersPairTotals)
        return result
    }

    /// One slice: the stream's annotations of one image, painted or swept, and their counts out.
    private mutating func slice(_ stream: SortedStream, catalog: SegmentationCatalog, painter: inout SlicePainter,
                                painters: SlicePainters?, threadCanvasBytes: Int) throws {
        let id = MeasureIntake.imageRecordID(stream.key)
        guard let position = images.position(of: id) else {
            result.unknownImageIDs.append(id.string)
            while inImage(stream) { try stream.advance() }
            return
        }
        let size = try self.size(ofImage: position)
        let index = images.indices[position]
        if useCanvas && SliceCanvas.bytes(width: size.width, height: size.height) <= sliceBufferBytes {
            var job = SliceJob(image: position, index: index, width: size.width, height: size.height)
            if let painters, SliceCanvas.bytes(width: size.width, height: size.height) <= threadCanvasBytes {
                // Gathered into a job for a painter thread, unless it grows past the limit; with
                // room for as much as the last job held (slices are alike: not grown by doubling).
                job.bytes.reserveCapacity(min(lastJob.bytes, jobLimit))
                job.ends.reserveCapacity(lastJob.annotations)
                while inImage(stream) && job.bytes.count < jobLimit {
                    job.bytes.append(contentsOf: stream.payload)
                    job.ends.append(job.bytes.count)
                    try stream.advance()
                }
                lastJob = (job.bytes.count, job.ends.count)
                if !inImage(stream) {
                    while !painters.hasRoom(for: job.bytes.count, jobLimit: jobLimit), let counts = painters.next() { try emit(counts) }
                    painters.submit(job)
                    while let counts = painters.ready() { try emit(counts) }
                    return
                }
                while let counts = painters.next() { try emit(counts) }
            } else {
                while let counts = painters?.next() { try emit(counts) }
            }
            // The canvas, painted here annotation by annotation (what a job gathered first).
            painter.begin(width: size.width, height: size.height)
            painter.paintPayloads(of: job)
            while inImage(stream) {
                painter.paint(stream.payload, height: size.height)
                try stream.advance()
            }
            try emit(painter.finish(image: position, index: index))
        } else {
            // The runs, sorted and swept (after the slices out with painters).
            while let counts = painters?.next() { try emit(counts) }
            runs.removeAll()
            while inImage(stream) {
                try scan(stream.payload, width: size.width, height: size.height, imageID: id, &painter)
                try stream.advance()
            }
            painter.sweep.sweep(runs.runs)
            try emit(SliceCounts(taking: &painter.sweep, image: position, index: index))
        }
    }

    /// Whether the stream's next annotation is on the slice being read.
    private func inImage(_ stream: SortedStream) -> Bool {
        guard !stream.atEnd else { return false }
        let key = stream.key
        return imageKey.withUnsafeBytes { RawBytes.compare(UnsafeRawBufferPointer(rebasing: key[0..<key.count - 8]), $0) == 0 }
    }

    private func size(ofImage position: Int) throws -> (width: Int, height: Int) {
        if let size = images.size(position) { return size }
        if let imageSize { return imageSize }
        throw SegmentationError("the size of image \(jsonQuoted(images.id(position))) is not known (the image gives no width/height, nor dicom Columns/Rows): give the size with --image-size WxH")
    }

    /// Decodes one annotation's contours and scans them, together as `cv2.fillPoly` fills a
    /// list of contours, into `runs`, tagged with its object.
    private mutating func scan(_ bytes: UnsafeRawBufferPointer, width: Int, height: Int, imageID: RecordID,
                               _ painter: inout SlicePainter) throws {
        var position = 0
        runs.tag = Int32(RawBytes.readVarint(bytes, &position))
        let rows = painter.decode(bytes, &position, height: height)
        if runs.runs.count + rows > runLimit { throw tooLarge(imageID) }
        painter.scanDecoded(width: width, height: height, into: &runs)
        if runs.runs.count > runLimit { throw tooLarge(imageID) }
    }

    private func tooLarge(_ imageID: RecordID) -> SegmentationError {
        SegmentationError("image \(jsonQuoted(imageID.string)): its contours need more than \(runLimit) runs of pixels (\(describeBytes(runLimit * MemoryLayout<PixelRun>.stride)), the slice buffer); give a larger --memory-limit")
    }

    /// A slice's counts into the rows table and the totals.
    private func emit(_ counts: SliceCounts) throws {
        let index = counts.index, slice = sliceNumbers[counts.image]
        for (tag, pixels) in counts.objects {
            let position = Int(objectPositions[Int(tag)])
            try Self.row(.object, position, 0, slice, pixels, into: rows)
        }
        for (tag, pixels) in counts.categories {
            try Self.row(.category, Int(tag), 0, slice, pixels, into: categoryRows)
            result.categories[Int(tag)].totals.add(pixels: pixels, index: index)
        }
        // The closures capture these, not `self` (a copy of the whole join, retained field by field).
        let objectPositions = self.objectPositions, pairRows = self.pairRows
        try counts.objectPairs.forEach { key, pixels in
            let a = Int(objectPositions[Int(key >> 32)]), b = Int(objectPositions[Int(key & 0xffff_ffff)])
            let (first, second) = a < b ? (a, b) : (b, a)
            try Self.row(.objectOverlap, first, second, slice, pixels, into: pairRows)
        }
        try counts.categoryPairs.forEach { key, pixels in
            try Self.row(.categoryOverlap, Int(key >> 32), Int(key & 0xffff_ffff), slice, pixels, into: pairRows)
        }
    }

    private static func row(_ scope: SegmentationMeasurement.Scope, _ first: Int, _ second: Int, _ slice: Int32,
                     _ pixels: Int, into rows: ExternalSorter) throws {
        var key: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &key) {
            SegmentationMeasurement.key(scope: scope, first: first, second: second, slice: slice, into: $0)
        }
        var value = UInt64(pixels).littleEndian
        try withUnsafeBytes(of: &key) { key in
            try withUnsafeBytes(of: &value) {
                _ = try rows.append(key: UnsafeRawBufferPointer(rebasing: key[0..<SegmentationMeasurement.keyBytes]), payload: $0)
            }
        }
    }
}
