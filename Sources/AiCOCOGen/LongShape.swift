// LongShape.swift
//
// The `long` shape: few, large annotations (wobbly contours of up to 5,000 points, 1-6 per
// annotation, bboxes), a CT series of at most 1,500 slices that grows through more structures and
// denser contours. It is not what FLaVor writes (see RealShape.swift); it stresses long coordinate
// runs. Standard library only, constant memory.

import AiCOCO

/// Streams the long shape to `sink`; `layout` caches the calibration between calls.
func generateLongShape(_ options: GeneratorOptions, layout: inout LongShapeLayout?,
                       to sink: (UnsafeRawBufferPointer) throws -> Void) rethrows -> GeneratedSummary {
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
    fileprivate let value: _Layout
}

// MARK: - Constants

private let _maxPairs = 5_000
private let _maxPolys = 6
private let _maxSlices = 1500
private let _maxInstances = 6
private let _ptsCapacity = 2 * _maxPairs * _maxPolys
private let _imageSize = 512

private let _kCategory: UInt64 = 1
private let _kParent: UInt64 = 2
private let _kRegression: UInt64 = 3
private let _kObject: UInt64 = 4
private let _kImage: UInt64 = 5
private let _kAnnotation: UInt64 = 6

// MARK: - Anatomy table

private func _structure(_ i: Int) -> (name: StaticString, rmin: Double, rmax: Double, aspect: Double) {
    switch i {
    case 0: return ("Liver", 75, 125, 0.75)
    case 1: return ("Spleen", 30, 55, 0.7)
    case 2: return ("Kidney", 24, 38, 0.75)
    case 3: return ("Aorta", 9, 15, 0.95)
    case 4: return ("Pancreas", 28, 48, 0.4)
    case 5: return ("Stomach", 40, 75, 0.7)
    case 6: return ("Gallbladder", 12, 24, 0.7)
    case 7: return ("Esophagus", 7, 12, 0.8)
    case 8: return ("Inferior vena cava", 9, 14, 0.8)
    case 9: return ("Adrenal gland", 7, 13, 0.5)
    case 10: return ("Duodenum", 14, 28, 0.6)
    case 11: return ("Urinary bladder", 25, 50, 0.8)
    case 12: return ("Colon", 18, 38, 0.7)
    case 13: return ("Small bowel", 15, 35, 0.65)
    case 14: return ("Portal vein", 6, 12, 0.8)
    case 15: return ("Vertebra", 18, 28, 0.85)
    case 16: return ("Rib", 6, 12, 0.5)
    case 17: return ("Psoas muscle", 14, 24, 0.7)
    case 18: return ("Rectum", 15, 28, 0.8)
    case 19: return ("Prostate", 15, 25, 0.85)
    case 20: return ("Lymph node", 4, 10, 0.85)
    case 21: return ("Lesion", 5, 30, 0.9)
    case 22: return ("Femoral head", 20, 26, 0.95)
    default: return ("Heart", 50, 70, 0.8)
    }
}
/// Most instances a structure may get when the document grows.
private func _maxInst(_ i: Int) -> Int {
    switch i {
    case 15, 16, 20, 21: return 6
    case 13: return 5
    case 12: return 4
    case 2, 9, 17, 22: return 2
    default: return 3
    }
}
private let _structureCount = 24

// MARK: - Layout (everything except S-dependent records; bounded size)

private struct _Obj: Sendable {
    var global = 0, structIdx = 0
    var cx = 0.0, cy = 0.0, dcx = 0.0, dcy = 0.0, rx = 0.0, ry = 0.0, cr = 1.0, sr = 0.0
    var za = 0.0, zb = 1.0
    var start = 0, end = 1
    var density = 1.0
    var a1 = 0.0, a2 = 0.0, a3 = 0.0, k3 = 5.0
    var p1 = 0.0, p2 = 0.0, p3 = 0.0, w1 = 0.0, w2 = 0.0, w3 = 0.0
    var islandRate = 0.0
    var lobeRate = 0.0           // extra-contour probability at full growth
    var lobeScale = 0.0          // extra-contour radius relative to the main one at full growth
    var hasBBox = true
    var confidence = -1          // hundredths, -1 = absent
    var regMode = 0              // 0: null, 1: volume, 2: volume + density
    var volume = 0               // hundredths of ml
    var volumeIsInt = false
    var hu = 0                   // tenths of HU
}

