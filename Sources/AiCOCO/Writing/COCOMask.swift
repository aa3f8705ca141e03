/// The pixels of one annotation, as the COCO segmentation that pycocotools reads back to exactly
/// those pixels.
///
/// FLaVor's contours come from `cv2.findContours` on the model's mask: their points are pixel
/// centres, and `cv2.fillPoly` of them gives the mask back. pycocotools reads polygon points as
/// pixel corners (`annToMask` keeps a pixel when its centre lies inside), so the contours as
/// they are lose about half a pixel all around. This fills the contours with OpenCV's rules
/// (`ContourScanner`, all of them together, as one call of `fillPoly` fills a list of contours),
/// clipped to the image, into a raster of their box, then writes the pixels as
/// - `.polygon`: the pixels' outlines traced along their outer corners (one polygon per
///   outline; a mask with holes as one polygon whose outlines are joined by zero-width cuts,
///   which pycocotools' even-odd fill reads exactly), or
/// - `.rle`: pycocotools' compressed run-length encoding, `{"size": [h, w], "counts": "..."}`.
///
/// `area` is the number of pixels, `box` the smallest box that holds them. Memory: one byte per
/// pixel of the contours' box clipped to the image (at most `maxPixels`), reused from one
/// annotation to the next; time follows that box's pixels.
struct COCOMask {
    typealias Form = COCOConverter.SegmentationForm

    /// Raster pixels at most (the contours' box within the image, plus a border of 1).
    let maxPixels: Int
    /// The number of pixels, counted by `write`.
    private(set) var area = 0
    /// The pixels' box: `x`, `y`, `width`, `height` (0 x 0 when `area` is 0).
    private(set) var box = (x: 0, y: 0, width: 0, height: 0)
    private var imageWidth = 0, imageHeight = 0
    /// The raster covers image columns `left ..< left + columns` and rows `top ..< top + rows`,
    /// with a border of one empty pixel all around: image pixel (x, y) is at
    /// `(y - top + 1) * stride + x - left + 1`. Bit 0: inside; bit 1 (tracing): top edge taken.
    private var raster: [UInt8] = []
    private var left = 0, top = 0, columns = 0, rows = 0
    private var stride: Int { columns + 2 }
    private var scanner = ContourScanner()
    private var points: [Int64] = [], pointEnds: [Int] = []
    /// Traced outlines: corner coordinates, flat, and where each outline ends.
    private var outline: [Int] = []
    private var outlineEnds: [Int] = []
    private var counts: [UInt8] = []

    init(maxPixels: Int) {
        self.maxPixels = maxPixels
    }

    /// Fills `contours` (flat `x, y` pairs with where each contour ends; points are rounded as
    /// `ContourScanner` rounds them) in a `width` x `height` image. Returns whether any pixel is
    /// set; `box` is their box, `area` their number once written.
    mutating func fill<Ends: Collection<Int>>(_ contours: UnsafeBufferPointer<Double>, ends: Ends, width: Int, height: Int) throws -> Bool {
        var points = self.points, pointEnds = self.pointEnds
        self.points = []; self.pointEnds = []
        defer { self.points = points; self.pointEnds = pointEnds }
        ContourScanner.round(contours, ends: ends, into: &points, ends: &pointEnds)
        return try points.withUnsafeBufferPointer { points in
            try pointEnds.withUnsafeBufferPointer { try fill(points: points, ends: $0, width: width, height: height) }
        }
    }

