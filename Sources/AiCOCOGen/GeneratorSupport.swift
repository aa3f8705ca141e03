// GeneratorSupport.swift
//
// Seeded hashing, a SplitMix64 generator and the byte writer that every shape of the generator uses.

import AiCOCO

let _flushAt = 61_440          // flush when the buffer holds >= 60 KiB
let _bufCapacity = 65_536 + 16_384

// MARK: - Hashing / PRNG


@inline(__always)
func _hash(_ seed: UInt64, _ kind: UInt64, _ index: UInt64) -> UInt64 {
    let a = splitMix64(seed &+ splitMix64Increment)
    let b = splitMix64(a ^ (kind &* 0xD6E8_FEB8_6659_FD93))
    return splitMix64(b ^ (index &+ 0x632B_E59B_D9B4_E019))
}

/// SplitMix64.
struct _Rng {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    @inline(__always) mutating func next() -> UInt64 {
        state &+= splitMix64Increment
        return splitMix64(state)
    }
    /// Uniform in [0, 1).
    @inline(__always) mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
    @inline(__always) mutating func range(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * unit() }
    /// Uniform in 0..<n.
    @inline(__always) mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// sin and cos without Foundation (range reduction + Taylor series; ~1e-15 accuracy).
func _sinCos(_ x: Double) -> (sin: Double, cos: Double) {
    let twoPi = 2 * Double.pi
    var r = x - (x / twoPi).rounded(.down) * twoPi
    if r > .pi { r -= twoPi }
    var cosSign = 1.0
    if r > .pi / 2 { r = .pi - r; cosSign = -1 } else if r < -.pi / 2 { r = -.pi - r; cosSign = -1 }
    let r2 = r * r
    var s = r, c = 1.0, ts = r, tc = 1.0
    for i in 1...12 {
        let a = Double(2 * i)
        tc = -tc * r2 / ((a - 1) * a); c += tc
        ts = -ts * r2 / (a * (a + 1)); s += ts
    }
    return (s, c * cosSign)
}

@inline(__always)
func _putCoord(_ b: UnsafeMutablePointer<UInt8>, _ p: Int, _ v: Int) -> Int {
    if v >= 100 {
        let h = v / 100, r = v - h * 100, t = r / 10
        b[p] = UInt8(truncatingIfNeeded: 48 + h)
        b[p + 1] = UInt8(truncatingIfNeeded: 48 + t)
        b[p + 2] = UInt8(truncatingIfNeeded: 48 + r - t * 10)
        return p + 3
    } else if v >= 10 {
        let t = v / 10
        b[p] = UInt8(truncatingIfNeeded: 48 + t)
        b[p + 1] = UInt8(truncatingIfNeeded: 48 + v - t * 10)
        return p + 2
    } else {
        b[p] = UInt8(truncatingIfNeeded: 48 + v)
        return p + 1
    }
}

struct _Writer {
    let base: UnsafeMutablePointer<UInt8>
    let pretty: Bool
    var pos = 0
    var flushed = 0

    init(base: UnsafeMutablePointer<UInt8>, pretty: Bool) {
        self.base = base
        self.pretty = pretty
    }

    var count: Int { flushed + pos }

    @inline(__always)
    mutating func check(_ sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        if pos >= _flushAt { try flush(sink) }
    }

    mutating func flush(_ sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        if pos > 0 {
            let n = pos
            pos = 0
            flushed += n
            try sink(UnsafeRawBufferPointer(start: base, count: n))
        }
    }

    @inline(__always) mutating func b(_ c: UInt8) { base[pos] = c; pos += 1 }

    @inline(__always) mutating func s(_ str: StaticString) {
        let n = str.utf8CodeUnitCount
        (base + pos).update(from: str.utf8Start, count: n)
        pos += n
    }

    /// Newline plus 2*level spaces (pretty only).
    @inline(__always) mutating func nl(_ level: Int) {
        if pretty {
            let pat: StaticString = "\n                                "
            let n = 1 + 2 * level
            (base + pos).update(from: pat.utf8Start, count: n)
            pos += n
        }
    }

