// LongShape.swift
//
// The `long` shape: few, large annotations (wobbly contours of up to 5,000 points, 1-6 per
// annotation, bboxes), a CT series of at most 1,500 slices that grows through more structures and
// denser contours. It is not what FLaVor writes (see RealShape.swift); it stresses long coordinate
// runs. Standard library only, constant memory.

import AiCOCO

/// Streams the long shape to `sink`; `layout` caches the calibration between calls.
func generateLongShape(_ options: DocumentGenerator.Options, layout: inout LongShapeLayout?,
                       to sink: (UnsafeRawBufferPointer) throws -> Void) rethrows -> DocumentGenerator.Summary {
    let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: _bufCapacity)
    defer { bytes.deallocate() }
    let pts = UnsafeMutablePointer<UInt16>.allocate(capacity: _ptsCapacity)
    defer { pts.deallocate() }
    if layout == nil {
        layout = LongShapeLayout(value: _calibrate(options, bytes, pts))
    }
    var e = _Engine(L: layout!.value, w: _Writer(base: bytes, pretty: options.pretty), pts: pts)
    try e.document(options.order, sink)
    try e.w.flush(sink)
    e.sum.bytes = e.w.count
    e.sum.images = e.L.slices
    e.sum.categories = e.L.nStruct + (e.L.hasParent ? 1 : 0)
    e.sum.regressions = e.L.nReg
    e.sum.objects = e.L.objects.count
    return e.sum
}

/// The calibrated layout of a long-shape document (opaque).
struct LongShapeLayout: Sendable {
    let value: _Layout
}

// MARK: - Constants

let _maxPairs = 5_000
let _maxPolys = 6
let _maxSlices = 1500
let _maxInstances = 6
let _ptsCapacity = 2 * _maxPairs * _maxPolys
let _imageSize = 512

let _kCategory: UInt64 = 1
let _kParent: UInt64 = 2
let _kRegression: UInt64 = 3
let _kObject: UInt64 = 4
let _kImage: UInt64 = 5
let _kAnnotation: UInt64 = 6

// MARK: - Calibration

/// Chooses the number of slices (and a point-density factor, and for tiny targets fewer
/// structures) so that the document size lands near `options.targetBytes`.
func _calibrate(_ options: DocumentGenerator.Options, _ bytes: UnsafeMutablePointer<UInt8>,
                        _ pts: UnsafeMutablePointer<UInt16>) -> _Layout {
    let target = max(0, options.targetBytes)
    let order = DocumentGenerator.Options.imageSections      // size does not depend on the order
    func measure(_ L: _Layout, skipSlices: Bool = false) -> Int {
        var e = _Engine(L: L, w: _Writer(base: bytes, pretty: options.pretty), pts: pts)
        e.estimate = true
        e.skipSlices = skipSlices
        e.document(order) { _ in }
        return e.w.count + e.extra
    }

    var L = _Layout(seed: options.seed)
    L.setSlices(1)
    if measure(L) > target {
        // Tiny target: one slice, fewer structures, fewer points.
        L.islands = false
        L.detail = 0
        var n = L.nStructFull
        while n > 1 && measure(L) > target {
            n -= 1
            L.apply(nStruct: n, onePerStructure: false)
        }
        if measure(L) > target { L.apply(nStruct: n, onePerStructure: true) }
        if measure(L) > target { return L }
        var lo = 0.0, hi = 1.0
        for _ in 0..<24 {
            let mid = (lo + hi) / 2
            L.detail = mid
            if measure(L) > target { hi = mid } else { lo = mid }
        }
        L.detail = lo
        return L
    }

    // Grow the number of slices: size(S) ~ fixed + S * perSlice.
    let fixed = measure(L, skipSlices: true)
    var S = 1
    for _ in 0..<10 {
        L.setSlices(S)
        let perSlice = Double(measure(L) - fixed) / Double(S)
        let next = max(1, Int((Double(target - fixed) / perSlice).rounded()))
        if next == S { break }
        S = next
    }
    if S <= _maxSlices {
        L.setSlices(S)
        // Fine-tune the point density.
        let tol = Double(target) * 0.01
        var size = measure(L)
        if abs(Double(size - target)) > tol {
            var lo = size > target ? 0.4 : 1.0, hi = size > target ? 1.0 : 2.5
            var best = (abs(Double(size - target)), 1.0)
            for _ in 0..<16 {
                let mid = (lo + hi) / 2
                L.detail = mid
                size = measure(L)
                let err = abs(Double(size - target))
                if err < best.0 { best = (err, mid) }
                if err <= tol { break }
                if size > target { hi = mid } else { lo = mid }
            }
            L.detail = best.1
        }
        return L
    }

    // Slice count at its cap: grow structures, instances and contours instead.
    L.setSlices(_maxSlices)
    var lo = 0.0, hi = 1.0
    L.setGrowth(1)
    var size = measure(L)
    if size > target {
        for _ in 0..<20 {
            let mid = (lo + hi) / 2
            L.setGrowth(mid)
            size = measure(L)
            if abs(Double(size - target)) <= Double(target) * 0.03 { break }
            if size > target { hi = mid } else { lo = mid }
        }
    }
    // Fine-tune the point density (size is close to affine in it): secant steps.
    let tol = Double(target) * 0.01
    var best = (abs(Double(size - target)), L.detail)
    var d0 = L.detail, s0 = Double(size)
    var d1 = min(200, max(0.3, d0 * Double(target) / s0))
    for _ in 0..<6 where best.0 > tol {
        L.detail = d1
        let s1 = Double(measure(L))
        let err = abs(s1 - Double(target))
        if err < best.0 { best = (err, d1) }
        if err <= tol || s1 == s0 { break }
        let next = d1 + (Double(target) - s1) * (d1 - d0) / (s1 - s0)
        d0 = d1; s0 = s1
        d1 = min(200, max(0.3, next.isFinite ? next : d1))
        if d1 == d0 { break }
    }
    L.detail = best.1
    return L
}
