/// Turns AiCOCO polygons back into pixels, exactly as OpenCV's `cv2.fillPoly` fills the same
/// integer points (boundary included; a 1-point contour fills its pixel, a 2-point contour the
/// 8-connected line between its ends). The contours of one annotation are filled together, as
/// one call of `cv2.fillPoly` fills a list of contours (a contour inside another leaves a hole;
/// FLaVor writes outer contours, `RETR_EXTERNAL`, which never nest, so there they are a union).
///
/// Images are row-major, `width * height` pixels, `(x, y)` at `y * width + x`. Coordinates are
/// rounded to the nearest integer (FLaVor writes integers); what falls outside is clipped.
/// ```swift
/// var rasterizer = PolygonRasterizer(width: 512, height: 512)
/// var slice = [UInt8](repeating: 0, count: 512 * 512)
/// rasterizer.fill(annotation.segmentation!, value: 3, into: &slice)
/// let pixels = rasterizer.area(of: annotation.segmentation!)
/// ```
/// A rasterizer keeps scratch storage between calls: reuse one rather than making one per polygon.
public struct PolygonRasterizer {
    /// Columns of the image.
    public let width: Int
    /// Rows of the image.
    public let height: Int
    private var scanner = ContourScanner()
    /// One byte per pixel for `area(of:)`, allocated on first use and left all zero between calls.
    private var scratch: [UInt8] = []

    /// A rasterizer for images of `width` x `height` pixels (both at least 1).
    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "an image has at least one pixel")
        self.width = width
        self.height = height
    }

    // MARK: Filling a caller's buffer

    /// Fills one contour, `x1, y1, x2, y2, ...`, with `value`.
    public mutating func fill(contour: UnsafeBufferPointer<Double>, value: UInt8, into pixels: UnsafeMutableBufferPointer<UInt8>) {
        fillContour(contour, value: value, into: pixels)
    }

    /// Fills one contour, `x1, y1, x2, y2, ...`, with `value`.
    public mutating func fill(contour: UnsafeBufferPointer<Double>, value: UInt16, into pixels: UnsafeMutableBufferPointer<UInt16>) {
        fillContour(contour, value: value, into: pixels)
    }

    /// Fills one contour, `x1, y1, x2, y2, ...`, with `value`.
    public mutating func fill(contour: UnsafeBufferPointer<Double>, value: UInt32, into pixels: UnsafeMutableBufferPointer<UInt32>) {
        fillContour(contour, value: value, into: pixels)
    }

    /// Fills every contour of an annotation's `segmentation` with `value`, together (as `cv2.fillPoly` of the list).
    public mutating func fill(_ polygons: Polygons, value: UInt8, into pixels: UnsafeMutableBufferPointer<UInt8>) {
        fillPolygons(polygons, value: value, into: pixels)
    }

    /// Fills every contour of an annotation's `segmentation` with `value`, together (as `cv2.fillPoly` of the list).
    public mutating func fill(_ polygons: Polygons, value: UInt16, into pixels: UnsafeMutableBufferPointer<UInt16>) {
        fillPolygons(polygons, value: value, into: pixels)
    }

    /// Fills every contour of an annotation's `segmentation` with `value`, together (as `cv2.fillPoly` of the list).
    public mutating func fill(_ polygons: Polygons, value: UInt32, into pixels: UnsafeMutableBufferPointer<UInt32>) {
        fillPolygons(polygons, value: value, into: pixels)
    }

    /// Fills every contour of `polygons` with `value` into an array of `width * height` pixels.
    public mutating func fill(_ polygons: Polygons, value: UInt8, into pixels: inout [UInt8]) {
        pixels.withUnsafeMutableBufferPointer { fillPolygons(polygons, value: value, into: $0) }
    }

    /// Fills every contour of `polygons` with `value` into an array of `width * height` pixels.
    public mutating func fill(_ polygons: Polygons, value: UInt16, into pixels: inout [UInt16]) {
        pixels.withUnsafeMutableBufferPointer { fillPolygons(polygons, value: value, into: $0) }
    }

    /// Fills every contour of `polygons` with `value` into an array of `width * height` pixels.
    public mutating func fill(_ polygons: Polygons, value: UInt32, into pixels: inout [UInt32]) {
        pixels.withUnsafeMutableBufferPointer { fillPolygons(polygons, value: value, into: $0) }
    }

    /// What happens where a pixel already holds another label.
    public enum OverlapRule: String, Sendable, CaseIterable {
        /// The new value goes over it.
        case last
        /// The old value stays.
        case first
        /// The old value stays; the caller reports the overlap as an error.
        case error
    }

    /// Fills every contour of `polygons` with `value`, by `rule` where a pixel holds another
    /// non-zero value; returns how many such pixels there were and one of their values.
    public mutating func paint<Pixel: FixedWidthInteger>(_ polygons: Polygons, value: Pixel, rule: OverlapRule,
                                                         into pixels: UnsafeMutableBufferPointer<Pixel>) -> (voxels: Int, under: Int) {
        precondition(pixels.count >= width * height, "the buffer holds fewer than width * height pixels")
        let (width, height) = (self.width, self.height)
        guard rule != .last else {
            // The first time a pixel is given it takes the value: given again, it is not counted again.
            var sink = OverlapSink(pixels: pixels, width: width, value: value, keepsOld: false, counted: nil)
            polygons.coordinates.withUnsafeBufferPointer { all in
                scanner.fillTogether(all, ends: polygons.ends, width: width, height: height, into: &sink)
            }
            return (sink.overlapped, Int(sink.under))
        }
        // The old value stays, so a pixel given twice (the boundary, then the fill) is marked in
        // the scratch mask when counted, to be counted once; the marks are cleared after.
        if scratch.isEmpty { scratch = [UInt8](repeating: 0, count: width * height) }
        return scratch.withUnsafeMutableBufferPointer { marks in
            var sink = OverlapSink(pixels: pixels, width: width, value: value, keepsOld: true, counted: marks)
            polygons.coordinates.withUnsafeBufferPointer { all in
                scanner.fillTogether(all, ends: polygons.ends, width: width, height: height, into: &sink)
            }
            for index in sink.marked { marks[index] = 0 }
            return (sink.overlapped, Int(sink.under))
        }
    }

    // MARK: Areas

    /// Number of pixels `polygons`, filled together, cover inside the image: what `fill` would set.
    public mutating func area(of polygons: Polygons) -> Int {
        if scratch.isEmpty { scratch = [UInt8](repeating: 0, count: width * height) }
        let (width, height) = (self.width, self.height)
        return scratch.withUnsafeMutableBufferPointer { mask in
            var sink = MaskSink(pixels: mask, width: width)
            polygons.coordinates.withUnsafeBufferPointer { all in
                scanner.fillTogether(all, ends: polygons.ends, width: width, height: height, into: &sink)
            }
            return sink.countAndClear()
        }
    }

    /// Number of pixels one contour, `x1, y1, x2, y2, ...`, covers inside the image.
    public mutating func area(ofContour contour: UnsafeBufferPointer<Double>) -> Int {
        if scratch.isEmpty { scratch = [UInt8](repeating: 0, count: width * height) }
        let (width, height) = (self.width, self.height)
        return scratch.withUnsafeMutableBufferPointer { mask in
            var sink = MaskSink(pixels: mask, width: width)
            scanner.fill(contour, width: width, height: height, into: &sink)
            return sink.countAndClear()
        }
    }

    // MARK: Internals

    private mutating func fillContour<Pixel>(_ contour: UnsafeBufferPointer<Double>, value: Pixel,
                                             into pixels: UnsafeMutableBufferPointer<Pixel>) {
        precondition(pixels.count >= width * height, "the buffer holds fewer than width * height pixels")
        var sink = ValueSink(pixels: pixels, width: width, value: value)
        scanner.fill(contour, width: width, height: height, into: &sink)
    }

    private mutating func fillPolygons<Pixel>(_ polygons: Polygons, value: Pixel, into pixels: UnsafeMutableBufferPointer<Pixel>) {
        precondition(pixels.count >= width * height, "the buffer holds fewer than width * height pixels")
        var sink = ValueSink(pixels: pixels, width: width, value: value)
        let (width, height) = (self.width, self.height)
        polygons.coordinates.withUnsafeBufferPointer { all in
            scanner.fillTogether(all, ends: polygons.ends, width: width, height: height, into: &sink)
        }
    }
}

