/// The COCO geometry of one AiCOCO annotation: polygons pycocotools' `annToMask`/`annToRLE`
/// accept, a box of at least 1 x 1 pixel and an area.
///
/// FLaVor traces masks with `cv2.findContours(..., CHAIN_APPROX_SIMPLE)`, whose points are pixel
/// coordinates: a single pixel gives a 1-point contour, a straight run of pixels a 2-point one,
/// a thin curve a contour without area. pycocotools rejects a polygon of fewer than 6 numbers
/// (and reads a first polygon of 4 numbers as a box), and rasterizes an area-less polygon to
/// nothing. So a contour of 1 or 2 points, or of less than 1 pixel of area, becomes the pixels
/// it stands for: pixel (x, y) is the square from (x, y) to (x + 1, y + 1), and each step from
/// one point to the next (closing the contour) the hull of the two pixels' squares (a rectangle,
/// or a hexagon for a diagonal), 8 or 12 numbers. Other contours pass unchanged.
///
/// An annotation with boxes and no polygons (detection) gets each box as a rectangle polygon.
/// Buffers are reused from one annotation to the next.
struct COCOGeometry {
    /// The polygons, flat, and where each ends (as in `Polygons`).
    private(set) var coordinates: [Double] = []
    private(set) var ends: [Int] = []
    private(set) var x = 0.0, y = 0.0, width = 0.0, height = 0.0, area = 0.0
    /// The last `build` gave an area, a width or a height too large for a `Double` (coordinates
    /// valid in JSON, near ±1.8e308): there is no COCO geometry to write.
    private(set) var overflowed = false
    /// Contours replaced by the pixels they stand for, over every annotation so far.
    private(set) var pixelContours = 0
    /// The smallest and largest x and y of `coordinates`.
    private var extentLow = (x: Double.infinity, y: Double.infinity)
    private var extentHigh = (x: -Double.infinity, y: -Double.infinity)

    /// Builds the geometry of `annotation`; false when it has neither box nor polygon.
    mutating func build(_ annotation: AiAnnotation) -> Bool {
        let polygons = annotation.segmentation
        return (polygons?.coordinates ?? []).withUnsafeBufferPointer { coordinates in
            build(coordinates: coordinates, ends: polygons?.ends, boxes: annotation.bbox)
        }
    }

    /// Builds the geometry of an annotation given by its parts: the polygons flat with where each
    /// ends (`ends` nil for `"segmentation": null`), the boxes (nil for `"bbox": null`).
    mutating func build<Ends: Collection<Int>>(coordinates polygons: UnsafeBufferPointer<Double>, ends polygonEnds: Ends?,
                                               boxes: [BoundingBox]?) -> Bool {
        coordinates.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        area = 0
        extentLow = (.infinity, .infinity)
        extentHigh = (-.infinity, -.infinity)
        if let polygonEnds {
            var start = 0
            for end in polygonEnds {
                addContour(UnsafeBufferPointer(rebasing: polygons[start..<end]))
                start = end
            }
        } else if let boxes {
            for box in boxes {
                let left = min(box.x1, box.x2), top = min(box.y1, box.y2)
                let right = max(max(box.x1, box.x2), left + 1), bottom = max(max(box.y1, box.y2), top + 1)
                push(left, top); push(right, top); push(right, bottom); push(left, bottom)
                closePolygon()
            }
        }
        var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
        if let boxes, !boxes.isEmpty {
            for box in boxes {
                minX = min(minX, box.x1, box.x2); maxX = max(maxX, box.x1, box.x2)
                minY = min(minY, box.y1, box.y2); maxY = max(maxY, box.y1, box.y2)
            }
        } else if !coordinates.isEmpty {
            (minX, minY) = extentLow
            (maxX, maxY) = extentHigh
        }
        guard minX.isFinite, minY.isFinite, maxX.isFinite, maxY.isFinite, !ends.isEmpty || boxes?.isEmpty == false
        else { return false }
        x = minX
        y = minY
        width = max(maxX - minX, 1)
        height = max(maxY - minY, 1)
        overflowed = !(area.isFinite && width.isFinite && height.isFinite)
        return true
    }

