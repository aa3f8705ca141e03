// The pixel rules of OpenCV's `fillPoly` (8-connected lines, no shift, no offset), rebuilt
// from its documented behaviour and checked pixel for pixel against opencv-python in the tests:
// every edge of the contour is drawn as an 8-connected Bresenham line (so the boundary and
// 1- and 2-point contours are covered), then each row from an edge's upper end to the row above
// its lower end is filled between pairs of crossings, in 16.16 fixed point, with the crossings
// of edges that leave the image taken from their clipped part (as current OpenCV does;
// the tests compare with opencv-python-headless 5.0).

/// Where a scanner's pixels go: a run of pixels of one row, already clipped to the image.
protocol PixelRunSink {
    mutating func run(y: Int, from x0: Int, through x1: Int)
}

/// Fills one contour at a time with OpenCV's rules. Keeps its scratch storage between calls,
/// so filling allocates nothing once warmed up.
struct ContourScanner {
    private struct Edge {
        var y0: Int, y1: Int
        /// x at row `y0` then at the current row, in 16.16 fixed point.
        var x: Int64
        /// Change of x per row, in 16.16 fixed point (truncated toward zero).
        var dx: Int64
    }

    private static let shift: Int64 = 16
    private static let one: Int64 = 1 << 16
    /// Coordinates are clamped to this magnitude so that fixed point cannot overflow.
    static let coordinateLimit = Double(1 << 28)

    private var points: [(x: Int64, y: Int64)] = []
    private var edges: [Edge] = []
    private var active: [Int] = []

    /// Fills the contour `x1, y1, x2, y2, ...` (a trailing odd number is ignored) into a
    /// `width` x `height` image. Coordinates are rounded to the nearest integer (ties to even).
    mutating func fill<Sink: PixelRunSink>(_ coordinates: UnsafeBufferPointer<Double>, width: Int, height: Int,
                                           into sink: inout Sink) {
        guard width > 0, height > 0 else { return }
        edges.removeAll(keepingCapacity: true)
        addContour(coordinates, width: width, height: height, into: &sink)
        fillBetweenEdges(width: width, height: height, into: &sink)
    }

    /// Fills the contours `coordinates[0..<ends[0]]`, `coordinates[ends[0]..<ends[1]]`, ...
    /// together, as one call of `cv2.fillPoly` with a list of contours does: their boundaries
    /// drawn, then each row filled between pairs of the crossings of all their edges (so a
    /// contour inside another leaves a hole, where filling them one by one would not).
    mutating func fillTogether<Sink: PixelRunSink, Ends: Collection<Int>>(_ coordinates: UnsafeBufferPointer<Double>, ends: Ends,
                                                                       width: Int, height: Int, into sink: inout Sink) {
        guard width > 0, height > 0 else { return }
        edges.removeAll(keepingCapacity: true)
        var start = 0
        for end in ends {
            addContour(UnsafeBufferPointer(rebasing: coordinates[start..<end]), width: width, height: height, into: &sink)
            start = end
        }
        fillBetweenEdges(width: width, height: height, into: &sink)
    }

    /// Draws the contour's boundary and adds its edges to `edges`.
    private mutating func addContour<Sink: PixelRunSink>(_ coordinates: UnsafeBufferPointer<Double>, width: Int, height: Int,
                                                         into sink: inout Sink) {
        points.removeAll(keepingCapacity: true)
        var index = 0
        while index + 1 < coordinates.count {
            points.append((Self.integer(coordinates[index]), Self.integer(coordinates[index + 1])))
            index += 2
        }
        guard !points.isEmpty else { return }
        var previous = points[points.count - 1]
        for point in points {
            drawLine(from: previous, to: point, width: width, height: height, into: &sink)
            if previous.y != point.y {
                // An edge that leaves the image takes its x from the part inside the image (its
                // rows too, unless that part is flat).
                var c0 = (x: previous.x << Self.shift, y: previous.y), c1 = (x: point.x << Self.shift, y: point.y)
                if Self.isOutside(previous, width: width, height: height) || Self.isOutside(point, width: width, height: height) {
                    var (x0, y0, x1, y1) = (previous.x, previous.y, point.x, point.y)
                    _ = Self.clip(width: Int64(width), height: Int64(height), &x0, &y0, &x1, &y1)
                    c0 = (x0 << Self.shift, y0 != y1 ? y0 : previous.y)
                    c1 = (x1 << Self.shift, y0 != y1 ? y1 : point.y)
                }
                let dx = (c1.x - c0.x) / (c1.y - c0.y)
                let (top, topClipped, bottom) = previous.y < point.y ? (previous, c0, point) : (point, c1, previous)
                edges.append(Edge(y0: Int(top.y), y1: Int(bottom.y), x: topClipped.x &+ (top.y &- topClipped.y) &* dx, dx: dx))
            }
            previous = point
        }
    }

