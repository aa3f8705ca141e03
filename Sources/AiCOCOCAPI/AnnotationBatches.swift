// Annotations gathered into flat batches (numbers, offsets, ids) on a parser thread.
import AiCOCO
import CAiCOCOABI

/// The columns of the batch being filled. A struct held by the visitor (no class: no run-time
/// exclusivity check per append). At hand-over the coordinates' storage goes to the caller whole
/// and the other columns are copied into one block (one allocation for the caller to adopt,
/// and their storage is kept for the next batch); `release` frees it all.
struct BatchColumns {
    let batchValues: Int
    var coordinates: MallocBuffer<Double>
    var polygonOffsets: MallocBuffer<Int64>
    var annotationOffsets: MallocBuffer<Int64>
    var bboxes: MallocBuffer<Double>
    var bboxOffsets: MallocBuffer<Int64>
    var iscrowd: MallocBuffer<Int32>
    var segmentationNull: MallocBuffer<UInt8>
    var ids: IDColumn, imageIDs: IDColumn, objectIDs: IDColumn
    /// Resolved by id (when resolving): the image's index and the category's code.
    var sliceIndex: MallocBuffer<Double>
    var categoryCodes: MallocBuffer<Int32>
    /// The category names and meta record, refilled from the catalog at each hand-over.
    var categoryNames: IDColumn
    var meta: MallocBuffer<UInt8>
    var count = 0

    init(batchValues: Int) {
        self.batchValues = batchValues
        let records = min(batchValues, 4096)
        coordinates = MallocBuffer(capacity: batchValues + 4096)
        polygonOffsets = MallocBuffer(capacity: records + 1)
        annotationOffsets = MallocBuffer(capacity: records + 1)
        bboxes = MallocBuffer(capacity: records * 4)
        bboxOffsets = MallocBuffer(capacity: records + 1)
        iscrowd = MallocBuffer(capacity: records)
        segmentationNull = MallocBuffer(capacity: records)
        ids = IDColumn(capacity: records)
        imageIDs = IDColumn(capacity: records)
        objectIDs = IDColumn(capacity: records)
        sliceIndex = MallocBuffer(capacity: records)
        categoryCodes = MallocBuffer(capacity: records)
        categoryNames = IDColumn(capacity: 4)
        meta = MallocBuffer(capacity: 16)
        startOffsets()
    }

    /// The leading 0 of each offsets column.
    private mutating func startOffsets() {
        polygonOffsets.append(0)
        annotationOffsets.append(0)
        bboxOffsets.append(0)
    }

    /// Full at `batchValues` coordinate numbers or a sixteenth as many annotations (what a
    /// boxes-only annotation holds, ids and offsets, is about 16 numbers' worth of bytes).
    var isFull: Bool { coordinates.count >= batchValues || count >= max(batchValues / 16, 1) }
    var isEmpty: Bool { count == 0 }