private struct _Layout: Sendable {
    var seed: UInt64 = 1
    var slices = 1
    var detail = 1.0
    /// Growth in [0, 1] of structures, instances and extra contours (slice count at its cap).
    var growth = 0.0
    var islands = true
    var nStructFull = 4
    var nStruct = 4
    var kinds: [Int] = []            // anatomy table index per structure
    var baseCount: [Int] = []        // instances per structure without growth
    var maxCount: [Int] = []         // instances per structure at full growth
    var underParent: [Bool] = []
    var colors: [UInt32] = []
    var allObjects: [_Obj] = []
    var objects: [_Obj] = []
    var hasParent = false
    var nReg = 1
    var regLinked = false
    var imageLabels = false
    var metaVariant = 0

    init(seed: UInt64) {
        self.seed = seed
        var r = _Rng(_hash(seed, 100, 0))
        nStructFull = 4 + r.below(9)
        var pool = Array(0..<_structureCount)
        for i in 0..<_structureCount {        // Fisher-Yates
            let j = i + r.below(pool.count - i)
            pool.swapAt(i, j)
        }
        kinds = pool
        hasParent = r.unit() < 0.5
        nReg = 1 + r.below(2)
        regLinked = r.unit() < 0.3
        imageLabels = r.unit() < 0.5
        metaVariant = r.below(4)
        for si in 0..<_structureCount {
            underParent.append(hasParent && r.unit() < 0.85)
            colors.append(UInt32(truncatingIfNeeded: r.next() & 0xFF_FFFF))
            let info = _structure(kinds[si])
            let count = r.unit() < 0.45 ? 2 + r.below(2) : 1
            let maxC = min(_maxInstances, max(count, _maxInst(kinds[si]) - r.below(2)))
            baseCount.append(count)
            maxCount.append(maxC)
            let baseR = r.range(info.rmin, info.rmax)
            let baseX = r.range(150, 362), baseY = r.range(150, 362)
            for k in 0..<maxC {
                var o = _Obj()
                o.global = si * _maxInstances + k
                o.structIdx = si
                o.rx = baseR * r.range(0.8, 1.15)
                o.ry = o.rx * info.aspect * r.range(0.85, 1.15)
                let margin = 1.3 * max(o.rx, o.ry) + 4
                let lo = min(margin, 255.0), hi = max(511 - margin, 256.0)
                let ox = k == 0 ? 0 : r.range(-120, 120), oy = k == 0 ? 0 : r.range(-60, 60)
                o.cx = min(max(baseX + ox, lo), hi)
                o.cy = min(max(baseY + oy, lo), hi)
                o.dcx = r.range(-12, 12); o.dcy = r.range(-12, 12)
                let rot = _sinCos(r.range(0, .pi))
                o.cr = rot.cos; o.sr = rot.sin
                o.za = r.range(0, 0.7)
                o.zb = min(1, o.za + r.range(0.12, 0.6))
                let u = r.unit()
                o.density = u < 0.75 ? r.range(0.8, 1.3) : (u < 0.9 ? r.range(0.25, 0.6) : r.range(2, 8))
                o.a1 = r.range(0.03, 0.08); o.a2 = r.range(0.015, 0.05); o.a3 = r.range(0.004, 0.02)
                o.k3 = Double(5 + r.below(6))
                o.p1 = r.range(0, 2 * .pi); o.p2 = r.range(0, 2 * .pi); o.p3 = r.range(0, 2 * .pi)
                o.w1 = r.range(-2, 2); o.w2 = r.range(-3, 3); o.w3 = r.range(-6, 6)
                o.islandRate = r.unit() < 0.6 ? 0 : r.range(0.1, 0.45)
                o.lobeRate = r.range(0.3, 0.85)
                o.lobeScale = r.range(0.15, 0.5)
                o.hasBBox = r.unit() < 0.7
                o.confidence = r.unit() < 0.6 ? 50 + r.below(50) : -1
                o.regMode = r.unit() < 0.4 ? 0 : (nReg == 2 && r.unit() < 0.5 ? 2 : 1)
                let ml = o.rx * o.ry * (o.zb - o.za) * 2.2
                o.volume = max(1, Int(ml * 100))
                o.volumeIsInt = r.unit() < 0.5
                o.hu = 200 + r.below(600)
                allObjects.append(o)
            }
        }
        apply(nStruct: nStructFull, onePerStructure: false)
    }