    /// Fills the contours of integer points `points` (`x, y` pairs, `ends` where each contour
    /// ends) together, as one call of `cv2.fillPoly` fills them, in a `width` x `height` image.
    /// Returns whether any pixel is set; `box` is their box, `area` their number once written.
    mutating func fill(points: UnsafeBufferPointer<Int64>, ends: UnsafeBufferPointer<Int>, width: Int, height: Int) throws -> Bool {
        imageWidth = width
        imageHeight = height
        var low = (x: Int64.max, y: Int64.max), high = (x: Int64.min, y: Int64.min)
        var start = 0
        for end in ends {
            var index = start
            while index + 1 < end {
                let x = points[index], y = points[index + 1]
                low = (min(low.x, x), min(low.y, y))
                high = (max(high.x, x), max(high.y, y))
                index += 2
            }
            start = end
        }
        area = 0
        box = (0, 0, 0, 0)
        guard width > 0, height > 0, low.x <= high.x,
              high.x >= 0, high.y >= 0, low.x < Int64(width), low.y < Int64(height) else { return false }
        left = Int(max(low.x, 0))
        top = Int(max(low.y, 0))
        columns = Int(min(high.x, Int64(width - 1))) - left + 1
        rows = Int(min(high.y, Int64(height - 1))) - top + 1
        let pixels = (columns + 2) * (rows + 2)
        guard pixels <= maxPixels else {
            throw COCOConverter.MaskTooLarge(columns: columns, rows: rows, maxPixels: maxPixels)
        }
        if raster.count < pixels { raster = [UInt8](repeating: 0, count: pixels) }
        let (left, top, columns, rows, stride) = (left, top, columns, rows, stride)
        var low2 = (x: Int.max, y: Int.max), high2 = (x: Int.min, y: Int.min)
        // Taken out of `self` while filling (no copy: the arrays stay unique).
        var raster = self.raster, scanner = self.scanner
        self.raster = []
        self.scanner = ContourScanner()
        defer { self.raster = raster; self.scanner = scanner }
        raster.withUnsafeMutableBufferPointer { raster in
            UnsafeMutableBufferPointer(rebasing: raster[0..<pixels]).update(repeating: 0)
            var sink = WindowSink(raster: raster, stride: stride, left: left, top: top, columns: columns, rows: rows)
            scanner.fillTogether(points: points, ends: ends, width: width, height: height, into: &sink)
            low2 = sink.low
            high2 = sink.high
        }
        guard low2.y <= high2.y else { return false }
        box = (low2.x, low2.y, high2.x - low2.x + 1, high2.y - low2.y + 1)
        return true
    }

    /// Rounds as `ContourScanner` does (to the nearest, ties to even; clamped).
    static func rounded(_ value: Double) -> Double {
        let limit = ContourScanner.coordinateLimit
        guard value.isFinite else { return value > 0 ? limit : -limit }
        return min(max(value.rounded(.toNearestOrEven), -limit), limit)
    }

    /// Writes the segmentation of the pixels last filled (when `fill` found some) as `form`, and
    /// counts them (`area`).
    mutating func write(_ form: Form, to json: JSONGenerator) throws {
        switch form {
        case .rle: try writeRLE(to: json)
        case .polygon: try writePolygons(to: json)
        }
    }

    // MARK: Run-length encoding

    /// `{"size": [h, w], "counts": "..."}`: runs down the columns (column-major, as pycocotools),
    /// starting with background, in pycocotools' string form (`rleToString`).
    private mutating func writeRLE(to json: JSONGenerator) throws {
        let (height, stride, left, top, box) = (imageHeight, stride, left, top, box)
        var encoder = RLECounts(counts: self.counts)
        self.counts = []
        defer { self.counts = encoder.counts }
        var inside: UInt8 = 0, runStart = 0, ones = 0
        // No closure over the encoder: a local function capturing it took a dynamic exclusivity
        // check per run (two thirds of the instructions of a wide image's RLE).
        let pixels = raster
        for x in box.x..<box.x + box.width {
            let column = x - left + 1
            for y in box.y..<box.y + box.height {
                let pixel = pixels[(y - top + 1) * stride + column] & 1
                if pixel != inside {
                    let position = x * height + y
                    if inside != 0 { ones += position - runStart }
                    encoder.add(position - runStart)
                    runStart = position
                    inside = pixel
                }
            }
            if inside != 0 {
                let position = x * height + box.y + box.height
                ones += position - runStart
                encoder.add(position - runStart)
                runStart = position
                inside = 0
            }
        }
        // The last run, unless the mask ends with the image (pycocotools writes no empty run).
        if imageWidth * height > runStart { encoder.add(imageWidth * height - runStart) }
        area = ones
        try json.mapOpen()
        try json.key("size")
        try json.arrayOpen()
        try json.integer(imageHeight)
        try json.integer(imageWidth)
        try json.arrayClose()
        try json.key("counts")
        try encoder.counts.withUnsafeBufferPointer { try json.string(bytes: $0) }
        try json.mapClose()
    }

    // MARK: Outlines