    private static func integer(_ value: Double) -> Int64 {
        guard value.isFinite else { return value > 0 ? Int64(coordinateLimit) : -Int64(coordinateLimit) }
        return Int64(min(max(value.rounded(.toNearestOrEven), -coordinateLimit), coordinateLimit))
    }

    /// The rows between edge ends (the lower end's row excluded): at each row, the crossings
    /// sorted by x, filled pair by pair from the first pixel at or right of the left crossing to
    /// the last pixel at or left of the right one.
    private mutating func fillBetweenEdges<Sink: PixelRunSink>(width: Int, height: Int, into sink: inout Sink) {
        guard edges.count >= 2 else { return }
        var yMin = Int.max, yMax = Int.min
        var xMin = Int64.max, xMax: Int64 = -1
        for edge in edges {
            let xEnd = edge.x &+ Int64(edge.y1 - edge.y0) &* edge.dx
            yMin = min(yMin, edge.y0)
            yMax = max(yMax, edge.y1)
            xMin = min(xMin, edge.x, xEnd)
            xMax = max(xMax, edge.x, xEnd)
        }
        if yMax < 0 || yMin >= height || xMax < 0 || xMin >= Int64(width) << Self.shift { return }
        // Rows above the image are not walked: an edge that starts there joins at row 0 with its
        // x at row 0 (so time follows the rows inside the image, not the coordinates' reach).
        if yMin < 0 {
            edges.removeAll { $0.y1 <= 0 }
            for index in edges.indices where edges[index].y0 < 0 {
                edges[index].x = edges[index].x &+ Int64(-edges[index].y0) &* edges[index].dx
                edges[index].y0 = 0
            }
            yMin = 0
        }
        edges.sort { $0.y0 != $1.y0 ? $0.y0 < $1.y0 : ($0.x != $1.x ? $0.x < $1.x : $0.dx < $1.dx) }
        active.removeAll(keepingCapacity: true)
        var next = 0
        let lastRow = min(yMax, height)
        var y = yMin
        if y < 0 {
            // Rows above the image are skipped at once (time follows the rows inside the image,
            // not the coordinates' magnitude): the edges that cross row 0 join there, their x
            // moved on by as many rows as the row-by-row loop would have.
            y = 0
            while next < edges.count && edges[next].y0 < 0 {
                if edges[next].y1 > 0 {
                    edges[next].x += Int64(-edges[next].y0) * edges[next].dx
                    active.append(next)
                }
                next += 1
            }
        }
        while y < lastRow {
            // Edges whose lower end is this row leave; edges whose upper end is this row join.
            active.removeAll { edges[$0].y1 == y }
            while next < edges.count && edges[next].y0 == y {
                active.append(next)
                next += 1
            }
            sortActiveByX()
            var pair = 0
            while pair + 1 < active.count {
                let left = edges[active[pair]].x, right = edges[active[pair + 1]].x
                if y >= 0 {
                    var x1 = Int((left + Self.one - 1) >> Self.shift)
                    var x2 = Int(right >> Self.shift)
                    if x1 < width && x2 >= 0 {
                        x1 = max(x1, 0)
                        x2 = min(x2, width - 1)
                        if x1 <= x2 { sink.run(y: y, from: x1, through: x2) }
                    }
                }
                pair += 2
            }
            for position in active.indices { edges[active[position]].x &+= edges[active[position]].dx }
            y += 1
        }
    }