    /// Lends the coordinates' storage to the caller (the builder goes on in a spare buffer of
    /// `CoordinatePool`, no copy) and copies the other columns into one new block, into `batch` (with
    /// `catalog`'s category names and meta when resolving); starts an empty batch.
    mutating func take(into batch: inout aicoco_batch, catalog: ResolutionCatalog?) {
        categoryNames.removeAll()
        meta.truncate(to: 0)
        if let catalog, catalog.isFrozen {
            for name in catalog.names { categoryNames.append(name) }
        }
        if let catalog { catalog.meta.withUnsafeBufferPointer { meta.append(contentsOf: $0) } }
        var layout = BlockLayout()
        let polygonsAt = layout.add(polygonOffsets), annotationsAt = layout.add(annotationOffsets)
        let bboxesAt = layout.add(bboxes), bboxOffsetsAt = layout.add(bboxOffsets)
        let idOffsetsAt = layout.add(ids.ends), imageIDOffsetsAt = layout.add(imageIDs.ends)
        let objectIDOffsetsAt = layout.add(objectIDs.ends), iscrowdAt = layout.add(iscrowd)
        let nullAt = layout.add(segmentationNull), idsAt = layout.add(ids.bytes)
        let imageIDsAt = layout.add(imageIDs.bytes), objectIDsAt = layout.add(objectIDs.bytes)
        let sliceIndexAt = layout.add(sliceIndex), codesAt = layout.add(categoryCodes)
        let namesAt = layout.add(categoryNames.bytes), nameEndsAt = layout.add(categoryNames.ends)
        let metaAt = layout.add(meta)
        let block = UnsafeMutableRawPointer(CHeap.allocate(UInt8.self, capacity: layout.size))
        batch.count = Int64(count)
        batch.polygons = Int64(polygonOffsets.count - 1)
        batch.values = Int64(coordinates.count)
        batch.boxes = Int64(bboxes.count / 4)
        batch.coordinates = coordinates.lend(to: CoordinatePool.shared, capacity: batchValues + 4096)
        batch.columns = block.assumingMemoryBound(to: UInt8.self)
        batch.columns_length = Int64(layout.size)
        batch.polygon_offsets = polygonOffsets.copy(to: block, at: polygonsAt)
        batch.annotation_offsets = annotationOffsets.copy(to: block, at: annotationsAt)
        batch.bboxes = bboxes.copy(to: block, at: bboxesAt)
        batch.bbox_offsets = bboxOffsets.copy(to: block, at: bboxOffsetsAt)
        batch.iscrowd = iscrowd.copy(to: block, at: iscrowdAt)
        batch.segmentation_null = segmentationNull.copy(to: block, at: nullAt)
        batch.ids = ids.bytes.copy(to: block, at: idsAt)
        batch.id_offsets = ids.ends.copy(to: block, at: idOffsetsAt)
        batch.image_ids = imageIDs.bytes.copy(to: block, at: imageIDsAt)
        batch.image_id_offsets = imageIDs.ends.copy(to: block, at: imageIDOffsetsAt)
        batch.object_ids = objectIDs.bytes.copy(to: block, at: objectIDsAt)
        batch.object_id_offsets = objectIDs.ends.copy(to: block, at: objectIDOffsetsAt)
        batch.slice_index = sliceIndex.copy(to: block, at: sliceIndexAt)
        batch.category_codes = categoryCodes.copy(to: block, at: codesAt)
        batch.categories = Int64(categoryNames.ends.count - 1)
        batch.category_names = categoryNames.bytes.copy(to: block, at: namesAt)
        batch.category_name_offsets = categoryNames.ends.copy(to: block, at: nameEndsAt)
        batch.meta = meta.copy(to: block, at: metaAt)
        batch.meta_length = Int64(meta.count)
        polygonOffsets.truncate(to: 0); annotationOffsets.truncate(to: 0); bboxOffsets.truncate(to: 0)
        bboxes.truncate(to: 0); iscrowd.truncate(to: 0); segmentationNull.truncate(to: 0)
        sliceIndex.truncate(to: 0); categoryCodes.truncate(to: 0)
        ids.removeAll(); imageIDs.removeAll(); objectIDs.removeAll()
        count = 0
        startOffsets()
    }

    /// Appends a chunk of the annotation being read: its box's numbers, or its polygon's.
    @inline(__always)
    mutating func append(_ chunk: CoordinateChunk) {
        if chunk.kind == .bbox {
            chunk.withValues { $0.withUnsafeBufferPointer { bboxes.append(contentsOf: $0) } }
            return
        }
        chunk.withValues { $0.withUnsafeBufferPointer { coordinates.append(contentsOf: $0) } }
        if chunk.endsPolygon { polygonOffsets.append(Int64(coordinates.count)) }
    }

