/// One slice of `MeasureJoin` to paint: its image (position in the catalog), `index` and size,
/// and its annotations' spilled payloads laid end to end (`ends[i]` where payload `i` ends).
struct SliceJob: Sendable {
    var image: Int
    var index: Double
    var width: Int, height: Int
    var bytes: [UInt8] = []
    var ends: [Int] = []
}

/// What one slice holds, as `MeasureJoin` writes it: each structure's pixels (objects, then
/// categories, by structure number) and each overlapping pair's (`low << 32 | high`).
struct SliceCounts: Sendable {
    var image = 0
    var index = 0.0
    var objects: [(tag: Int32, pixels: Int)] = []
    var categories: [(tag: Int32, pixels: Int)] = []
    var objectPairs = SlicePairs()
    var categoryPairs = SlicePairs()

    /// The counts `sweep` holds for slice `image`; the sweep is reset.
    init(taking sweep: inout SliceSweep, image: Int, index: Double) {
        self.image = image
        self.index = index
        objects = sweep.objects.touched.map { ($0, sweep.objects.area[Int($0)]) }
        categories = sweep.categories.touched.map { ($0, sweep.categories.area[Int($0)]) }
        objectPairs = sweep.objects.takePairs()
        categoryPairs = sweep.categories.takePairs()
        sweep.objects.reset()
        sweep.categories.reset()
    }
}

/// Paints a slice's annotations on a canvas (see `SliceCanvas`) and counts them; one per thread.
/// Also decodes the spill's contours for the runs path (`decode`).
struct SlicePainter {
    var sweep: SliceSweep
    private var canvas: SliceCanvas?
    private var scanner = ContourScanner()
    /// The annotation being decoded: its points (`x, y` pairs) and where each contour ends.
    private var points: [Int64] = []
    private var ends: [Int] = []
    /// How many of `points` the last decode gave, and the least and the greatest of their y and x.
    private var decoded = 0
    private var lowRow: Int64 = 0, highRow: Int64 = -1
    private var lowColumn: Int64 = 0, highColumn: Int64 = -1
    /// The value of each one-byte zigzag varint (see `unzigzag`), looked up by `decode`.
    private let zigzag: [Int64] = (0..<128).map { SlicePainter.unzigzag($0) }

    init(sweep: SliceSweep) { self.sweep = sweep }

    /// Readies the canvas for a slice of `width` x `height` (kept while the size stays).
    mutating func begin(width: Int, height: Int) {
        if canvas?.width != width || canvas?.height != height {
            canvas = nil
            canvas = SliceCanvas(width: width, height: height)
        }
    }

    /// Decodes one annotation's payload (object, contours) and paints its contours on the
    /// canvas, together as `cv2.fillPoly` fills a list of contours.
    mutating func paint(_ bytes: UnsafeRawBufferPointer, height: Int) {
        var position = 0
        let object = Int32(RawBytes.readVarint(bytes, &position))
        _ = decode(bytes, &position, height: height)
        points.withUnsafeBufferPointer { points in
            let points = UnsafeBufferPointer(rebasing: points[0..<decoded])
            ends.withUnsafeBufferPointer {
                canvas!.paint(object: object, points: points, ends: $0, rows: lowRow, through: highRow,
                              columns: lowColumn, through: highColumn, scanner: &scanner)
            }
        }
    }

    /// The slice painted so far, counted; the canvas is cleared.
    mutating func finish(image: Int, index: Double) -> SliceCounts {
        canvas!.finish(into: &sweep)
        return SliceCounts(taking: &sweep, image: image, index: index)
    }

    /// Paints and counts a whole slice.
    mutating func paint(_ job: SliceJob) -> SliceCounts {
        begin(width: job.width, height: job.height)
        paintPayloads(of: job)
        return finish(image: job.image, index: job.index)
    }

