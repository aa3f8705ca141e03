/// An annotation's `segmentation` as `measure` spills it, gathered chunk by chunk as the parser
/// gives it: per contour its point count, then its points, rounded as `ContourScanner` takes
/// them, as zigzag varint deltas. Used by the one-thread pass and by each worker of the split
/// pass (`MeasureStretch`), so both spill the same bytes.
struct ContourEncoder {
    /// The contours ended so far, encoded: the first `bodyCount` bytes of `storage` (the rest
    /// is room, zeroed once when it grows: a whole polygon is written there in place).
    private var storage: [UInt8] = []
    private(set) var bodyCount = 0
    /// Their number.
    private(set) var contours = 0
    /// A coordinate of the annotation is NaN or infinite (read under `allowNonFinite`): it has
    /// no pixel, so the annotation cannot be measured.
    private(set) var nonFinite = false
    /// A polygon given in several chunks: its points so far, encoded, their number, the last
    /// point and an x waiting for its y.
    private var polygon: [UInt8] = []
    private var polygonBytes = 0
    private var points = 0
    private var previous: (x: Int64, y: Int64) = (0, 0)
    private var pendingX: Int64?

    /// Forgets the annotation before (keeps the storage).
    mutating func start() {
        bodyCount = 0
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

    /// The encoded contours (valid until the encoder changes).
    func withBody<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<bodyCount])) }
    }

    /// Makes `array` at least `count` bytes long (zeros added, at least doubling it).
    @inline(__always)
    private static func grow(_ array: inout [UInt8], to count: Int) {
        if array.count < count { array.append(contentsOf: repeatElement(0, count: max(count, 2 * array.count) - array.count)) }
    }

    /// Adds a chunk of `segmentation` coordinates (others are ignored).
    mutating func add(_ chunk: CoordinateChunk) {
        guard chunk.kind == .segmentation else { return }
        if chunk.endsPolygon, points == 0, pendingX == nil, chunk.count & 1 == 0 {
            return addWholePolygon(chunk)
        }
        // 10 bytes a varint at most, two a point.
        Self.grow(&polygon, to: polygonBytes + 10 * chunk.count)
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
                let pairs = (total - index) / 2
                count += pairs
                (length, previous, finite) = Self.putPairs(values.baseAddress! + index, pairs, base, length, previous, finite)
                index += 2 * pairs
                if index < total { pendingX = Self.rounded(values[index], &finite) }
            }
        }
        if !finite { nonFinite = true }
        (polygonBytes, points, self.previous, self.pendingX) = (length, count, previous, pendingX)
        guard chunk.endsPolygon else { return }
        Self.grow(&storage, to: bodyCount + 10 + polygonBytes)
        var end = bodyCount
        storage.withUnsafeMutableBytes { storage in
            let base = storage.baseAddress!
            RawBytes.writeVarint(points, to: base, &end)
            polygon.withUnsafeBytes { (base + end).copyMemory(from: $0.baseAddress!, byteCount: polygonBytes) }
        }
        bodyCount = end + polygonBytes
        startPolygon()
        contours += 1
    }

    /// A polygon given whole in one chunk (most are): its point count and points written
    /// straight after the contours before.
    private mutating func addWholePolygon(_ chunk: CoordinateChunk) {
        let pairs = chunk.count / 2
        Self.grow(&storage, to: bodyCount + 10 + 10 * chunk.count)
        let (length, finite) = storage.withUnsafeMutableBytes { storage in
            let base = storage.baseAddress!
            var start = bodyCount
            RawBytes.writeVarint(pairs, to: base, &start)
            guard pairs > 0 else { return (start, true) }
            // The pointers and counts as values (captured by value: kept in registers).
            let put = chunk.withBuffer { Self.putPairs($0.baseAddress!, pairs, base, start, (0, 0), true) }
            return (put.length, put.finite)
        }
        if !finite { nonFinite = true }
        bodyCount = length
        contours += 1
    }

    /// Writes `pairs` points `(values[2i], values[2i + 1])` as `put` does, at `length` after
    /// `previous`; where the next goes, the last point, and whether every value was finite.
    @inline(__always)
    private static func putPairs(_ values: UnsafePointer<Double>, _ pairs: Int, _ base: UnsafeMutableRawPointer,
                                 _ length: Int, _ previous: (x: Int64, y: Int64), _ finite: Bool)
        -> (length: Int, previous: (x: Int64, y: Int64), finite: Bool) {
        var at = length, finite = finite
        // A point's x and y side by side, one vector operation for both. 1.5 * 2^52 added
        // rounds a value to an integer in the low bits of the sum's mantissa (read there
        // without the range checks of `Int64(value)`); subtracted again, it gives that integer
        // as a `Double`: equal to the value when it is an integer. Most coordinates are
        // integers within the limit already (else `rounded` gives the point). Points are
        // within the limit, 2^28, so they, their deltas and the deltas' zigzags fit 32 bits.
        let shift = SIMD2<Double>(repeating: 0x1.8p52)
        let limit = SIMD2<Double>(repeating: ContourScanner.coordinateLimit)
        let magnitudeBits = SIMD2<UInt64>(repeating: ~(1 << 63))
        var last = SIMD2<Int32>(Int32(truncatingIfNeeded: previous.x), Int32(truncatingIfNeeded: previous.y))
        var pointer = UnsafeRawPointer(values)
        let end = pointer + 16 * pairs
        while pointer < end {
            let value = pointer.loadUnaligned(as: SIMD2<Double>.self)
            pointer += 16
            let sum = value + shift
            let magnitude = unsafeBitCast(unsafeBitCast(value, to: SIMD2<UInt64>.self) & magnitudeBits, to: SIMD2<Double>.self)
            let point: SIMD2<Int32>
            if all((sum - shift .== value) .& (magnitude .<= limit)) {
                // The integers are the low 32 bits of the sums (two's complement).
                point = unsafeBitCast(sum, to: SIMD4<Int32>.self).evenHalf
            } else {
                point = SIMD2(Int32(truncatingIfNeeded: rounded(value.x, &finite)), Int32(truncatingIfNeeded: rounded(value.y, &finite)))
            }
            let delta = point &- last
            last = point
            let zigzag = unsafeBitCast((delta &<< 1) ^ (delta &>> 31), to: SIMD2<UInt32>.self)
            // x's zigzag in the low half, y's in the high half.
            let both = unsafeBitCast(zigzag, to: UInt64.self)
            if both & 0xFFFF_FF80_FFFF_FF80 == 0 {
                // Both deltas in one byte each (most points).
                base.storeBytes(of: UInt16(truncatingIfNeeded: both | both >> 24).littleEndian, toByteOffset: at, as: UInt16.self)
                at &+= 2
            } else {
                RawBytes.writeVarint(Int(zigzag.x), to: base, &at)
                RawBytes.writeVarint(Int(zigzag.y), to: base, &at)
            }
        }
        return (at, (Int64(last.x), Int64(last.y)), finite)
    }

    /// Writes the point `(x, y)` as zigzag varint deltas from `previous` at `length`, and makes it `previous`.
    @inline(__always)
    private static func put(_ x: Int64, _ y: Int64, _ base: UnsafeMutableRawPointer, _ length: inout Int,
                            _ previous: inout (x: Int64, y: Int64)) {
        let dx = x &- previous.x, dy = y &- previous.y
        previous = (x, y)
        let zx = (dx << 1) ^ (dx >> 63), zy = (dy << 1) ^ (dy >> 63)
        if UInt64(bitPattern: zx | zy) < 0x80 {
            // Both deltas in one byte each (most points).
            base.storeBytes(of: (UInt16(truncatingIfNeeded: zx) | UInt16(truncatingIfNeeded: zy) << 8).littleEndian, toByteOffset: length, as: UInt16.self)
            length &+= 2
        } else {
            RawBytes.writeVarint(Int(zx), to: base, &length)
            RawBytes.writeVarint(Int(zy), to: base, &length)
        }
    }

    /// `ContourScanner.rounded(value)`; `finite` becomes false when it is NaN or infinite.
    @inline(__always)
    static func rounded(_ value: Double, _ finite: inout Bool) -> Int64 {
        if value.magnitude <= ContourScanner.coordinateLimit {
            // See `putPairs`.
            let shift = 0x1.8p52
            let integer = Int64(bitPattern: (value + shift).bitPattern &- shift.bitPattern)
            if Double(integer) == value { return integer }
        } else if !value.isFinite {
            finite = false
        }
        return ContourScanner.rounded(value)
    }
}