    /// Ends the annotation being read: its offsets, fields and ids.
    mutating func append(_ fields: AnnotationFields) {
        annotationOffsets.append(Int64(polygonOffsets.count - 1))
        bboxOffsets.append(Int64(bboxes.count / 4))
        iscrowd.append(Int32(truncatingIfNeeded: fields.iscrowd))
        segmentationNull.append(fields.polygonCount == nil ? 1 : 0)
        ids.append(fields.idKey)
        imageIDs.append(fields.imageKey)
        objectIDs.append(fields.objectKey)
        count += 1
    }

    /// Drops what the columns hold past the last annotation ended (the numbers, box and polygons
    /// of one stopped part way by an error), so that they hold exactly the `count` annotations.
    mutating func dropUnfinished() {
        let polygons = Int(annotationOffsets.pointer[annotationOffsets.count - 1])
        polygonOffsets.truncate(to: polygons + 1)
        coordinates.truncate(to: Int(polygonOffsets.pointer[polygons]))
        bboxes.truncate(to: Int(bboxOffsets.pointer[bboxOffsets.count - 1]) * 4)
        sliceIndex.truncate(to: count)  // (empty when not resolving)
        categoryCodes.truncate(to: count)
    }

    /// Frees the storage (not handed over).
    func release() {
        coordinates.free(); polygonOffsets.free(); annotationOffsets.free(); bboxes.free()
        bboxOffsets.free(); iscrowd.free(); segmentationNull.free(); sliceIndex.free(); categoryCodes.free()
        categoryNames.bytes.free(); categoryNames.ends.free(); meta.free()
        ids.bytes.free(); ids.ends.free(); imageIDs.bytes.free(); imageIDs.ends.free()
        objectIDs.bytes.free(); objectIDs.ends.free()
    }
}

/// Where the columns go in a batch's block: one after another, each at a multiple of 8 bytes.
struct BlockLayout {
    private(set) var size = 0

    /// The offset of `column`'s copy.
    mutating func add<Element>(_ column: MallocBuffer<Element>) -> Int {
        let offset = size
        size += (column.count * MemoryLayout<Element>.stride + 7) & ~7
        return offset
    }
}

/// Frees both allocations of a batch handed over but never taken by the caller.
func freeBatch(_ batch: aicoco_batch) {
    CoordinatePool.shared.give(batch.coordinates)
    CHeap.free(batch.columns)
}

/// The visitor of the parser thread: fills the builder, hands it over when full. When
/// resolving, it gives the catalog the records it needs; at the first annotation it freezes the
/// catalog if the images, categories and objects have ended, else it reads on for the catalog
/// only (`needsRereading`: the annotations come in a second pass), handing over an empty batch
/// every 4 MiB read so that the caller can report progress. Split among threads, it takes the
/// workers' parts in file order (`absorb`); read again after a split that stopped, it skips the
/// `skip` annotations already handed over.
struct BatchVisitor: SplittableVisitor {
    var builder: BatchColumns
    let channel: BatchChannel
    /// The catalog that resolves ids (nil: no resolving).
    let catalog: ResolutionCatalog?
    /// Reading on for the catalog only, the annotations ignored.
    private(set) var needsRereading = false
    /// Annotations still to skip, and whether the one being read is skipped.
    private var skip: Int, skipping = false
    /// Where the annotation being read began, to drop it.
    private var valuesMark = 0, polygonsMark = 0, bboxMark = 0
    /// Bytes read at the last empty batch of a catalog-only pass.
    private var reportedBytes = 0

    init(builder: BatchColumns, channel: BatchChannel, catalog: ResolutionCatalog?, skip: Int = 0) {
        self.builder = builder
        self.channel = channel
        self.catalog = catalog
        self.skip = skip
    }

    /// Whether the annotation being read is left out.
    private var ignoring: Bool { needsRereading || skipping }

