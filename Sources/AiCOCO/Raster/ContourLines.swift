// The lines of `ContourScanner`: the boundary of a contour drawn as OpenCV draws it, clipped
// as OpenCV clips it, and the slope of an edge in fixed point.

extension ContourScanner {
    /// `run / rise` truncated toward zero, as Swift's division gives it, with no division
    /// instruction for the short rises of most edges (a division by a constant is a multiply).
    @inline(__always)
    static func step(_ run: Int64, over rise: Int64) -> Int64 {
        switch rise {
        case 1: return run
        case -1: return -run
        case 2: return run / 2
        case -2: return -(run / 2)
        case 3: return run / 3
        case -3: return -(run / 3)
        default: return run / rise
        }
    }

    @inline(__always)
    static func isOutside(_ point: (x: Int64, y: Int64), width: Int, height: Int) -> Bool {
        point.x < 0 || point.x >= width || point.y < 0 || point.y >= height
    }

    /// An 8-connected line drawn left to right, clipped to the image first; the pixels of one
    /// row given as one run.
    @inline(__always)
    static func drawLine<Sink: PixelRunSink>(from start: (x: Int64, y: Int64), to end: (x: Int64, y: Int64), clipping: Bool,
                                             width: Int, height: Int, into sink: inout Sink) {
        var x1 = start.x, y1 = start.y, x2 = end.x, y2 = end.y
        if clipping && !Self.clip(width: Int64(width), height: Int64(height), &x1, &y1, &x2, &y2) { return }
        var dx = x2 - x1, dy = y2 - y1
        var x = x1, y = y1
        if dx < 0 {
            dx = -dx; dy = -dy
            x = x2; y = y2
        }
        var stepY: Int64 = 1
        if dy < 0 { dy = -dy; stepY = -1 }
        if dy == 0 {
            sink.run(y: Int(y), from: Int(x), through: Int(x + dx))
            return
        }
        // Along the major axis every step; along the minor one when the error goes negative.
        if dy > dx {
            // Steep: one pixel a row.
            var error = dy - 2 * dx
            var remaining = dy
            while true {
                sink.run(y: Int(y), from: Int(x), through: Int(x))
                if remaining == 0 { break }
                remaining -= 1
                if error < 0 {
                    error += 2 * dy - 2 * dx
                    x += 1
                } else {
                    error -= 2 * dx
                }
                y += stepY
            }
        } else {
            // Flat: the pixels of a row are a run, given when the line moves to the next row.
            var error = dx - 2 * dy
            var remaining = dx
            var runStart = x
            while remaining > 0 {
                remaining -= 1
                if error < 0 {
                    error += 2 * dx - 2 * dy
                    sink.run(y: Int(y), from: Int(runStart), through: Int(x))
                    y += stepY
                    runStart = x + 1
                } else {
                    error -= 2 * dy
                }
                x += 1
            }
            sink.run(y: Int(y), from: Int(runStart), through: Int(x))
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