    /// Item separator inside an array/object at nesting `level`.
    @inline(__always) mutating func sep(_ first: Bool, _ level: Int) {
        if !first { b(44) }
        nl(level)
    }

    /// `k` must include quotes and colon, e.g. `"\"id\":"`.
    @inline(__always) mutating func key(_ k: StaticString) {
        s(k)
        if pretty { b(32) }
    }

    mutating func null() { s("null") }
    /// The end of an image record: its null regressions, then the closing brace.
    mutating func endImage() {
        nl(3); key("\"regressions\":"); null()
        nl(2); b(125)
    }

    mutating func int(_ v: Int, minDigits: Int = 1) {
        var digits = 1, t = v
        while t >= 10 { t /= 10; digits += 1 }
        digits = max(digits, minDigits)
        var x = v, p = pos + digits - 1
        while p >= pos {
            base[p] = UInt8(truncatingIfNeeded: 48 + x % 10)
            x /= 10
            p -= 1
        }
        pos += digits
    }

    /// A non-negative number given in hundredths; written as an integer when `asInt`, else
    /// with the shortest exact decimal (no trailing zeros, like Python's float repr).
    mutating func dec(_ hundredths: Int, asInt: Bool) {
        if asInt { int(hundredths / 100); return }
        let ip = hundredths / 100, f = hundredths % 100
        int(ip)
        if f != 0 {
            b(46)
            b(UInt8(truncatingIfNeeded: 48 + f / 10))
            if f % 10 != 0 { b(UInt8(truncatingIfNeeded: 48 + f % 10)) }
        }
    }

    /// A quoted nanoid(21) derived from (seed, kind, index).
    @inline(__always) mutating func id(_ seed: UInt64, _ kind: UInt64, _ index: Int) {
        let alphabet: StaticString = "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        let a = alphabet.utf8Start
        var x = _hash(seed, kind, UInt64(truncatingIfNeeded: index))
        var y = splitMix64(x ^ 0x5851_F42D_4C95_7F2D)
        let p = base + pos
        p[0] = 34
        for i in 1...10 { p[i] = a[Int(x & 63)]; x >>= 6 }
        for i in 11...20 { p[i] = a[Int(y & 63)]; y >>= 6 }
        p[21] = a[Int((x & 15) | ((y & 3) << 4))]
        p[22] = 34
        pos += 23
    }

    mutating func hexColor(_ c: UInt32) {
        let hex: StaticString = "0123456789ABCDEF"
        let h = hex.utf8Start
        b(34); b(35)
        var shift: UInt32 = 20
        for _ in 0..<6 { b(h[Int((c >> shift) & 15)]); shift &-= 4 }
        b(34)
    }
}

/// A writer of an image document's sections (the real and the long shapes): `document` writes
/// them in the order given, each after its key.
protocol ImageSectionWriter {
    var w: _Writer { get set }
    /// Writes the value of `section` (its array, or `meta`'s object).
    mutating func section(_ section: Section, _ sink: (UnsafeRawBufferPointer) throws -> Void) rethrows
}

extension ImageSectionWriter {
    /// `{`, then each of `order` as `"key":value`, then `}`; hands full buffers to `sink` between sections.
    mutating func document(_ order: [Section], _ sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        w.b(123)
        for (i, section) in order.enumerated() {
            w.sep(i == 0, 1)
            w.key(imageSectionKey(section))
            try self.section(section, sink)
            try w.check(sink)
        }
        w.nl(0)
        w.b(125)
    }
}

/// `"name":` for an image output's section.
func imageSectionKey(_ section: Section) -> StaticString {
    switch section {
    case .images: "\"images\":"
    case .annotations: "\"annotations\":"
    case .categories: "\"categories\":"
    case .regressions: "\"regressions\":"
    case .objects: "\"objects\":"
    case .meta: "\"meta\":"
    case .tables, .records, .rows: preconditionFailure("not a section of an image output")
    }
}
