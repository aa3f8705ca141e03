/// `stats` on one big file with `--threads`: workers count stretches of `annotations` into
/// parts of their own, folded into the counts (sums, and annotations per image for the tally).
extension SectionCounts: SplittableVisitor {
    /// An empty part for a worker.
    public func makePart() -> AnnotationCounts { AnnotationCounts() }

    /// Folds a worker's part into the counts.
    public mutating func absorb(_ part: AnnotationCounts) throws {
        annotations += part.annotations
        polygons += part.polygons
        points += part.points
        bboxes += part.bboxes
        nullSegmentations += part.nullSegmentations
        for (image, count) in part.perImage { try tally.addAnnotations(imageKey: image, count: count) }
    }
}

/// What `stats` counts of the annotations of one stretch.
public struct AnnotationCounts: AnnotationPart {
    var annotations = 0, polygons = 0, points = 0, bboxes = 0, nullSegmentations = 0
    /// Annotations per image id.
    var perImage: [RecordID: Int] = [:]
    /// Coordinate numbers of the polygon being read.
    private var polygonValues = 0

    /// Handed over at 4,096 images (about 200 KiB).
    public var isFull: Bool { perImage.count >= 4096 }

    /// Counts as `SectionCounts` does.
    public mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        guard chunk.kind == .segmentation else { return }
        polygonValues += chunk.count
        if chunk.endsPolygon {
            points += polygonValues / 2
            polygonValues = 0
        }
    }

    /// Counts as `SectionCounts` does.
    public mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        annotations += 1
        if let count = fields.polygonCount { polygons += count } else { nullSegmentations += 1 }
        bboxes += fields.bboxCount ?? 0
        perImage[fields.imageKey, default: 0] += 1
    }

    /// Counts as `SectionCounts` does.
    public mutating func visitAnnotationDropped(index: Int) throws {
        polygonValues = 0
    }
}
