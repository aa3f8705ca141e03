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
    var catalog: MallocBuffer<UInt8>
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
        catalog = MallocBuffer(capacity: 256)
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
    var isEmpty: Bool { count == 0 && catalog.count == 0 }

    /// Appends `text` and a newline to the catalog lines.
    mutating func addCatalogLine(_ text: String) {
        var text = text
        text.withUTF8 { catalog.append(contentsOf: $0) }
        catalog.append(0x0A)
    }

    /// Hands the coordinates over and copies the other columns into one new block, into
    /// `batch`; starts an empty batch.
    mutating func take(into batch: inout aicoco_batch) {
        var layout = BlockLayout()
        let polygonsAt = layout.add(polygonOffsets), annotationsAt = layout.add(annotationOffsets)
        let bboxesAt = layout.add(bboxes), bboxOffsetsAt = layout.add(bboxOffsets)
        let idOffsetsAt = layout.add(ids.ends), imageIDOffsetsAt = layout.add(imageIDs.ends)
        let objectIDOffsetsAt = layout.add(objectIDs.ends), iscrowdAt = layout.add(iscrowd)
        let nullAt = layout.add(segmentationNull), idsAt = layout.add(ids.bytes)
        let imageIDsAt = layout.add(imageIDs.bytes), objectIDsAt = layout.add(objectIDs.bytes)
        let catalogAt = layout.add(catalog)
        let block = UnsafeMutableRawPointer(CHeap.allocate(UInt8.self, capacity: layout.size))
        batch.count = Int64(count)
        batch.polygons = Int64(polygonOffsets.count - 1)
        batch.values = Int64(coordinates.count)
        batch.boxes = Int64(bboxes.count / 4)
        batch.coordinates = coordinates.take(capacity: batchValues + 4096)
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
        batch.catalog = catalog.copy(to: block, at: catalogAt)
        batch.catalog_length = Int64(catalog.count)
        polygonOffsets.truncate(to: 0); annotationOffsets.truncate(to: 0); bboxOffsets.truncate(to: 0)
        bboxes.truncate(to: 0); iscrowd.truncate(to: 0); segmentationNull.truncate(to: 0); catalog.truncate(to: 0)
        ids.removeAll(); imageIDs.removeAll(); objectIDs.removeAll()
        count = 0
        startOffsets()
    }

    /// Frees the storage (not handed over).
    func release() {
        coordinates.free(); polygonOffsets.free(); annotationOffsets.free(); bboxes.free()
        bboxOffsets.free(); iscrowd.free(); segmentationNull.free(); catalog.free()
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
    CHeap.free(batch.coordinates)
    CHeap.free(batch.columns)
}

/// The visitor of the parser thread: fills the builder, hands it over when full.
struct BatchVisitor: DocumentVisitor {
    var builder: BatchColumns
    let channel: BatchChannel
    /// Whether to pass on the images, categories and objects.
    let catalog: Bool
    /// Where the annotation being read began, to drop it.
    private var valuesMark = 0, polygonsMark = 0, bboxMark = 0
    private var polygonValues = 0

    init(builder: BatchColumns, channel: BatchChannel, catalog: Bool) {
        self.builder = builder
        self.channel = channel
        self.catalog = catalog
    }

    mutating func visit(_ record: Record, index: Int) throws {
        guard catalog else { return }
        switch record {
        case .image(let image):
            builder.addCatalogLine("[\"i\",\(JSONText.quoted(image.id)),\(JSONText.number(image.index))]")
        case .category(let category):
            builder.addCatalogLine("[\"c\",\(JSONText.quoted(category.id)),\(JSONText.quoted(category.name))]")
        case .object(let object):
            let ids = (object.categoryIDs ?? []).map(JSONText.quoted).joined(separator: ",")
            builder.addCatalogLine("[\"o\",\(JSONText.quoted(object.id)),[\(ids)]]")
        default:
            break
        }
    }

    mutating func visitAnnotationStart(index: Int) throws {
        valuesMark = builder.coordinates.count
        polygonsMark = builder.polygonOffsets.count
        bboxMark = builder.bboxes.count
    }

    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        if chunk.kind == .bbox {
            chunk.withValues { $0.withUnsafeBufferPointer { builder.bboxes.append(contentsOf: $0) } }
            return
        }
        chunk.withValues { $0.withUnsafeBufferPointer { builder.coordinates.append(contentsOf: $0) } }
        if chunk.endsPolygon { builder.polygonOffsets.append(Int64(builder.coordinates.count)) }
    }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        builder.annotationOffsets.append(Int64(builder.polygonOffsets.count - 1))
        builder.bboxOffsets.append(Int64(builder.bboxes.count / 4))
        builder.iscrowd.append(Int32(truncatingIfNeeded: fields.iscrowd))
        builder.segmentationNull.append(fields.polygonCount == nil ? 1 : 0)
        builder.ids.append(fields.idKey)
        builder.imageIDs.append(fields.imageKey)
        builder.objectIDs.append(fields.objectKey)
        builder.count += 1
        if builder.isFull { try channel.handOver(&builder) }
    }

    mutating func visitAnnotationDropped(index: Int) throws {
        builder.coordinates.truncate(to: valuesMark)
        builder.polygonOffsets.truncate(to: polygonsMark)
        builder.bboxes.truncate(to: bboxMark)
    }
}