    /// In a catalog-only pass: an empty batch (the bytes read so far) every 4 MiB.
    private mutating func reportProgress() throws {
        guard needsRereading, channel.bytesRead - reportedBytes >= 4 << 20 else { return }
        reportedBytes = channel.bytesRead
        try channel.handOver(&builder)
    }

    func makePart() -> BatchPart { BatchPart(batchValues: builder.batchValues, spares: channel.spareParts) }

    /// Hands over what is in the builder, then the part's annotations, which come next in the file.
    mutating func absorb(_ part: BatchPart) throws {
        guard let storage = part.storage, !storage.columns.isEmpty else { return }
        if !builder.isEmpty { try channel.handOver(&builder) }
        try channel.handOver(&storage.columns)
        channel.spareParts.put(storage)
    }

    mutating func visitSectionEnd(_ section: Section, count: Int) throws {
        catalog?.sectionEnded(section)
    }

    mutating func visit(_ record: Record, index: Int) throws {
        try catalog?.add(record)
        try reportProgress()
    }

    mutating func visitAnnotationStart(index: Int) throws {
        if let catalog, !catalog.isFrozen, !needsRereading {
            if catalog.isComplete { try catalog.freeze() } else { needsRereading = true }
        }
        skipping = skip > 0
        valuesMark = builder.coordinates.count
        polygonsMark = builder.polygonOffsets.count
        bboxMark = builder.bboxes.count
    }

    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        if ignoring { return }
        builder.append(chunk)
    }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        if needsRereading { return try reportProgress() }
        if skipping {
            skip -= 1
            return
        }
        if let catalog {
            builder.sliceIndex.append(try catalog.sliceIndex(fields.imageKey))
            builder.categoryCodes.append(try catalog.categoryCode(fields.objectKey))
        }
        builder.append(fields)
        if builder.isFull { try channel.handOver(&builder) }
    }

    mutating func visitAnnotationDropped(index: Int) throws {
        if ignoring { return }
        builder.coordinates.truncate(to: valuesMark)
        builder.polygonOffsets.truncate(to: polygonsMark)
        builder.bboxes.truncate(to: bboxMark)
    }
}

/// A worker's annotations (a split parse): columns made or taken from `spares` at the first
/// annotation (a part is copied empty for each hand-over), given back once handed over, freed
/// with the last copy when not.
struct BatchPart: AnnotationPart, @unchecked Sendable {
    /// The columns, in a class so that they are freed once. One thread at a time has a part (its
    /// worker, then the reader's thread at hand-over), so the accesses to `columns` go unchecked:
    /// a run-time exclusivity check per chunk and per annotation cost about 170 M instructions
    /// on 200 MB.
    final class Storage {
        @exclusivity(unchecked) var columns: BatchColumns
        init(batchValues: Int) { columns = BatchColumns(batchValues: batchValues) }
        deinit { columns.release() }
    }

    let batchValues: Int
    let spares: SpareParts
    private(set) var storage: Storage?

    init(batchValues: Int, spares: SpareParts) {
        self.batchValues = batchValues
        self.spares = spares
    }

    var isFull: Bool { storage?.columns.isFull ?? false }

    mutating func visitAnnotationStart(index: Int) throws {
        if storage == nil { storage = spares.take() ?? Storage(batchValues: batchValues) }
    }

    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        storage?.columns.append(chunk)
    }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        storage?.columns.append(fields)
    }
}

/// Parts' columns handed over and emptied, for the workers' next parts: their memory is
/// already mapped (a new part's would be fresh pages, one page fault per 4 KiB filled).
final class SpareParts: @unchecked Sendable {
    private let monitor = Monitor(conditions: 1)
    private var spare: [BatchPart.Storage] = []

    func take() -> BatchPart.Storage? {
        monitor.withLock { spare.popLast() }
    }

    /// Keeps `storage` (empty), up to 8 (more are freed).
    func put(_ storage: BatchPart.Storage) {
        monitor.withLock { if spare.count < 8 { spare.append(storage) } }
    }
}
