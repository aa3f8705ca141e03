/// The COCO geometry of an AiCOCO annotation that has no contour point (detection): each box
/// as a rectangle polygon (corners `x1, y1` to `x2, y2`, at least 1 x 1 pixel), `bbox` the
/// boxes' union, `area` the rectangles' area. Annotations with contours go through `COCOMask`.
/// Buffers are reused from one annotation to the next.
struct COCOGeometry {
    /// The polygons, flat, and where each ends (as in `Polygons`).
    private(set) var coordinates: [Double] = []
    private(set) var ends: [Int] = []
    private(set) var x = 0.0, y = 0.0, width = 0.0, height = 0.0, area = 0.0
    /// The last `build` gave an area, a width or a height too large for a `Double` (boxes valid
    /// in JSON, near ±1.8e308): there is no COCO geometry to write.
    private(set) var overflowed = false

    /// Whether `coordinates` (flat `x, y` pairs) hold at least one point: then the annotation's
    /// pixels are its geometry (`COCOMask`), else its boxes.
    static func hasPoints<Ends: Collection<Int>>(_ coordinates: UnsafeBufferPointer<Double>, ends: Ends?) -> Bool {
        guard let ends else { return false }
        var start = 0
        for end in ends {
            if end - start >= 2 { return true }
            start = end
        }
        return false
    }

    /// Builds the geometry of an annotation without contour points from its boxes (nil for
    /// `"bbox": null`); `segmentation` tells whether it had a (pointless) segmentation, in which
    /// case the boxes give the bbox but no polygon. False when there is nothing to write.
    mutating func build(boxes: [BoundingBox]?, segmentation: Bool) -> Bool {
        coordinates.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        area = 0
        guard let boxes, !boxes.isEmpty else { return false }
        var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
        for box in boxes {
            if !segmentation {
                let left = min(box.x1, box.x2), top = min(box.y1, box.y2)
                let right = max(max(box.x1, box.x2), left + 1), bottom = max(max(box.y1, box.y2), top + 1)
                coordinates.append(contentsOf: [left, top, right, top, right, bottom, left, bottom])
                ends.append(coordinates.count)
                area += (right - left) * (bottom - top)
            }
            minX = min(minX, box.x1, box.x2); maxX = max(maxX, box.x1, box.x2)
            minY = min(minY, box.y1, box.y2); maxY = max(maxY, box.y1, box.y2)
        }
        guard minX.isFinite, minY.isFinite, maxX.isFinite, maxY.isFinite else { return false }
        x = minX
        y = minY
        width = max(maxX - minX, 1)
        height = max(maxY - minY, 1)
        overflowed = !(area.isFinite && width.isFinite && height.isFinite)
        return true
    }
}