    mutating func apply(nStruct n: Int, onePerStructure: Bool) {
        nStruct = n
        objects = []
        let gs = min(1, 2 * growth)
        for o in allObjects where o.structIdx < n {
            let si = o.structIdx
            let k = o.global - si * _maxInstances
            let count = onePerStructure ? 1
                : baseCount[si] + Int((gs * Double(maxCount[si] - baseCount[si])).rounded())
            if k < count { objects.append(o) }
        }
        setSlices(slices)
    }

    /// Sets the growth: structures, instances and extra contours saturate at g = 0.5,
    /// contour density keeps rising to g = 1.
    mutating func setGrowth(_ g: Double) {
        growth = g
        let gs = min(1, 2 * g)
        detail = 1 + 15 * g
        apply(nStruct: nStructFull + Int((gs * Double(_structureCount - nStructFull)).rounded()),
              onePerStructure: false)
    }

    mutating func setSlices(_ s: Int) {
        slices = max(1, s)
        let S = Double(slices)
        for i in objects.indices {
            let start = min(slices - 1, Int(objects[i].za * S))
            let end = max(start + 1, min(slices, Int((objects[i].zb * S).rounded(.up))))
            objects[i].start = start
            objects[i].end = end
        }
    }
}

// MARK: - Byte writer

// MARK: - Contours

@inline(__always)
private func _pairCount(_ x: Double) -> Int {
    if !(x >= 3) { return 3 }
    return x >= Double(_maxPairs) ? _maxPairs : Int(x)
}

@inline(__always)
private func _perimeter(_ a: Double, _ b: Double) -> Double {   // Ramanujan
    Double.pi * (3 * (a + b) - ((3 * a + b) * (a + 3 * b)).squareRoot())
}

