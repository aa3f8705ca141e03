// Annotations gathered into flat batches (numbers, offsets, ids) on a parser thread.
import AiCOCO
import CAiCOCOABI
#if canImport(Glibc)
import Glibc
#endif

/// The columns of the batch being filled; its storage is handed over whole. A struct held by
/// the visitor (no class: no run-time exclusivity check per append); `release` frees it.
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
        polygonOffsets.append(0)
        annotationOffsets.append(0)
        bboxOffsets.append(0)
    }

    var isFull: Bool { coordinates.count >= batchValues || count >= batchValues }
    var isEmpty: Bool { count == 0 && catalog.count == 0 }

    /// Appends `text` and a newline to the catalog lines.
    mutating func addCatalogLine(_ text: String) {
        var text = text
        text.withUTF8 { catalog.append(contentsOf: $0) }
        catalog.append(0x0A)
    }

    /// Moves the storage into `batch` and starts an empty batch.
    mutating func take(into batch: inout aicoco_batch) {
        batch.count = Int64(count)
        batch.polygons = Int64(polygonOffsets.count - 1)
        batch.values = Int64(coordinates.count)
        batch.bbox_values = Int64(bboxes.count)
        batch.catalog_length = Int64(catalog.count)
        batch.coordinates = coordinates.pointer
        batch.polygon_offsets = polygonOffsets.pointer
        batch.annotation_offsets = annotationOffsets.pointer
        batch.bboxes = bboxes.pointer
        batch.bbox_offsets = bboxOffsets.pointer
        batch.iscrowd = iscrowd.pointer
        batch.segmentation_null = segmentationNull.pointer
        batch.ids = ids.bytes.pointer
        batch.id_offsets = ids.ends.pointer
        batch.image_ids = imageIDs.bytes.pointer
        batch.image_id_offsets = imageIDs.ends.pointer
        batch.object_ids = objectIDs.bytes.pointer
        batch.object_id_offsets = objectIDs.ends.pointer
        batch.catalog = catalog.pointer
        self = BatchColumns(batchValues: batchValues)
    }

    /// Frees the storage (not handed over).
    func release() {
        coordinates.free(); polygonOffsets.free(); annotationOffsets.free(); bboxes.free()
        bboxOffsets.free(); iscrowd.free(); segmentationNull.free(); catalog.free()
        ids.bytes.free(); ids.ends.free(); imageIDs.bytes.free(); imageIDs.ends.free()
        objectIDs.bytes.free(); objectIDs.ends.free()
    }
}

/// Frees every buffer of a batch handed over but never taken by the caller.
func freeBatch(_ batch: aicoco_batch) {
    free(batch.coordinates); free(batch.polygon_offsets); free(batch.annotation_offsets)
    free(batch.bboxes); free(batch.bbox_offsets); free(batch.iscrowd); free(batch.segmentation_null)
    free(batch.ids); free(batch.id_offsets); free(batch.image_ids); free(batch.image_id_offsets)
    free(batch.object_ids); free(batch.object_id_offsets); free(batch.catalog)
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

    mutating func visit(_ record: AiCOCORecord, index: Int) throws {
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
        builder.bboxOffsets.append(Int64(builder.bboxes.count))
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