    /// Paints the payloads `job` holds (on a canvas begun for its size), not counting them yet.
    mutating func paintPayloads(of job: SliceJob) {
        job.bytes.withUnsafeBytes { bytes in
            var start = 0
            for end in job.ends {
                paint(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), height: job.height)
                start = end
            }
        }
    }

    /// Scans the contours last decoded (see `decode`), filled together, into `sink`.
    mutating func scanDecoded<Sink: PixelRunSink>(width: Int, height: Int, into sink: inout Sink) {
        points.withUnsafeBufferPointer { points in
            let points = UnsafeBufferPointer(rebasing: points[0..<decoded])
            ends.withUnsafeBufferPointer { scanner.fillTogether(points: points, ends: $0, width: width, height: height, into: &sink) }
        }
    }

    /// Decodes the contours at `position` into `points` and `ends`; the rows of the image they
    /// span (a bound of the runs they give).
    mutating func decode(_ bytes: UnsafeRawBufferPointer, _ position: inout Int, height: Int) -> Int {
        let contours = Self.varint(bytes, &position)
        // Each point takes at least two bytes of the payload: room for them all made at once,
        // written in place, then cut to the points read (no per-contour growth); room for one
        // at least (the buffer's base address is there).
        let room = max(2, 2 * ((bytes.count - position) / 2))
        if points.count < room { points.append(contentsOf: repeatElement(0, count: room - points.count)) }
        ends.removeAll(keepingCapacity: true)
        var rows = 0, used = 0
        var lowRow = Int64.max, highRow = Int64.min
        var lowColumn = Int64.max, highColumn = Int64.min
        // The position kept in a local (not written back through `inout` each point), the
        // arithmetic wrapping (points are clamped to `coordinateLimit`: no overflow).
        var at = position
        defer { position = at }
        points.withUnsafeMutableBufferPointer { points in
            zigzag.withUnsafeBufferPointer { zigzag in
                let source = bytes.baseAddress!, table = zigzag.baseAddress!, first = points.baseAddress!
                var point = first
                for _ in 0..<contours {
                    let count = Self.varint(bytes, &at)
                    var low = Int64.max, high = Int64.min
                    var x: Int64 = 0, y: Int64 = 0
                    let end = point + 2 * count
                    while point < end {
                        // Both deltas one byte each (most points; a point takes two bytes at least),
                        // read at once and looked up.
                        let pair = UInt16(littleEndian: (source + at).loadUnaligned(as: UInt16.self))
                        if pair & 0x8080 == 0 {
                            x &+= table[Int(pair & 0xFF)]
                            y &+= table[Int(pair &>> 8)]
                            at &+= 2
                        } else {
                            x &+= Self.unzigzag(Self.varint(bytes, &at))
                            y &+= Self.unzigzag(Self.varint(bytes, &at))
                        }
                        point[0] = x
                        point[1] = y
                        point += 2
                        low = min(low, y)
                        high = max(high, y)
                        lowColumn = min(lowColumn, x)
                        highColumn = max(highColumn, x)
                    }
                    used = point - first
                    ends.append(used)
                    rows += Int(max(0, min(high, Int64(height) - 1) - max(low, 0) + 1))
                    lowRow = min(lowRow, low)
                    highRow = max(highRow, high)
                }
            }
        }
        decoded = used
        (self.lowRow, self.highRow) = (lowRow, highRow)
        (self.lowColumn, self.highColumn) = (lowColumn, highColumn)
        return rows
    }

    /// A zigzag varint's value (`0, -1, 1, -2, ...` for `0, 1, 2, 3, ...`).
    @inline(__always)
    private static func unzigzag(_ value: Int) -> Int64 {
        let bits = UInt64(bitPattern: Int64(value))
        return Int64(bitPattern: bits >> 1) ^ (0 &- Int64(bitPattern: bits & 1))
    }

    /// A varint of the spill (most are one byte; a contour's first point, its absolute place, two).
    @inline(__always)
    private static func varint(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) -> Int {
        let first = bytes[position]
        guard first >= 0x80 else {
            position += 1
            return Int(first)
        }
        if position + 1 < bytes.count, bytes[position + 1] < 0x80 {
            defer { position += 2 }
            return Int(first & 0x7F) | Int(bytes[position + 1]) << 7
        }
        return RawBytes.readVarint(bytes, &position)
    }
}
