// LongShapeContours.swift
//
// The long shape's contours: wobbly closed curves of up to 5,000 integer points.

import AiCOCO

// MARK: - Contours

@inline(__always)
func _pairCount(_ x: Double) -> Int {
    if !(x >= 3) { return 3 }
    return x >= Double(_maxPairs) ? _maxPairs : Int(x)
}

@inline(__always)
func _perimeter(_ a: Double, _ b: Double) -> Double {   // Ramanujan
    Double.pi * (3 * (a + b) - ((3 * a + b) * (a + 3 * b)).squareRoot())
}

/// Writes `n` integer (x, y) pairs of a wobbly closed contour to `dst`; updates `bb`.
func _contour(_ dst: UnsafeMutablePointer<UInt16>, _ n: Int,
                      _ cx: Double, _ cy: Double, _ rx: Double, _ ry: Double,
                      _ cr: Double, _ sr: Double,
                      _ a1: Double, _ a2: Double, _ a3: Double, _ k3: Double,
                      _ p1: Double, _ p2: Double, _ p3: Double,
                      _ rng: inout _Rng, _ bb: inout (Int, Int, Int, Int)) {
    let step = 2 * Double.pi / Double(n)
    let th0 = rng.unit() * 2 * .pi
    let d0 = _sinCos(step), d1 = _sinCos(2 * step), d2 = _sinCos(3 * step), d3 = _sinCos(k3 * step)
    var (s0, c0) = _sinCos(th0)
    var (s1, c1) = _sinCos(2 * th0 + p1)
    var (s2, c2) = _sinCos(3 * th0 + p2)
    var (s3, c3) = _sinCos(k3 * th0 + p3)
    var lcg = rng.next()
    let jit = 0.7 / 16_777_216.0
    var minX = bb.0, minY = bb.1, maxX = bb.2, maxY = bb.3
    let hi = Double(_imageSize - 1)
    for i in 0..<n {
        let r = 1 + a1 * c1 + a2 * c2 + a3 * c3
        let ex = rx * r * c0, ey = ry * r * s0
        lcg = lcg &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let jx = (Double(Int64(bitPattern: lcg) >> 40) + 0.5) * jit
        let jy = (Double(Int64(bitPattern: lcg << 24) >> 40) + 0.5) * jit
        var x = cx + ex * cr - ey * sr + jx
        var y = cy + ex * sr + ey * cr + jy
        x = min(max(x, 0), hi)
        y = min(max(y, 0), hi)
        let xi = Int(x + 0.5), yi = Int(y + 0.5)
        dst[2 * i] = UInt16(truncatingIfNeeded: xi)
        dst[2 * i + 1] = UInt16(truncatingIfNeeded: yi)
        minX = min(minX, xi); maxX = max(maxX, xi)
        minY = min(minY, yi); maxY = max(maxY, yi)
        var t = c0 * d0.cos - s0 * d0.sin; s0 = s0 * d0.cos + c0 * d0.sin; c0 = t
        t = c1 * d1.cos - s1 * d1.sin; s1 = s1 * d1.cos + c1 * d1.sin; c1 = t
        t = c2 * d2.cos - s2 * d2.sin; s2 = s2 * d2.cos + c2 * d2.sin; c2 = t
        t = c3 * d3.cos - s3 * d3.sin; s3 = s3 * d3.cos + c3 * d3.sin; c3 = t
    }
    bb = (minX, minY, maxX, maxY)
}