    /// Twice the signed area of the polygon `values` (x, y pairs), by the shoelace formula.
    static func twiceSignedArea(_ values: UnsafeBufferPointer<Double>) -> Double {
        let pairs = values.count / 2
        guard pairs >= 3 else { return 0 }
        var twice = 0.0
        var previousX = values[2 * pairs - 2], previousY = values[2 * pairs - 1]
        for pair in 0..<pairs {
            let x = values[2 * pair], y = values[2 * pair + 1]
            twice += previousX * y - x * previousY
            previousX = x
            previousY = y
        }
        return twice
    }

    private mutating func addContour(_ values: UnsafeBufferPointer<Double>) {
        let pairs = values.count / 2
        guard pairs > 0 else { return }
        if pairs >= 3 {
            // The area (as `twiceSignedArea`) and the extent in one loop.
            var twice = 0.0
            var previousX = values[2 * pairs - 2], previousY = values[2 * pairs - 1]
            var low = (x: previousX, y: previousY), high = low
            for pair in 0..<pairs {
                let x = values[2 * pair], y = values[2 * pair + 1]
                twice += previousX * y - x * previousY
                previousX = x
                previousY = y
                low = (min(low.x, x), min(low.y, y))
                high = (max(high.x, x), max(high.y, y))
            }
            if abs(twice) >= 2 {
                coordinates.append(contentsOf: values)
                ends.append(coordinates.count)
                area += abs(twice) / 2
                extentLow = (min(extentLow.x, low.x), min(extentLow.y, low.y))
                extentHigh = (max(extentHigh.x, high.x), max(extentHigh.y, high.y))
                return
            }
        }
        pixelContours += 1
        if pairs == 1 {
            addStep(values[0], values[1], values[0], values[1])
        } else if pairs == 2 {
            addStep(values[0], values[1], values[2], values[3])
        } else {
            for pair in 0..<pairs {
                let next = (pair + 1) % pairs
                addStep(values[2 * pair], values[2 * pair + 1], values[2 * next], values[2 * next + 1])
            }
        }
    }

    /// The hull of the squares of pixels (ax, ay) and (bx, by).
    private mutating func addStep(_ ax: Double, _ ay: Double, _ bx: Double, _ by: Double) {
        // Left to right.
        let (ax, ay, bx, by) = ax <= bx ? (ax, ay, bx, by) : (bx, by, ax, ay)
        if ax == bx || ay == by {
            let left = ax, right = bx + 1, top = min(ay, by), bottom = max(ay, by) + 1
            push(left, top); push(right, top); push(right, bottom); push(left, bottom)
        } else if ay < by {
            // Down and to the right.
            push(ax, ay); push(ax + 1, ay); push(bx + 1, by); push(bx + 1, by + 1); push(bx, by + 1); push(ax, ay + 1)
        } else {
            // Up and to the right.
            push(ax, ay); push(bx, by); push(bx + 1, by); push(bx + 1, by + 1); push(ax + 1, ay + 1); push(ax, ay + 1)
        }
        closePolygon()
    }

    private mutating func push(_ x: Double, _ y: Double) {
        coordinates.append(x)
        coordinates.append(y)
        extentLow = (min(extentLow.x, x), min(extentLow.y, y))
        extentHigh = (max(extentHigh.x, x), max(extentHigh.y, y))
    }

    /// Ends the polygon pushed since the previous one, and adds its area.
    private mutating func closePolygon() {
        let start = ends.last ?? 0
        ends.append(coordinates.count)
        area += coordinates.withUnsafeBufferPointer { abs(Self.twiceSignedArea(UnsafeBufferPointer(rebasing: $0[start...]))) } / 2
    }
}
