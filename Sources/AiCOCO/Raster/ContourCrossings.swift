// The fast path of `ContourScanner` for contours whose points all lie inside the image (all of
// FLaVor's, whose contours go through the centres of boundary pixels, so most edges span zero
// or one row): no clipping, so each edge's crossings with the rows are known at once and go
// straight into their rows (slots, see `ContourSlots`; or sorted into their rows by counting
// when a row could have too many): no list of active edges walked and sorted row by row.
// The pixels are those of the general path: the same lines, the same crossings (x at the upper
// end, then stepped by the same truncated slope), filled between the same pairs.

extension ContourScanner {
    /// Fills the contours (see `fillTogether(points:ends:...)`) when every point is inside the
    /// `width` x `height` image; false, with nothing given to `sink`, when one is not. `rows`, when
    /// given, says they are, their rows from `low` through `high`. The crossings go into rows'
    /// slots (`fillSlotted`), or are counted into their rows first when a row could have too many.
    mutating func fillInside<Sink: PixelRunSink>(points: UnsafeBufferPointer<Int64>, ends: UnsafeBufferPointer<Int>,
                                                 width: Int, height: Int, rows known: (low: Int64, high: Int64)?,
                                                 into sink: inout Sink) -> Bool {
        guard let (low, high) = known ?? Self.insideRows(points, ends, width: width, height: height) else { return false }
        guard low <= high else { return true }
        // Rows from `low` (the last one has no crossings: edges end above their lower row).
        let rows = Int(high - low)
        if rows > 0 && !fillSlotted(points: points, ends: ends, low: low, rows: rows, into: &sink) {
            fillCounted(points: points, ends: ends, low: low, rows: rows, width: width, into: &sink)
        }
        var start = 0
        for end in ends {
            Self.drawInsideBoundary(points, start, end, width: width, height: height, into: &sink)
            start = end
        }
        return true
    }

    /// Fills between the crossings of the contours' edges (inside the image, their rows from
    /// `low`, `rows` of them with crossings), counted per row first then sorted into their rows.
    private mutating func fillCounted<Sink: PixelRunSink>(points: UnsafeBufferPointer<Int64>, ends: UnsafeBufferPointer<Int>,
                                                          low: Int64, rows: Int, width: Int, into sink: inout Sink) {
        // Per row from `low`, its crossings counted at `rowStarts[row + 1]`.
        rowStarts.removeAll(keepingCapacity: true)
        rowStarts.append(contentsOf: repeatElement(0, count: rows + 1))
        let room = points.count / 2
        if edges.count < room { edges.append(contentsOf: repeatElement(Edge(y0: 0, y1: 0, x: 0, dx: 0), count: room - edges.count)) }
        var edges = self.edges, starts = self.rowStarts, crossings = self.crossings
        self.edges = []; self.rowStarts = []; self.crossings = []
        defer { self.edges = edges; self.rowStarts = starts; self.crossings = crossings }
        var edgeCount = 0, crossingCount = 0
        edges.withUnsafeMutableBufferPointer { edges in
            starts.withUnsafeMutableBufferPointer { starts in
                var start = 0
                for end in ends {
                    Self.addInsideEdges(points, start, end, low: low, edges: edges, &edgeCount, starts: starts, &crossingCount)
                    start = end
                }
            }
        }
        guard crossingCount > 0 else { return }
        if crossings.count < crossingCount { crossings.append(contentsOf: repeatElement(0, count: crossingCount - crossings.count)) }
        edges.withUnsafeBufferPointer { edges in
            starts.withUnsafeMutableBufferPointer { starts in
                crossings.withUnsafeMutableBufferPointer { crossings in
                    Self.fillCrossings(edges, edgeCount, low: low, rows: rows, starts: starts, crossings, width: width, into: &sink)
                }
            }
        }
    }