    /// Insertion sort (stable; the list is nearly sorted from one row to the next).
    private mutating func sortActiveByX() {
        guard active.count > 1 else { return }
        for position in 1..<active.count {
            let item = active[position]
            let x = edges[item].x
            var slot = position
            while slot > 0 && edges[active[slot - 1]].x > x {
                active[slot] = active[slot - 1]
                slot -= 1
            }
            active[slot] = item
        }
    }

    private static func isOutside(_ point: (x: Int64, y: Int64), width: Int, height: Int) -> Bool {
        point.x < 0 || point.x >= width || point.y < 0 || point.y >= height
    }

    /// An 8-connected line drawn left to right, clipped to the image first.
    private func drawLine<Sink: PixelRunSink>(from start: (x: Int64, y: Int64), to end: (x: Int64, y: Int64),
                                              width: Int, height: Int, into sink: inout Sink) {
        var x1 = start.x, y1 = start.y, x2 = end.x, y2 = end.y
        let outside = Self.isOutside(start, width: width, height: height) || Self.isOutside(end, width: width, height: height)
        if outside && !Self.clip(width: Int64(width), height: Int64(height), &x1, &y1, &x2, &y2) { return }
        var dx = x2 - x1, dy = y2 - y1
        var x = x1, y = y1
        if dx < 0 {
            dx = -dx; dy = -dy
            x = x2; y = y2
        }
        var stepY: Int64 = 1
        if dy < 0 { dy = -dy; stepY = -1 }
        // Along the major axis every step; along the minor one when the error goes negative.
        var majorX: Int64 = 1, majorY: Int64 = 0, minorX: Int64 = 0, minorY = stepY
        if dy > dx {
            swap(&dx, &dy)
            (majorX, majorY, minorX, minorY) = (0, stepY, 1, 0)
        }
        var error = dx - 2 * dy
        var remaining = dx
        while true {
            sink.run(y: Int(y), from: Int(x), through: Int(x))
            if remaining == 0 { break }
            remaining -= 1
            if error < 0 {
                error += 2 * dx - 2 * dy
                x += majorX + minorX; y += majorY + minorY
            } else {
                error -= 2 * dy
                x += majorX; y += majorY
            }
        }
    }

    /// Cohen-Sutherland style clipping to `[0, width) x [0, height)`, in OpenCV's arithmetic
    /// (the intersection computed in double and truncated). False when the line misses the image.
    static func clip(width: Int64, height: Int64, _ x1: inout Int64, _ y1: inout Int64,
                     _ x2: inout Int64, _ y2: inout Int64) -> Bool {
        guard width > 0, height > 0 else { return false }
        let right = width - 1, bottom = height - 1
        func code(_ x: Int64, _ y: Int64) -> Int {
            (x < 0 ? 1 : 0) + (x > right ? 2 : 0) + (y < 0 ? 4 : 0) + (y > bottom ? 8 : 0)
        }
        var c1 = code(x1, y1), c2 = code(x2, y2)
        if c1 & c2 == 0 && c1 | c2 != 0 {
            if c1 & 12 != 0 {
                let a: Int64 = c1 < 8 ? 0 : bottom
                x1 += Int64(Double(a - y1) * Double(x2 - x1) / Double(y2 - y1))
                y1 = a
                c1 = (x1 < 0 ? 1 : 0) + (x1 > right ? 2 : 0)
            }
            if c2 & 12 != 0 {
                let a: Int64 = c2 < 8 ? 0 : bottom
                x2 += Int64(Double(a - y2) * Double(x2 - x1) / Double(y2 - y1))
                y2 = a
                c2 = (x2 < 0 ? 1 : 0) + (x2 > right ? 2 : 0)
            }
            if c1 & c2 == 0 && c1 | c2 != 0 {
                if c1 != 0 {
                    let a: Int64 = c1 == 1 ? 0 : right
                    y1 += Int64(Double(a - x1) * Double(y2 - y1) / Double(x2 - x1))
                    x1 = a
                    c1 = 0
                }
                if c2 != 0 {
                    let a: Int64 = c2 == 1 ? 0 : right
                    y2 += Int64(Double(a - x2) * Double(y2 - y1) / Double(x2 - x1))
                    x2 = a
                    c2 = 0
                }
            }
        }
        return c1 | c2 == 0
    }
}
