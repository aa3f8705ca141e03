// LongShapeEngine.swift
//
// The long shape's writer: the six sections of a document from its layout, in any order.

import AiCOCO

// MARK: - Engine

struct _Engine: ImageSectionWriter {
    var L: _Layout
    var w: _Writer
    let pts: UnsafeMutablePointer<UInt16>
    var sum = DocumentGenerator.Summary()
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

    mutating func section(_ section: Section, _ sink: Sink) rethrows {
        switch section {
        case .images: try images(sink)
        case .annotations: try annotations(sink)
        case .categories: try categories(sink)
        case .regressions: try regressions(sink)
        case .objects: try objects(sink)
        case .meta: meta()
        case .tables, .records, .rows: preconditionFailure("not a section of an image output")
        }
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
            w.endImage()
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