/// Writes one value into each pixel of a run.
private struct ValueSink<Pixel>: PixelRunSink {
    let pixels: UnsafeMutableBufferPointer<Pixel>
    let width: Int
    let value: Pixel

    func run(y: Int, from x0: Int, through x1: Int) {
        let row = y * width
        for x in x0...x1 { pixels[row + x] = value }
    }
}

/// Writes one value into each pixel of a run, counting the pixels that held another label
/// (and keeping those when `keepsOld`; then `counted` marks the pixels counted, listed in
/// `marked`, so that a pixel given twice counts once).
private struct OverlapSink<Pixel: FixedWidthInteger>: PixelRunSink {
    let pixels: UnsafeMutableBufferPointer<Pixel>
    let width: Int
    let value: Pixel
    let keepsOld: Bool
    let counted: UnsafeMutableBufferPointer<UInt8>?
    var overlapped = 0
    var under: Pixel = 0
    var marked: [Int] = []

    mutating func run(y: Int, from x0: Int, through x1: Int) {
        let row = y * width
        for x in x0...x1 {
            let old = pixels[row + x]
            if old != 0 && old != value {
                if let counted {
                    if counted[row + x] != 0 { continue }
                    counted[row + x] = 1
                    marked.append(row + x)
                }
                overlapped += 1
                under = old
                if keepsOld { continue }
            }
            pixels[row + x] = value
        }
    }
}

/// Marks pixels in a zeroed mask and remembers the rectangle touched, to count and clear it.
private struct MaskSink: PixelRunSink {
    let pixels: UnsafeMutableBufferPointer<UInt8>
    let width: Int
    var minX = Int.max, maxX = Int.min, minY = Int.max, maxY = Int.min

    init(pixels: UnsafeMutableBufferPointer<UInt8>, width: Int) {
        self.pixels = pixels
        self.width = width
    }

    mutating func run(y: Int, from x0: Int, through x1: Int) {
        let row = y * width
        for x in x0...x1 { pixels[row + x] = 1 }
        minX = min(minX, x0); maxX = max(maxX, x1)
        minY = min(minY, y); maxY = max(maxY, y)
    }

    /// Counts the marked pixels and zeroes them again.
    func countAndClear() -> Int {
        guard minY <= maxY else { return 0 }
        var count = 0
        for y in minY...maxY {
            let row = y * width
            for x in minX...maxX {
                count += Int(pixels[row + x])
                pixels[row + x] = 0
            }
        }
        return count
    }
}
