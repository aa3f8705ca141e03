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

/// Fills contours with OpenCV's rules. Keeps its scratch storage between calls, so filling
/// allocates nothing once warmed up. Points are integers (`rounded` turns a coordinate into one).
struct ContourScanner {
    struct Edge {
        var y0: Int, y1: Int
        /// x at row `y0` then at the current row, in 16.16 fixed point.
        var x: Int64
        /// Change of x per row, in 16.16 fixed point (truncated toward zero).
        var dx: Int64
    }

    static let shift: Int64 = 16
    static let one: Int64 = 1 << 16
    /// Coordinates are clamped to this magnitude so that fixed point cannot overflow.
    static let coordinateLimit = Double(1 << 28)

    private var points: [Int64] = []
    private var pointEnds: [Int] = []
    var edges: [Edge] = []
    private var sortedEdges: [Edge] = []
    var rowStarts: [Int32] = []
    /// The crossings of the edges with the rows, row by row (see `fillInside`).
    var crossings: [Int64] = []
    private var active: [Edge] = []
    /// Per row, the crossings placed in its slots (see `fillSlotted`); all zero between calls.
    var slotCounts: [UInt8] = []
    /// The crossings, slot by slot: slot `n` of row `row` at `n * rows + row`.
    var slots: [Int64] = []

    /// A coordinate as a point's: rounded to the nearest integer (ties to even), clamped to
    /// `coordinateLimit` (infinities too).
    @inline(__always)
    static func rounded(_ value: Double) -> Int64 {
        // Most coordinates are integers already: no call to the rounding of the C library.
        if value.magnitude <= coordinateLimit {
            let integer = Int64(value)
            if Double(integer) == value { return integer }
        }
        guard value.isFinite else { return value > 0 ? Int64(coordinateLimit) : -Int64(coordinateLimit) }
        return Int64(min(max(value.rounded(.toNearestOrEven), -coordinateLimit), coordinateLimit))
    }

    /// Fills the contour `x1, y1, x2, y2, ...` (a trailing odd number is ignored) into a
    /// `width` x `height` image. Coordinates are rounded (see `rounded`).
    mutating func fill<Sink: PixelRunSink>(_ coordinates: UnsafeBufferPointer<Double>, width: Int, height: Int,
                                           into sink: inout Sink) {
        fillTogether(coordinates, ends: CollectionOfOne(coordinates.count), width: width, height: height, into: &sink)
    }

    /// Fills the contours `coordinates[0..<ends[0]]`, `coordinates[ends[0]..<ends[1]]`, ...
    /// together, as one call of `cv2.fillPoly` with a list of contours does (see
    /// `fillTogether(points:ends:...)`). Coordinates are rounded (see `rounded`).
    mutating func fillTogether<Sink: PixelRunSink, Ends: Collection<Int>>(_ coordinates: UnsafeBufferPointer<Double>, ends: Ends,
                                                                       width: Int, height: Int, into sink: inout Sink) {
        var points = self.points, pointEnds = self.pointEnds
        self.points = []; self.pointEnds = []
        defer { self.points = points; self.pointEnds = pointEnds }
        Self.round(coordinates, ends: ends, into: &points, ends: &pointEnds)
        points.withUnsafeBufferPointer { points in
            pointEnds.withUnsafeBufferPointer { fillTogether(points: points, ends: $0, width: width, height: height, into: &sink) }
        }
    }

    /// The contours `coordinates[0..<ends[0]]`, `coordinates[ends[0]..<ends[1]]`, ... as integer
    /// points (see `rounded`; a trailing odd number is dropped) into `points`, where each ends
    /// into `pointEnds` (both emptied first).
    static func round<Ends: Collection<Int>>(_ coordinates: UnsafeBufferPointer<Double>, ends: Ends,
                                             into points: inout [Int64], ends pointEnds: inout [Int]) {
        points.removeAll(keepingCapacity: true)
        pointEnds.removeAll(keepingCapacity: true)
        var start = 0
        for end in ends {
            var index = start
            while index + 1 < end {
                points.append(rounded(coordinates[index]))
                points.append(rounded(coordinates[index + 1]))
                index += 2
            }
            pointEnds.append(points.count)
            start = end
        }
    }