    /// The least and the greatest row of the points (`low > high` when there are none); nil
    /// when a point is outside the image.
    private static func insideRows(_ points: UnsafeBufferPointer<Int64>, _ ends: UnsafeBufferPointer<Int>,
                                   width: Int, height: Int) -> (Int64, Int64)? {
        let columns = UInt64(width), rowCount = UInt64(height)
        var outside = false
        var low = Int64.max, high = Int64.min
        var start = 0
        for end in ends {
            var index = start
            let stop = start + 2 * ((end - start) / 2)
            while index < stop {
                let x = points[index], y = points[index + 1]
                outside = outside || UInt64(bitPattern: x) >= columns || UInt64(bitPattern: y) >= rowCount
                low = min(low, y)
                high = max(high, y)
                index += 2
            }
            start = end
        }
        return outside ? nil : (low, high)
    }

    /// Each edge of the contour `points[start..<end]` (each point starts one, the last the edge
    /// back to the first) that spans rows: its upper end's x and row, its lower end's row, and
    /// its change of x per row in 16.16 fixed point (truncated toward zero).
    @inline(__always)
    static func forEachEdgeSpanningRows(_ points: UnsafeBufferPointer<Int64>, _ start: Int, _ end: Int,
                                        _ body: (_ topX: Int64, _ topY: Int64, _ bottomY: Int64, _ dx: Int64) -> Void) {
        let count = (end - start) / 2
        guard count > 1 else { return }
        let first = points.baseAddress! + start, stop = first + 2 * count
        var previousX = stop[-2], previousY = stop[-1]
        var point = first
        while point < stop {
            let x = point[0], y = point[1]
            point += 2
            let rise = y &- previousY
            if rise != 0 {
                let dx = step((x &- previousX) << shift, over: rise)
                let (topX, topY, bottomY) = rise > 0 ? (previousX, previousY, y) : (x, y, previousY)
                body(topX, topY, bottomY, dx)
            }
            previousX = x
            previousY = y
        }
    }

    /// Adds the edges of the contour `points[start..<end]` (inside the image) that span rows
    /// to `edges` and counts their crossings per row into `starts`.
    @inline(__always)
    private static func addInsideEdges(_ points: UnsafeBufferPointer<Int64>, _ start: Int, _ end: Int, low: Int64,
                                       edges: UnsafeMutableBufferPointer<Edge>, _ edgeCount: inout Int,
                                       starts: UnsafeMutableBufferPointer<Int32>, _ crossingCount: inout Int) {
        var edge = edgeCount, crossings = 0
        forEachEdgeSpanningRows(points, start, end) { topX, topY, bottomY, dx in
            edges[edge] = Edge(y0: Int(topY), y1: Int(bottomY), x: topX << shift, dx: dx)
            edge += 1
            var row = Int(topY &- low) + 1
            let rows = Int(bottomY &- topY)
            starts[row] &+= 1
            if rows > 1 {
                let last = row + rows
                row += 1
                while row < last {
                    starts[row] &+= 1
                    row += 1
                }
            }
            crossings += rows
        }
        edgeCount = edge
        crossingCount += crossings
    }

    /// Draws the boundary of the contour `points[start..<end]` (inside the image) as far as the
    /// fill of its rows does not cover it. An edge of one step gives its start pixel only, a
    /// longer one is drawn whole (a 2-point contour's line drawn both ways: the same pixels).
    /// The start pixel is not given either when the point is the upper end of an edge: the fill
    /// of its row covers it (its crossing is the point's x, and every row's crossings pair up,
    /// the contours being closed). Likewise a vertical or diagonal edge gives its lower end only:
    /// its crossings are its pixels' x exactly.
    @inline(__always)
    static func drawInsideBoundary<Sink: PixelRunSink>(_ points: UnsafeBufferPointer<Int64>, _ start: Int, _ end: Int,
                                                       width: Int, height: Int, into sink: inout Sink) {
        let count = (end - start) / 2
        guard count > 0 else { return }
        let first = points.baseAddress! + start, stop = first + 2 * count
        if count == 1 {
            sink.run(y: Int(first[1]), from: Int(first[0]), through: Int(first[0]))
            return
        }
        var previousX = stop[-2], previousY = stop[-1]
        var previousRise = previousY &- stop[-3]
        var point = first
        while point < stop {
            let x = point[0], y = point[1]
            point += 2
            let runX = x &- previousX, rise = y &- previousY
            if UInt64(bitPattern: runX &+ 1) <= 2 && UInt64(bitPattern: rise &+ 1) <= 2 {
                if previousRise >= 0 && rise <= 0 { sink.run(y: Int(previousY), from: Int(previousX), through: Int(previousX)) }
            } else if rise != 0 && (runX == 0 || runX == rise || runX == 0 &- rise) {
                let (lowerX, lowerY) = rise > 0 ? (x, y) : (previousX, previousY)
                sink.run(y: Int(lowerY), from: Int(lowerX), through: Int(lowerX))
            } else {
                drawInsideLine(from: (previousX, previousY), to: (x, y), width: width, height: height, into: &sink)
            }
            previousX = x
            previousY = y
            previousRise = rise
        }
    }