/// Writes `n` integer (x, y) pairs of a wobbly closed contour to `dst`; updates `bb`.
private func _contour(_ dst: UnsafeMutablePointer<UInt16>, _ n: Int,
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

// MARK: - Engine

private struct _Engine {
    var L: _Layout
    var w: _Writer
    let pts: UnsafeMutablePointer<UInt16>
    var sum = GeneratedSummary()
    /// Calibration: sample annotations of long objects and extrapolate into `extra`.
    var estimate = false
    /// Calibration: write images and annotations as empty arrays.
    var skipSlices = false
    var extra = 0

    init(L: _Layout, w: _Writer, pts: UnsafeMutablePointer<UInt16>) {
        self.L = L
        self.w = w
        self.pts = pts
    }

    typealias Sink = (UnsafeRawBufferPointer) throws -> Void

    mutating func document(_ order: [Section], _ sink: Sink) rethrows {
        w.b(123)
        for (i, sec) in order.enumerated() {
            w.sep(i == 0, 1)
            switch sec {
            case .images: w.key("\"images\":"); try images(sink)
            case .annotations: w.key("\"annotations\":"); try annotations(sink)
            case .categories: w.key("\"categories\":"); try categories(sink)
            case .regressions: w.key("\"regressions\":"); try regressions(sink)
            case .objects: w.key("\"objects\":"); try objects(sink)
            case .meta: w.key("\"meta\":"); meta()
            case .tables, .records, .rows: preconditionFailure("not a section of an image output")
            }
            try w.check(sink)
        }
        w.nl(0)
        w.b(125)
    }

    // images

    mutating func images(_ sink: Sink) rethrows {
        w.b(91)
        if skipSlices { w.b(93); return }
        let S = L.slices
        for s in 0..<S {
            w.sep(s == 0, 2); w.b(123)
            w.nl(3); w.key("\"id\":"); w.id(L.seed, _kImage, s); w.b(44)
            w.nl(3); w.key("\"file_name\":"); w.s("\"slice_"); w.int(s + 1, minDigits: 4); w.s(".dcm\""); w.b(44)
            w.nl(3); w.key("\"index\":"); w.int(s + 1); w.b(44)
            w.nl(3); w.key("\"category_ids\":")
            var mask = 0
            if L.imageLabels && _hash(L.seed, 11, UInt64(s)) % 23 == 0 {
                for o in L.objects where o.start <= s && s < o.end { mask |= 1 << o.structIdx }
            }
            if mask == 0 {
                w.null()
            } else {
                w.b(91)
                var first = true
                for si in 0..<L.nStruct where mask & (1 << si) != 0 {
                    w.sep(first, 4); w.id(L.seed, _kCategory, si); first = false
                }
                w.nl(3); w.b(93)
            }
            w.b(44)
            w.nl(3); w.key("\"regressions\":"); w.null()
            w.nl(2); w.b(125)
            try w.check(sink)
        }
        w.nl(1); w.b(93)
    }

    // annotations

    mutating func annotations(_ sink: Sink) rethrows {
        w.b(91)
        if skipSlices { w.b(93); return }
        if estimate {
            let K = 16
            for oi in L.objects.indices {
                let o = L.objects[oi]
                let n = o.end - o.start
                if n <= K {
                    for s in o.start..<o.end { try annotation(oi, s, 0, false, sink) }
                } else {
                    let before = w.count
                    for j in 0..<K { try annotation(oi, o.start + (2 * j + 1) * n / (2 * K), 0, false, sink) }
                    let sampled = w.count - before
                    extra += Int(Double(sampled) * Double(n) / Double(K)) - sampled
                }
            }
        } else {
            var idx = 0
            let S = L.slices
            for s in 0..<S {
                for oi in L.objects.indices where L.objects[oi].start <= s && s < L.objects[oi].end {
                    try annotation(oi, s, idx, idx == 0, sink)
                    idx += 1
                }
            }
        }
        w.nl(1); w.b(93)
    }

    mutating func annotation(_ oi: Int, _ s: Int, _ idx: Int, _ first: Bool, _ sink: Sink) rethrows {
        let o = L.objects[oi]
        // Geometry: the cross-section of an ellipsoid-ish organ at relative depth t.
        let n = o.end - o.start
        let t = (Double(s - o.start) + 0.5) / Double(n)
        let u = 2 * t - 1
        let f = 0.3 + 0.7 * max(0, 1 - u * u).squareRoot()
        var rng = _Rng(_hash(L.seed, 0x1000 &+ UInt64(o.global), UInt64(s)))
        let cx = o.cx + o.dcx * u, cy = o.cy + o.dcy * u
        let rx = o.rx * f, ry = o.ry * f
        var bb = (Int.max, Int.max, Int.min, Int.min)
        var counts = (0, 0, 0, 0, 0, 0)
        counts.0 = _pairCount(_perimeter(rx, ry) * o.density * L.detail)
        _contour(pts, counts.0, cx, cy, rx, ry, o.cr, o.sr, o.a1, o.a2, o.a3, o.k3,
                 o.p1 + o.w1 * t, o.p2 + o.w2 * t, o.p3 + o.w3 * t, &rng, &bb)
        var np = 1
        let gs = min(1, 2 * L.growth)
        let rate = max(o.islandRate, gs * o.lobeRate)
        if L.islands && rate > 0 {
            var off = counts.0
            let extraMax = 2 + Int((gs * Double(_maxPolys - 3)).rounded())
            let rmin = min(rx, ry)
            for _ in 0..<extraMax {
                if rng.unit() >= rate { continue }
                let ang = _sinCos(rng.range(0, 2 * .pi))
                let ri = min(rng.range(2, 12) + gs * o.lobeScale * rmin * rng.unit(), 120)
                let d = rng.range(1.08, 1.3) + ri / max(rmin, 1) * 0.5
                let ex = d * rx * ang.cos, ey = d * ry * ang.sin
                let lo = ri + 2, hi = Double(_imageSize - 3) - ri
                let icx = min(max(cx + ex * o.cr - ey * o.sr, lo), hi)
                let icy = min(max(cy + ex * o.sr + ey * o.cr, lo), hi)
                let c = _pairCount(_perimeter(ri, ri * 0.8) * min(o.density, 1.5) * L.detail)
                _contour(pts + 2 * off, c, icx, icy, ri, ri * 0.8, ang.cos, ang.sin,
                         0.08, 0.04, 0.02, 5, 0, 0, 0, &rng, &bb)
                switch np {
                case 1: counts.1 = c
                case 2: counts.2 = c
                case 3: counts.3 = c
                case 4: counts.4 = c
                default: counts.5 = c
                }
                np += 1
                off += c
            }
        }

        w.sep(first, 2); w.b(123)
        w.nl(3); w.key("\"id\":"); w.id(L.seed, _kAnnotation, idx); w.b(44)
        w.nl(3); w.key("\"image_id\":"); w.id(L.seed, _kImage, s); w.b(44)
        w.nl(3); w.key("\"object_id\":"); w.id(L.seed, _kObject, o.global); w.b(44)
        w.nl(3); w.key("\"iscrowd\":"); w.b(48); w.b(44)
        w.nl(3); w.key("\"bbox\":")
        if o.hasBBox {
            w.b(91); w.nl(4); w.b(91)
            w.nl(5); w.pos = _putCoord(w.base, w.pos, bb.0); w.b(44)
            w.nl(5); w.pos = _putCoord(w.base, w.pos, bb.1); w.b(44)
            w.nl(5); w.pos = _putCoord(w.base, w.pos, bb.2); w.b(44)
            w.nl(5); w.pos = _putCoord(w.base, w.pos, bb.3)
            w.nl(4); w.b(93); w.nl(3); w.b(93)
            sum.bboxes += 1
        } else {
            w.null()
        }
        w.b(44)
        w.nl(3); w.key("\"segmentation\":"); w.b(91)
        try w.check(sink)
        var off = 0
        for k in 0..<np {
            let c: Int
            switch k {
            case 0: c = counts.0
            case 1: c = counts.1
            case 2: c = counts.2
            case 3: c = counts.3
            case 4: c = counts.4
            default: c = counts.5
            }
            w.sep(k == 0, 4); w.b(91)
            try numbers(pts + 2 * off, c, sink)
            w.nl(4); w.b(93)
            off += c
            sum.points += c
        }
        w.nl(3); w.b(93)
        w.nl(2); w.b(125)
        sum.polygons += np
        sum.annotations += 1
        try w.check(sink)
    }

    /// The hot loop: `n` coordinate pairs as JSON numbers.
    @inline(__always)
    mutating func numbers(_ src: UnsafeMutablePointer<UInt16>, _ n: Int, _ sink: Sink) rethrows {
        let b = w.base
        var p = w.pos
        if !w.pretty {
            for i in 0..<n {
                if i != 0 { b[p] = 44; p += 1 }
                p = _putCoord(b, p, Int(src[2 * i]))
                b[p] = 44
                p = _putCoord(b, p + 1, Int(src[2 * i + 1]))
                if p >= _flushAt { w.pos = p; try w.flush(sink); p = 0 }
            }
        } else {
            let pat: StaticString = ",\n          "        // comma, newline, 10 spaces (level 5)
            let pp = pat.utf8Start
            for i in 0..<n {
                if i != 0 { (b + p).update(from: pp, count: 12); p += 12 } else { (b + p).update(from: pp + 1, count: 11); p += 11 }
                p = _putCoord(b, p, Int(src[2 * i]))
                (b + p).update(from: pp, count: 12); p += 12
                p = _putCoord(b, p, Int(src[2 * i + 1]))
                if p >= _flushAt { w.pos = p; try w.flush(sink); p = 0 }
            }
        }
        w.pos = p
    }

    // categories

    mutating func categories(_ sink: Sink) rethrows {
        w.b(91)
        var first = true
        if L.hasParent {
            w.sep(true, 2); w.b(123)
            w.nl(3); w.key("\"id\":"); w.id(L.seed, _kParent, 0); w.b(44)
            w.nl(3); w.key("\"name\":"); w.s("\"Abdomen\""); w.b(44)
            w.nl(3); w.key("\"supercategory_id\":"); w.null(); w.b(44)
            w.nl(3); w.key("\"color\":"); w.hexColor(0x80_80_80)
            w.nl(2); w.b(125)
            first = false
        }
        for si in 0..<L.nStruct {
            w.sep(first, 2); w.b(123); first = false
            w.nl(3); w.key("\"id\":"); w.id(L.seed, _kCategory, si); w.b(44)
            w.nl(3); w.key("\"name\":"); w.b(34); w.s(_structure(L.kinds[si]).name); w.b(34); w.b(44)
            w.nl(3); w.key("\"supercategory_id\":")
            if L.underParent[si] { w.id(L.seed, _kParent, 0) } else { w.null() }
            w.b(44)
            w.nl(3); w.key("\"color\":"); w.hexColor(L.colors[si])
            w.nl(2); w.b(125)
            try w.check(sink)
        }
        w.nl(1); w.b(93)
    }

    // regressions

    mutating func regressions(_ sink: Sink) rethrows {
        w.b(91)
        w.sep(true, 2); w.b(123)
        w.nl(3); w.key("\"id\":"); w.id(L.seed, _kRegression, 0); w.b(44)
        w.nl(3); w.key("\"name\":"); w.s("\"volume\""); w.b(44)
        w.nl(3); w.key("\"superregression_id\":"); w.null(); w.b(44)
        w.nl(3); w.key("\"unit\":"); w.s("\"ml\"")
        w.nl(2); w.b(125)
        if L.nReg > 1 {
            w.sep(false, 2); w.b(123)
            w.nl(3); w.key("\"id\":"); w.id(L.seed, _kRegression, 1); w.b(44)
            w.nl(3); w.key("\"name\":"); w.s("\"mean_density\""); w.b(44)
            w.nl(3); w.key("\"superregression_id\":")
            if L.regLinked { w.id(L.seed, _kRegression, 0) } else { w.null() }
            w.b(44)
            w.nl(3); w.key("\"unit\":"); w.s("\"HU\""); w.b(44)
            w.nl(3); w.key("\"threshold\":"); w.s("\"140\"")
            w.nl(2); w.b(125)
        }
        w.nl(1); w.b(93)
        try w.check(sink)
    }

    // objects

    mutating func objects(_ sink: Sink) rethrows {
        w.b(91)
        for (i, o) in L.objects.enumerated() {
            w.sep(i == 0, 2); w.b(123)
            w.nl(3); w.key("\"id\":"); w.id(L.seed, _kObject, o.global); w.b(44)
            w.nl(3); w.key("\"category_ids\":"); w.b(91)
            w.nl(4); w.id(L.seed, _kCategory, o.structIdx)
            w.nl(3); w.b(93); w.b(44)
            w.nl(3); w.key("\"regressions\":")
            if o.regMode == 0 {
                w.null()
            } else {
                w.b(91)
                w.nl(4); w.b(123)
                w.nl(5); w.key("\"regression_id\":"); w.id(L.seed, _kRegression, 0); w.b(44)
                w.nl(5); w.key("\"value\":"); w.dec(o.volume, asInt: o.volumeIsInt)
                w.nl(4); w.b(125)
                if o.regMode == 2 {
                    w.b(44); w.nl(4); w.b(123)
                    w.nl(5); w.key("\"regression_id\":"); w.id(L.seed, _kRegression, 1); w.b(44)
                    w.nl(5); w.key("\"value\":"); w.dec(o.hu * 10, asInt: o.hu % 10 == 0)
                    w.nl(4); w.b(125)
                }
                w.nl(3); w.b(93)
            }
            if o.confidence >= 0 {
                w.b(44); w.nl(3); w.key("\"confidence\":"); w.dec(o.confidence, asInt: false)
            }
            w.nl(2); w.b(125)
            try w.check(sink)
        }
        w.nl(1); w.b(93)
    }

    // meta

    mutating func meta() {
        w.b(123)
        w.nl(2); w.key("\"category_ids\":")
        if L.metaVariant == 2 {
            w.b(91)
            for si in 0..<L.nStruct { w.sep(si == 0, 3); w.id(L.seed, _kCategory, si) }
            w.nl(2); w.b(93)
        } else {
            w.null()
        }
        w.b(44)
        w.nl(2); w.key("\"regressions\":")
        if L.metaVariant == 3 {
            var total = 0
            for o in L.objects { total += o.volume }
            w.b(91); w.nl(3); w.b(123)
            w.nl(4); w.key("\"regression_id\":"); w.id(L.seed, _kRegression, 0); w.b(44)
            w.nl(4); w.key("\"value\":"); w.dec(total, asInt: false)
            w.nl(3); w.b(125); w.nl(2); w.b(93)
        } else {
            w.null()
        }
        switch L.metaVariant {
        case 1: w.b(44); w.nl(2); w.key("\"task_type\":"); w.s("\"multiclass\"")
        case 2: w.b(44); w.nl(2); w.key("\"task_type\":"); w.s("\"multilabel\"")
        case 3: w.b(44); w.nl(2); w.key("\"task_type\":"); w.s("\"binary\"")
        default: break
        }
        w.nl(1); w.b(125)
    }
}

// MARK: - Calibration

/// Chooses the number of slices (and a point-density factor, and for tiny targets fewer
/// structures) so that the document size lands near `options.targetBytes`.
private func _calibrate(_ options: GeneratorOptions, _ bytes: UnsafeMutablePointer<UInt8>,
                        _ pts: UnsafeMutablePointer<UInt16>) -> _Layout {
    let target = max(0, options.targetBytes)
    let order = GeneratorOptions.imageSections      // size does not depend on the order
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