    /// Fills the contours of integer points `points[0..<ends[0]]`, `points[ends[0]..<ends[1]]`,
    /// ... (`x, y` pairs; a trailing odd number is ignored) together, as one call of
    /// `cv2.fillPoly` with a list of contours does: their boundaries drawn, then each row filled
    /// between pairs of the crossings of all their edges (so a contour inside another leaves a
    /// hole, where filling them one by one would not). A pixel may be given more than once.
    /// `inside`, when given, says every point is inside the image, their rows from `low` through `high`.
    mutating func fillTogether<Sink: PixelRunSink>(points: UnsafeBufferPointer<Int64>, ends: UnsafeBufferPointer<Int>,
                                                   width: Int, height: Int, inside: (low: Int64, high: Int64)? = nil,
                                                   into sink: inout Sink) {
        guard width > 0, height > 0 else { return }
        if fillInside(points: points, ends: ends, width: width, height: height, rows: inside, into: &sink) { return }
        // At most one edge a point: room for them made once, written in place (no append).
        let room = points.count / 2
        if edges.count < room { edges.append(contentsOf: repeatElement(Edge(y0: 0, y1: 0, x: 0, dx: 0), count: room - edges.count)) }
        var edges = self.edges
        self.edges = []
        defer { self.edges = edges }
        var count = 0
        var outside = false
        edges.withUnsafeMutableBufferPointer { edges in
            var start = 0
            for end in ends {
                Self.addContour(points, start, end, width: width, height: height, edges: edges, &count, &outside, into: &sink)
                start = end
            }
        }
        guard count >= 2 else { return }
        edges.withUnsafeMutableBufferPointer { fillBetweenEdges($0, count, inside: !outside, width: width, height: height, into: &sink) }
    }

    /// Draws the boundary of the contour `points[start..<end]` and adds its edges to `edges`
    /// (`count` of them so far); `anyOutside` becomes true when a point is outside the image.
    @inline(__always)
    private static func addContour<Sink: PixelRunSink>(_ points: UnsafeBufferPointer<Int64>, _ start: Int, _ end: Int,
                                                       width: Int, height: Int, edges: UnsafeMutableBufferPointer<Edge>,
                                                       _ edgeCount: inout Int, _ anyOutside: inout Bool, into sink: inout Sink) {
        let count = (end - start) / 2
        guard count > 0 else { return }
        if count == 1 {
            // One point: its pixel (no edge).
            let point = (x: points[start], y: points[start + 1])
            if !Self.isOutside(point, width: width, height: height) { sink.run(y: Int(point.y), from: Int(point.x), through: Int(point.x)) }
            return
        }
        var previous = (x: points[start + 2 * count - 2], y: points[start + 2 * count - 1])
        var previousOutside = Self.isOutside(previous, width: width, height: height)
        for index in 0..<count {
            let point = (x: points[start + 2 * index], y: points[start + 2 * index + 1])
            let outside = Self.isOutside(point, width: width, height: height)
            anyOutside = anyOutside || outside
            // A 2-point contour inside the image: its line drawn once (the way back gives the same pixels).
            if count != 2 || index == 0 || previousOutside || outside {
                Self.drawLine(from: previous, to: point, clipping: previousOutside || outside, width: width, height: height, into: &sink)
            }
            if previous.y != point.y {
                // An edge that leaves the image takes its x from the part inside the image (its
                // rows too, unless that part is flat).
                var c0 = (x: previous.x << Self.shift, y: previous.y), c1 = (x: point.x << Self.shift, y: point.y)
                if previousOutside || outside {
                    var (x0, y0, x1, y1) = (previous.x, previous.y, point.x, point.y)
                    _ = Self.clip(width: Int64(width), height: Int64(height), &x0, &y0, &x1, &y1)
                    c0 = (x0 << Self.shift, y0 != y1 ? y0 : previous.y)
                    c1 = (x1 << Self.shift, y0 != y1 ? y1 : point.y)
                }
                let dx = Self.step(c1.x - c0.x, over: c1.y - c0.y)
                let (top, topClipped, bottom) = previous.y < point.y ? (previous, c0, point) : (point, c1, previous)
                edges[edgeCount] = Edge(y0: Int(top.y), y1: Int(bottom.y), x: topClipped.x &+ (top.y &- topClipped.y) &* dx, dx: dx)
                edgeCount += 1
            }
            previous = point
            previousOutside = outside
        }
    }