    /// `[[x1, y1, x2, y2, ...], ...]`: the outlines, corners only.
    private mutating func writePolygons(to json: JSONGenerator) throws {
        traceOutlines()
        try json.arrayOpen()
        // The outlines' signed areas add up to the pixel count (holes count negative).
        var holes = false, twiceArea = 0
        outline.withUnsafeBufferPointer { all in
            var start = 0
            for end in outlineEnds {
                let twice = Self.twiceSignedArea(UnsafeBufferPointer(rebasing: all[start..<end]))
                holes = holes || twice < 0
                twiceArea += twice
                start = end
            }
        }
        area = twiceArea / 2
        var start = 0
        if !holes {
            for end in outlineEnds {
                try json.arrayOpen()
                for index in start..<end { try json.integer(outline[index]) }
                try json.arrayClose()
                start = end
            }
        } else {
            // One polygon: the first outline, then each other one entered from the first
            // outline's last corner and left back to it along the same cut. pycocotools fills a
            // polygon even-odd, column by column, from its horizontal edges: the two passes of a
            // cut cancel, and the outlines combine to the pixels, holes and all.
            let first = outlineEnds[0]
            try json.arrayOpen()
            for index in 0..<first { try json.integer(outline[index]) }
            start = first
            for end in outlineEnds.dropFirst() {
                for index in start..<end { try json.integer(outline[index]) }
                try json.integer(outline[start]); try json.integer(outline[start + 1])
                try json.integer(outline[first - 2]); try json.integer(outline[first - 1])
                start = end
            }
            try json.arrayClose()
        }
        try json.arrayClose()
    }

    /// Traces every outline of the raster along pixel edges, clockwise on screen (inside on the
    /// right), keeping corners only. Where two inside pixels meet at a corner only, the outline
    /// turns to stay with the pixel it follows.
    private mutating func traceOutlines() {
        outline.removeAll(keepingCapacity: true)
        outlineEnds.removeAll(keepingCapacity: true)
        let (stride, columns, rows, left, top) = (stride, columns, rows, left, top)
        var raster = self.raster, outline = self.outline, outlineEnds = self.outlineEnds
        self.raster = []; self.outline = []; self.outlineEnds = []
        defer { self.raster = raster; self.outline = outline; self.outlineEnds = outlineEnds }
        raster.withUnsafeMutableBufferPointer { raster in
            func inside(_ x: Int, _ y: Int) -> Bool { raster[y * stride + x] & 1 != 0 }
            for startY in 1...rows {
                for startX in 1...columns {
                    let pixel = startY * stride + startX
                    // A top edge not yet traced: inside below, outside above.
                    guard raster[pixel] == 1, raster[pixel - stride] & 1 == 0 else { continue }
                    // Corner (x, y) is the top-left corner of raster pixel (x, y).
                    var x = startX, y = startY, direction = 0  // 0 east, 1 south, 2 west, 3 north
                    repeat {
                        switch direction {
                        case 0: raster[y * stride + x] |= 2; x += 1
                        case 1: y += 1
                        case 2: x -= 1
                        default: y -= 1
                        }
                        let aheadLeft: Bool, aheadRight: Bool
                        switch direction {
                        case 0: (aheadLeft, aheadRight) = (inside(x, y - 1), inside(x, y))
                        case 1: (aheadLeft, aheadRight) = (inside(x, y), inside(x - 1, y))
                        case 2: (aheadLeft, aheadRight) = (inside(x - 1, y), inside(x - 1, y - 1))
                        default: (aheadLeft, aheadRight) = (inside(x - 1, y - 1), inside(x, y - 1))
                        }
                        let next = !aheadRight ? (direction + 1) & 3 : aheadLeft ? (direction + 3) & 3 : direction
                        if next != direction {
                            outline.append(x - 1 + left)
                            outline.append(y - 1 + top)
                        }
                        direction = next
                    } while !(x == startX && y == startY && direction == 0)
                    // Start at the starting corner when it is one (it came last).
                    let first = outlineEnds.last ?? 0
                    if outline.count - first > 2 && outline[outline.count - 2] == startX - 1 + left
                        && outline[outline.count - 1] == startY - 1 + top {
                        outline.withUnsafeMutableBufferPointer { all in
                            let ring = UnsafeMutableBufferPointer(rebasing: all[first...])
                            let (cornerX, cornerY) = (ring[ring.count - 2], ring[ring.count - 1])
                            var index = ring.count - 1
                            while index >= 2 { ring[index] = ring[index - 2]; index -= 1 }
                            ring[0] = cornerX
                            ring[1] = cornerY
                        }
                    }
                    outlineEnds.append(outline.count)
                }
            }
            // The marks stay: the next `fill` clears the raster it uses.
        }
    }