    /// `drawLine` of points inside the image, not inlined: the loop over the points that calls
    /// it keeps its values in registers.
    @inline(never)
    private static func drawInsideLine<Sink: PixelRunSink>(from start: (x: Int64, y: Int64), to end: (x: Int64, y: Int64),
                                                           width: Int, height: Int, into sink: inout Sink) {
        drawLine(from: start, to: end, clipping: false, width: width, height: height, into: &sink)
    }

    /// Sorts the edges' crossings into their rows (`starts`: counts per row, at `row + 1`), then
    /// fills each row between pairs of its crossings sorted by x.
    private static func fillCrossings<Sink: PixelRunSink>(_ edges: UnsafeBufferPointer<Edge>, _ edgeCount: Int, low: Int64, rows: Int,
                                                          starts: UnsafeMutableBufferPointer<Int32>,
                                                          _ crossings: UnsafeMutableBufferPointer<Int64>, width: Int,
                                                          into sink: inout Sink) {
        for row in 0..<rows { starts[row + 1] &+= starts[row] }
        // Placed: `starts[row]` becomes the end of the row's crossings (the start of the next's).
        for edge in edges[0..<edgeCount] {
            var x = edge.x
            var row = edge.y0 - Int(low)
            let stop = edge.y1 - Int(low)
            // Each edge spans a row at least.
            repeat {
                crossings[Int(starts[row])] = x
                starts[row] &+= 1
                x &+= edge.dx
                row += 1
            } while row < stop
        }
        var begin = 0
        for row in 0..<rows {
            let end = Int(starts[row])
            defer { begin = end }
            guard end - begin >= 2 else { continue }
            if end - begin == 2 {
                // Two crossings (most rows): one pair, in order.
                let (a, b) = (crossings[begin], crossings[begin + 1])
                fillPair(min(a, b), max(a, b), y: Int(low) + row, width: width, into: &sink)
                continue
            }
            insertionSort(crossings, begin, end)
            var pair = begin
            while pair + 1 < end {
                fillPair(crossings[pair], crossings[pair + 1], y: Int(low) + row, width: width, into: &sink)
                pair += 2
            }
        }
    }

    /// Fills row `y` from the first pixel at or right of `left` to the last at or left of
    /// `right` (crossings in fixed point), clipped to the image.
    @inline(__always)
    private static func fillPair<Sink: PixelRunSink>(_ left: Int64, _ right: Int64, y: Int, width: Int, into sink: inout Sink) {
        var x1 = Int((left + one - 1) >> shift)
        var x2 = Int(right >> shift)
        if x1 < width && x2 >= 0 {
            x1 = max(x1, 0)
            x2 = min(x2, width - 1)
            if x1 <= x2 { sink.run(y: y, from: x1, through: x2) }
        }
    }

    /// Sorts `values[begin..<end]` (a row's few crossings).
    @inline(__always)
    static func insertionSort(_ values: UnsafeMutableBufferPointer<Int64>, _ begin: Int, _ end: Int) {
        var position = begin + 1
        while position < end {
            let item = values[position]
            var slot = position
            while slot > begin && values[slot - 1] > item {
                values[slot] = values[slot - 1]
                slot -= 1
            }
            values[slot] = item
            position += 1
        }
    }
}
