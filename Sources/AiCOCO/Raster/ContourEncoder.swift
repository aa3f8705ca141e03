/// An annotation's `segmentation` as `measure` spills it, gathered chunk by chunk as the parser
/// gives it: per contour its point count, then its points, rounded as `ContourScanner` takes
/// them, as zigzag varint deltas. Used by the one-thread pass and by each worker of the split
/// pass (`MeasureStretch`), so both spill the same bytes.
struct ContourEncoder {
    /// The contours ended so far, encoded, and their number.
    private(set) var body: [UInt8] = []
    private(set) var contours = 0
    /// A coordinate of the annotation is NaN or infinite (read under `allowNonFinite`): it has
    /// no pixel, so the annotation cannot be measured.
    private(set) var nonFinite = false
    /// The polygon being read: its points so far, encoded, their number, the last point and an
    /// x waiting for its y.
    private var polygon: [UInt8] = []
    private var polygonBytes = 0
    private var points = 0
    private var previous: (x: Int64, y: Int64) = (0, 0)
    private var pendingX: Int64?

    /// Forgets the annotation before (keeps the storage).
    mutating func start() {
        body.removeAll(keepingCapacity: true)
        startPolygon()
        contours = 0
        nonFinite = false
    }

    private mutating func startPolygon() {
        polygonBytes = 0
        points = 0
        previous = (0, 0)
        pendingX = nil
    }

    /// Adds a chunk of `segmentation` coordinates (others are ignored).
    mutating func add(_ chunk: CoordinateChunk) {
        guard chunk.kind == .segmentation else { return }
        // 10 bytes a varint at most, two a point.
        let room = polygonBytes + 10 * chunk.count
        if polygon.count < room { polygon.append(contentsOf: repeatElement(0, count: max(room, 2 * polygon.count) - polygon.count)) }
        var (length, count, previous, pendingX) = (polygonBytes, points, self.previous, self.pendingX)
        var finite = true
        polygon.withUnsafeMutableBytes { polygon in
            let base = polygon.baseAddress!
            chunk.withBuffer { values in
                var index = 0
                let total = values.count
                // The x waiting from the chunk before, with this chunk's first value; then the
                // chunk's whole pairs; then an x left waiting for the next chunk.
                if let waiting = pendingX, total > 0 {
                    pendingX = nil
                    Self.put(waiting, Self.rounded(values[0], &finite), base, &length, &previous)
                    count += 1
                    index = 1
                }
                let pairsEnd = index + 2 * ((total - index) / 2)
                count += (pairsEnd - index) / 2
                while index < pairsEnd {
                    Self.put(Self.rounded(values[index], &finite), Self.rounded(values[index + 1], &finite), base, &length, &previous)
                    index += 2
                }
                if index < total { pendingX = Self.rounded(values[index], &finite) }
            }
        }
        if !finite { nonFinite = true }
        (polygonBytes, points, self.previous, self.pendingX) = (length, count, previous, pendingX)
        guard chunk.endsPolygon else { return }
        RawBytes.appendVarint(points, to: &body)
        polygon.withUnsafeBytes { body.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<polygonBytes])) }
        startPolygon()
        contours += 1
    }

    /// Writes the point `(x, y)` as zigzag varint deltas from `previous` at `length`, and makes it `previous`.
    @inline(__always)
    private static func put(_ x: Int64, _ y: Int64, _ base: UnsafeMutableRawPointer, _ length: inout Int,
                            _ previous: inout (x: Int64, y: Int64)) {
        let dx = x &- previous.x, dy = y &- previous.y
        let zx = (dx << 1) ^ (dx >> 63), zy = (dy << 1) ^ (dy >> 63)
        if UInt64(bitPattern: zx | zy) < 0x80 {
            // Both deltas in one byte each (most points).
            base.storeBytes(of: (UInt16(truncatingIfNeeded: zx) | UInt16(truncatingIfNeeded: zy) << 8).littleEndian, toByteOffset: length, as: UInt16.self)
            length += 2
        } else {
            RawBytes.writeVarint(Int(zx), to: base, &length)
            RawBytes.writeVarint(Int(zy), to: base, &length)
        }
        previous = (x, y)
    }

    /// `ContourScanner.rounded(value)`; `finite` becomes false when it is NaN or infinite.
    @inline(__always)
    static func rounded(_ value: Double, _ finite: inout Bool) -> Int64 {
        if value.magnitude <= ContourScanner.coordinateLimit {
            // 1.5 * 2^52 added rounds the value to an integer in the low bits of the sum's
            // mantissa, read there without the range checks of `Int64(value)`; most coordinates
            // are integers already, and come back equal.
            let shift = 0x1.8p52
            let integer = Int64(bitPattern: (value + shift).bitPattern &- shift.bitPattern)
            if Double(integer) == value { return integer }
        } else if !value.isFinite {
            finite = false
        }
        return ContourScanner.rounded(value)
    }
}