    /// Twice the signed area of the polygon `values` (x, y pairs): positive when it turns
    /// clockwise on screen (y down).
    private static func twiceSignedArea(_ values: UnsafeBufferPointer<Int>) -> Int {
        let pairs = values.count / 2
        var twice = 0
        var previousX = values[2 * pairs - 2], previousY = values[2 * pairs - 1]
        for pair in 0..<pairs {
            let x = values[2 * pair], y = values[2 * pair + 1]
            twice += previousX * y - x * previousY
            previousX = x
            previousY = y
        }
        return twice
    }
}

/// Marks the runs of a `ContourScanner` in a `COCOMask`'s raster and keeps their box.
private struct WindowSink: PixelRunSink {
    let raster: UnsafeMutableBufferPointer<UInt8>
    let stride: Int, left: Int, top: Int, columns: Int, rows: Int
    var low = (x: Int.max, y: Int.max), high = (x: Int.min, y: Int.min)

    mutating func run(y: Int, from x0: Int, through x1: Int) {
        let first = max(x0, left), last = min(x1, left + columns - 1)
        guard y >= top, y < top + rows, first <= last else { return }
        let row = (y - top + 1) * stride - left + 1
        UnsafeMutableBufferPointer(rebasing: raster[row + first...row + last]).update(repeating: 1)
        low = (min(low.x, first), min(low.y, y))
        high = (max(high.x, last), max(high.y, y))
    }
}

extension COCOConverter {
    /// How `convert --to coco` writes an annotation's pixels: polygons along the pixels' outer
    /// corners, or pycocotools' compressed RLE. Both read back to the same pixels in pycocotools.
    public enum SegmentationForm: String, Sendable, CaseIterable {
        /// Polygons, or compressed RLE.
        case polygon, rle
    }

    /// An annotation's contours cover more of its image than a raster may hold.
    public struct MaskTooLarge: Error, Sendable, CustomStringConvertible {
        /// The contours' box and the limit, in pixels.
        public let columns: Int, rows: Int, maxPixels: Int
        /// The AiCOCO id of the annotation, as JSON text (quoted), when known.
        public internal(set) var annotation: String? = nil
        /// The message, with the annotation and the sizes.
        public var description: String {
            let contours = annotation.map { "annotation \($0): its contours" } ?? "an annotation's contours"
            return "\(contours) span \(columns) x \(rows) pixels of its image, more than the \(maxPixels) pixels a mask may take"
        }

        /// The `aicoco_id` string an annotation's spilled tail text holds (`"aicoco_id":"..."`,
        /// compact or pretty), as JSON text.
        static func annotationID(inTail tail: UnsafeRawBufferPointer) -> String? {
            let name = Array("\"aicoco_id\"".utf8)
            guard tail.count > name.count,
                  let start = (0...(tail.count - name.count)).first(where: { tail[$0..<$0 + name.count].elementsEqual(name) }),
                  let open = tail[(start + name.count)...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            var position = open + 1
            while position < tail.count && tail[position] != UInt8(ascii: "\"") {
                position += tail[position] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard position < tail.count else { return nil }
            return String(decoding: tail[open...position], as: UTF8.self)
        }
    }
}

/// pycocotools' compressed RLE counts, as its `rleToString` writes them: each count less the
/// one two before (from the third on), in 5-bit groups with a continuation bit, plus 48.
private struct RLECounts {
    var counts: [UInt8]
    private var previous = (0, 0), written = 0

    init(counts: [UInt8]) {
        self.counts = counts
        self.counts.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    mutating func add(_ count: Int) {
        var value = count
        if written > 2 { value -= previous.0 }
        previous = (previous.1, count)
        written += 1
        var more = true
        while more {
            var chunk = UInt8(truncatingIfNeeded: value & 0x1F)
            value >>= 5
            more = chunk & 0x10 != 0 ? value != -1 : value != 0
            if more { chunk |= 0x20 }
            counts.append(chunk + 48)
        }
    }
}
