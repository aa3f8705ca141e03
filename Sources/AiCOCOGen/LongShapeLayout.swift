// LongShapeLayout.swift
//
// The long shape's anatomy (structures, sizes, instances) and its layout: every record but the
// slices' annotations, calibrated once per target size.

import AiCOCO

// MARK: - Anatomy table

func _structure(_ i: Int) -> (name: StaticString, rmin: Double, rmax: Double, aspect: Double) {
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
func _maxInst(_ i: Int) -> Int {
    switch i {
    case 15, 16, 20, 21: return 6
    case 13: return 5
    case 12: return 4
    case 2, 9, 17, 22: return 2
    default: return 3
    }
}
let _structureCount = 24

// MARK: - Layout (everything except S-dependent records; bounded size)

struct _Obj: Sendable {
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

struct _Layout: Sendable {
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