    /// The rows between edge ends (the lower end's row excluded): at each row, the crossings
    /// sorted by x, filled pair by pair from the first pixel at or right of the left crossing to
    /// the last pixel at or left of the right one. (Only the crossings' x values matter, so the
    /// order of edges that start on the same row does not.)
    private mutating func fillBetweenEdges<Sink: PixelRunSink>(_ edges: UnsafeMutableBufferPointer<Edge>, _ edgeCount: Int, inside: Bool,
                                                                width: Int, height: Int, into sink: inout Sink) {
        var yMin = Int.max, yMax = Int.min
        let count: Int
        if inside {
            // Every point inside the image: so is every edge, none to clip or leave out.
            for edge in edges[0..<edgeCount] {
                yMin = min(yMin, edge.y0)
                yMax = max(yMax, edge.y1)
            }
            count = edgeCount
        } else {
            var xMin = Int64.max, xMax: Int64 = -1
            for edge in edges[0..<edgeCount] {
                let xEnd = edge.x &+ Int64(edge.y1 - edge.y0) &* edge.dx
                yMin = min(yMin, edge.y0)
                yMax = max(yMax, edge.y1)
                xMin = min(xMin, edge.x, xEnd)
                xMax = max(xMax, edge.x, xEnd)
            }
            if yMax < 0 || yMin >= height || xMax < 0 || xMin >= Int64(width) << Self.shift { return }
            count = Self.keepInside(edges, edgeCount, before: min(yMax, height))
            guard count > 0 else { return }
            yMin = max(yMin, 0)
        }
        let lastRow = min(yMax, height)
        sortEdgesByRow(UnsafeBufferPointer(edges), count, yMin, lastRow)
        if active.count < count { active.append(contentsOf: repeatElement(Edge(y0: 0, y1: 0, x: 0, dx: 0), count: count - active.count)) }
        let one = Self.one, shift = Self.shift
        var active = self.active
        self.active = []
        defer { self.active = active }
        sortedEdges.withUnsafeBufferPointer { edges in
            active.withUnsafeMutableBufferPointer { slots in
                var next = 0, live = 0
                var y = yMin
                while y < lastRow {
                    // Edges whose upper end is this row join (the active ones all reach below it).
                    if live == 0 {
                        guard next < count else { break }
                        y = max(y, edges[next].y0)
                    }
                    while next < count && edges[next].y0 == y {
                        slots[live] = edges[next]
                        live += 1
                        next += 1
                    }
                    let row = UnsafeMutableBufferPointer(rebasing: slots[0..<live])
                    Self.insertionSort(row) { $0.x }
                    var pair = 0
                    while pair + 1 < live {
                        var x1 = Int((row[pair].x + one - 1) >> shift)
                        var x2 = Int(row[pair + 1].x >> shift)
                        if x1 < width && x2 >= 0 {
                            x1 = max(x1, 0)
                            x2 = min(x2, width - 1)
                            if x1 <= x2 { sink.run(y: y, from: x1, through: x2) }
                        }
                        pair += 2
                    }
                    // To the next row: edges whose lower end it is leave, the others step.
                    var kept = 0
                    for position in 0..<live where row[position].y1 != y + 1 {
                        var edge = row[position]
                        edge.x &+= edge.dx
                        slots[kept] = edge
                        kept += 1
                    }
                    live = kept
                    y += 1
                }
            }
        }
    }

    /// Keeps, at the front of `edges`, those of the first `count` that reach rows of the image
    /// before `lastRow`; their number. Rows above the image are not walked: an edge that starts
    /// there joins at row 0 with its x at row 0 (so time follows the rows inside the image, not
    /// the coordinates' reach). Edges that start below the image never join.
    private static func keepInside(_ edges: UnsafeMutableBufferPointer<Edge>, _ count: Int, before lastRow: Int) -> Int {
        var kept = 0
        for index in 0..<count {
            var edge = edges[index]
            if edge.y1 <= 0 || edge.y0 >= lastRow { continue }
            if edge.y0 < 0 {
                edge.x = edge.x &+ Int64(-edge.y0) &* edge.dx
                edge.y0 = 0
            }
            edges[kept] = edge
            kept += 1
        }
        return kept
    }

    /// `sortedEdges` gets `edges[0..<count]` by upper row (`y0` in `low..<high`): by counting
    /// when the rows are few for the edges, else by a comparison sort.
    private mutating func sortEdgesByRow(_ edges: UnsafeBufferPointer<Edge>, _ count: Int, _ low: Int, _ high: Int) {
        if sortedEdges.count < count { sortedEdges.append(contentsOf: repeatElement(Edge(y0: 0, y1: 0, x: 0, dx: 0), count: count - sortedEdges.count)) }
        let rows = high - low
        guard count > 16, rows > 0, rows <= 4 * count + 1024 else {
            sortedEdges.withUnsafeMutableBufferPointer { sorted in
                for index in 0..<count { sorted[index] = edges[index] }
                var part = UnsafeMutableBufferPointer(rebasing: sorted[0..<count])
                if count > 16 {
                    part.sort { $0.y0 < $1.y0 }
                } else {
                    Self.insertionSort(part) { Int64($0.y0) }
                }
            }
            return
        }
        rowStarts.removeAll(keepingCapacity: true)
        rowStarts.append(contentsOf: repeatElement(0, count: rows + 1))
        rowStarts.withUnsafeMutableBufferPointer { starts in
            for edge in edges[0..<count] { starts[edge.y0 - low + 1] += 1 }
            for row in 0..<rows { starts[row + 1] += starts[row] }
            sortedEdges.withUnsafeMutableBufferPointer { sorted in
                for edge in edges[0..<count] {
                    let row = edge.y0 - low
                    sorted[Int(starts[row])] = edge
                    starts[row] += 1
                }
            }
        }
    }

    /// Insertion sort by `key` (stable; for few edges, or a list nearly sorted already, as the
    /// active edges by x from one row to the next).
    @inline(__always)
    private static func insertionSort(_ edges: UnsafeMutableBufferPointer<Edge>, by key: (Edge) -> Int64) {
        guard edges.count > 1 else { return }
        for position in 1..<edges.count {
            let item = edges[position]
            let itemKey = key(item)
            var slot = position
            while slot > 0 && key(edges[slot - 1]) > itemKey {
                edges[slot] = edges[slot - 1]
                slot -= 1
            }
            edges[slot] = item
        }
    }
}
