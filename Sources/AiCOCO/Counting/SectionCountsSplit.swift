/// `stats` on one big file with `--threads`: workers count stretches of `annotations` into
/// parts of their own, folded into the counts (sums, and annotations per image for the tally).
extension SectionCounts: SplittableVisitor {
    /// An empty part for a worker.
    public func makePart() -> AnnotationCounts { AnnotationCounts() }

    /// Folds a worker's part into the counts.
    public mutating func absorb(_ part: AnnotationCounts) throws {
        totals.add(part.totals)
        try part.perImage.forEach { image, count in try tally.addAnnotations(imageKey: image, count: count) }
    }
}

/// What `stats` counts of the annotations of one stretch.
public struct AnnotationCounts: AnnotationPart {
    var totals = AnnotationTotals()
    /// Annotations per image id.
    var perImage = ImageCounts()

    /// Handed over at 4,096 images (about 128 KiB).
    public var isFull: Bool { perImage.count >= ImageCounts.capacity }

    /// Counts as `SectionCounts` does.
    public mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        totals.count(chunk)
    }

    /// Counts as `SectionCounts` does.
    public mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        totals.count(fields)
        perImage.add(fields.imageKey)
    }

    /// Counts as `SectionCounts` does.
    public mutating func visitAnnotationDropped(index: Int) throws {
        totals.drop()
    }
}

/// Annotations, their polygons, coordinate pairs and bboxes: what `SectionCounts` and a split
/// parse's parts count alike.
struct AnnotationTotals {
    var annotations = 0, polygons = 0, points = 0, bboxes = 0, nullSegmentations = 0
    /// Coordinate numbers of the polygon being read.
    private var polygonValues = 0

    @inline(__always)
    mutating func count(_ chunk: CoordinateChunk) {
        guard chunk.kind == .segmentation else { return }
        polygonValues += chunk.count
        if chunk.endsPolygon {
            points += polygonValues / 2
            polygonValues = 0
        }
    }

    @inline(__always)
    mutating func count(_ fields: AnnotationFields) {
        annotations += 1
        if let count = fields.polygonCount { polygons += count } else { nullSegmentations += 1 }
        bboxes += fields.bboxCount ?? 0
    }

    /// Forgets the coordinates of an annotation dropped before its end.
    mutating func drop() { polygonValues = 0 }

    /// Adds another stretch's totals (between annotations).
    mutating func add(_ other: AnnotationTotals) {
        annotations += other.annotations
        polygons += other.polygons
        points += other.points
        bboxes += other.bboxes
        nullSegmentations += other.nullSegmentations
    }
}
