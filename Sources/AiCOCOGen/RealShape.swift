// RealShape.swift
//
// The shapes of real FLaVor output (see Fixtures/flavor/README.md): a document is a run of
// "series" blocks, each drawn from the seed alone, so any section can be written in any order
// without storing anything that grows with the document.
//
// - noisy: 40 slices, 46 objects of 5 structures (Liver, Spleen, 2 Kidneys, 12 Lesions,
//   30 Vessels) spanning 7-22 slices; per annotation one contour (92 %), two (4 %) or a long
//   border with 5-120 specks (4 %); most contours are 1 or 2 points, as cv2.findContours
//   with CHAIN_APPROX_SIMPLE gives for single pixels and lines.
// - smooth: 40 slices, 36 objects of 14 structures, one contour of ~40 points per annotation.
// - detection: one image of 30-50 boxes; objects with a confidence and two regressions.
//
// Annotations come object by object (each object's slices in order), then the next block, as
// FLaVor writes them; objects after the annotations that use them in the default order.

import AiCOCO

/// Streams a document of a real shape to `sink`.
func generateRealShape(_ options: DocumentGenerator.Options,
                       to sink: (UnsafeRawBufferPointer) throws -> Void) rethrows -> DocumentGenerator.Summary {
    let table = ShapeTable(options.shape)
    let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: _bufCapacity)
    defer { bytes.deallocate() }
    // Calibration: whole series are drawn one by one and measured (without writing them out)
    // while they fit; past 16 MB of them, their count is extrapolated from their mean size. The
    // last series is cut after the slice that brings the document closest to the target.
    var probe = RealShapeWriter(options: options, table: table, base: bytes, blocks: 0, lastSlices: table.slices)
    let fixed = probe.document { _ in }.bytes
    var blocks = 0, measured = 0
    while measured < 16_000_000 {
        let size = probe.measure(block: blocks, slices: table.slices)
        if fixed + measured + size > options.targetBytes { break }
        measured += size
        blocks += 1
    }
    var lastSlices = table.slices
    if measured >= 16_000_000 {
        blocks += Int(Double(options.targetBytes - fixed - measured) / (Double(measured) / Double(blocks)))
    } else if !table.detection {
        var previous = fixed + measured
        for slices in 1...table.slices {
            let size = fixed + measured + probe.measure(block: blocks, slices: slices)
            if size >= options.targetBytes {
                lastSlices = size - options.targetBytes <= options.targetBytes - previous || slices == 1 ? slices : slices - 1
                break
            }
            previous = size
        }
        if lastSlices > 0 { blocks += 1 }
    } else if fixed + measured < options.targetBytes / 2 || blocks == 0 {
        blocks += 1
    }
    blocks = max(1, blocks)
    if blocks > 1 && lastSlices == 0 { lastSlices = table.slices }
    var writer = RealShapeWriter(options: options, table: table, base: bytes, blocks: blocks, lastSlices: max(1, lastSlices))
    return try writer.document(sink)
}

/// Writes the sections of a real-shaped document of `blocks` blocks.
struct RealShapeWriter: ImageSectionWriter {
    typealias Sink = (UnsafeRawBufferPointer) throws -> Void
    let options: DocumentGenerator.Options
    let table: ShapeTable
    let blocks: Int
    /// Slices of the last block (the others have `table.slices`).
    let lastSlices: Int
    /// Slices of the block being written.
    var blockSlices: Int
    var w: _Writer
    var sum = DocumentGenerator.Summary()
    var objectBuffer: [BlockObject] = []
    /// The blocks the sections hold (one alone while measuring).
    var blockRange: Range<Int>
    /// The slices of the block being measured.
    var measuring: Int?

    init(options: DocumentGenerator.Options, table: ShapeTable, base: UnsafeMutablePointer<UInt8>, blocks: Int, lastSlices: Int) {
        self.options = options
        self.table = table
        self.blocks = blocks
        self.lastSlices = lastSlices
        self.blockSlices = table.slices
        self.blockRange = 0..<blocks
        self.w = _Writer(base: base, pretty: options.pretty)
    }

    var seed: UInt64 { options.seed }

    /// The generator of block `b`'s choices.
    func blockRng(_ b: Int) -> _Rng { _Rng(_hash(seed, kBlock, UInt64(b))) }

    /// The detection shape's block `b`: how many annotations it has (one object each), and the
    /// generator of their boxes.
    func detections(in b: Int) -> (count: Int, rng: _Rng) {
        var rng = blockRng(b)
        return (30 + rng.below(21), rng)
    }

    /// Slices of block `b`.
    func slices(of b: Int) -> Int {
        b == blocks - 1 ? lastSlices : (measuring ?? table.slices)
    }

    /// The bytes block `b` of `count` slices adds to the images, annotations and objects
    /// (nothing is written out).
    mutating func measure(block b: Int, slices count: Int) -> Int {
        measuring = count
        defer { measuring = nil }
        let before = w.count
        blockRange = b..<(b + 1)
        images { _ in }
        annotations { _ in }
        objects { _ in }
        let size = w.count - before
        w.pos = 0
        w.flushed = 0
        return size
    }

    mutating func section(_ section: Section, _ sink: Sink) rethrows {
        switch section {
        case .images: try images(sink)
        case .annotations: try annotations(sink)
        case .categories: categories()
        case .regressions: regressions()
        case .objects: try objects(sink)
        case .meta: meta()
        case .tables, .records, .rows: preconditionFailure("not a section of an image output")
        }
    }

    mutating func document(_ sink: Sink) rethrows -> DocumentGenerator.Summary {
        try document(options.order, sink)
        try w.flush(sink)
        sum.bytes = w.count
        sum.images = max(0, blocks - 1) * table.slices + (blocks > 0 ? lastSlices : 0)
        sum.categories = table.structures.count
        sum.regressions = table.detection ? 2 : 0
        return sum
    }

    var objectsPerBlock: Int { table.objects.count }

    /// The objects of block `b`, drawn from the seed alone, as in a full series (a shorter
    /// series keeps the slices below `blockSlices`, and the objects on them).
    mutating func layOut(block b: Int) {
        blockSlices = slices(of: b)
        objectBuffer.removeAll(keepingCapacity: true)
        var rng = blockRng(b)
        for j in 0..<objectsPerBlock {
            let category = table.objects[j]
            let count = min(table.slices, 7 + rng.below(16))
            let start = rng.below(table.slices - count + 1)
            let big = category <= 2
            objectBuffer.append(BlockObject(category: category, start: start, count: count,
                                            cx: 140 + rng.below(232), cy: 140 + rng.below(232),
                                            radius: big ? rng.range(40, 110) : rng.range(6, 40)))
        }
    }

    // MARK: images

    mutating func images(_ sink: Sink) rethrows {
        w.b(91)
        let end = blockRange.isEmpty ? 0 : (blockRange.upperBound - 1) * table.slices + slices(of: blockRange.upperBound - 1)
        for index in (blockRange.lowerBound * table.slices)..<max(end, blockRange.lowerBound * table.slices) {
            w.sep(index == 0, 2); w.b(123)
            w.nl(3); w.key("\"file_name\":"); w.s("\"series/IM"); w.int(index, minDigits: 5); w.s(".dcm\""); w.b(44)
            w.nl(3); w.key("\"id\":"); w.id(seed, kImage, index); w.b(44)
            w.nl(3); w.key("\"index\":"); w.int(index); w.b(44)
            w.nl(3); w.key("\"category_ids\":"); w.null(); w.b(44)
            w.endImage()
            try w.check(sink)
        }
        w.nl(1); w.b(93)
    }

    // MARK: annotations

    mutating func annotations(_ sink: Sink) rethrows {
        w.b(91)
        var counter = 0
        for b in blockRange {
            if table.detection {
                var (count, rng) = detections(in: b)
                for _ in 0..<count {
                    annotationHeader(counter, image: b, object: counter)
                    let x = rng.below(440), y = rng.below(440)
                    w.nl(3); w.key("\"bbox\":"); w.b(91); w.nl(4); w.b(91)
                    for (k, v) in [x, y, x + 8 + rng.below(64), y + 8 + rng.below(64)].enumerated() {
                        w.sep(k == 0, 5); w.int(v)
                    }
                    w.nl(4); w.b(93); w.nl(3); w.b(93); w.b(44)
                    w.nl(3); w.key("\"segmentation\":"); w.null()
                    w.nl(2); w.b(125)
                    sum.bboxes += 1
                    counter += 1
                    try w.check(sink)
                }
                continue
            }
            layOut(block: b)
            for j in objectBuffer.indices where objectBuffer[j].start < blockSlices {
                let object = objectBuffer[j]
                for s in object.start..<min(object.start + object.count, blockSlices) {
                    annotationHeader(counter, image: b * table.slices + s, object: b * objectsPerBlock + j)
                    w.nl(3); w.key("\"bbox\":"); w.null(); w.b(44)
                    w.nl(3); w.key("\"segmentation\":"); w.b(91)
                    var rng = _Rng(_hash(seed, kGeometry, UInt64((b * objectsPerBlock + j) * 64 + s)))
                    try segmentation(object, slice: s, &rng, sink)
                    w.nl(3); w.b(93)
                    w.nl(2); w.b(125)
                    counter += 1
                    try w.check(sink)
                }
            }
        }
        sum.annotations = counter
        w.nl(1); w.b(93)
    }

    mutating func annotationHeader(_ index: Int, image: Int, object: Int) {
        w.sep(index == 0, 2); w.b(123)
        w.nl(3); w.key("\"id\":"); w.id(seed, kAnnotation, index); w.b(44)
        w.nl(3); w.key("\"image_id\":"); w.id(seed, kImage, image); w.b(44)
        w.nl(3); w.key("\"iscrowd\":"); w.b(48); w.b(44)
        w.nl(3); w.key("\"object_id\":"); w.id(seed, kObject, object); w.b(44)
    }

    /// The contours of one annotation: a border and, for the noisy shape, specks beside it.
    mutating func segmentation(_ object: BlockObject, slice: Int, _ rng: inout _Rng, _ sink: Sink) rethrows {
        // Cross-section of an ellipsoid: largest in the middle slice of the object.
        let t = (Double(slice - object.start) + 0.5) / Double(object.count) * 2 - 1
        let r = max(1, object.radius * (0.35 + 0.65 * max(0, 1 - t * t).squareRoot()))
        if options.shape == .smooth {
            let n = min(352, max(5, Int(46 * logNormalFactor(&rng, sigma: 0.55))))
            try contour(first: true, n: n, cx: object.cx, cy: object.cy, radius: r, &rng, sink)
            return
        }
        let u = rng.unit()
        if u < 0.916 {
            try contour(first: true, n: noisyBorderLength(&rng), cx: object.cx, cy: object.cy, radius: r, &rng, sink)
        } else if u < 0.957 {
            try contour(first: true, n: noisyBorderLength(&rng), cx: object.cx, cy: object.cy, radius: r, &rng, sink)
            try speck(object, radius: r, &rng, sink)
        } else {
            // A long speckled border and its specks (FLaVor lists the specks first, here too).
            let specks = 4 + rng.below(117)
            for k in 0..<specks { try speck(object, radius: r, &rng, sink, first: k == 0) }
            try contour(first: false, n: 290 + rng.below(870), cx: object.cx, cy: object.cy, radius: max(r, 60), &rng, sink)
        }
    }

    /// Points of a noisy one-contour annotation: median 21, mean 30, 1 to about 220.
    func noisyBorderLength(_ rng: inout _Rng) -> Int {
        let buckets: [(weight: Int, low: Int, high: Int)] = [
            (8, 1, 2), (122, 3, 9), (178, 10, 19), (101, 20, 29), (85, 30, 39), (44, 40, 49), (25, 50, 59),
            (22, 60, 69), (15, 70, 79), (14, 80, 89), (9, 90, 99), (22, 100, 160), (2, 160, 220),
        ]
        var pick = rng.below(647)
        for bucket in buckets {
            if pick < bucket.weight { return bucket.low + rng.below(bucket.high - bucket.low + 1) }
            pick -= bucket.weight
        }
        return 21
    }

    /// exp(sigma * N(0,1)), N from the sum of 4 uniforms.
    func logNormalFactor(_ rng: inout _Rng, sigma: Double) -> Double {
        let z = (rng.unit() + rng.unit() + rng.unit() + rng.unit() - 2) * 1.7320508
        var e = 1.0, term = 1.0
        for k in 1...12 { term *= sigma * z / Double(k); e += term }
        return e
    }

    /// A speck: 1 point (80 %), 2 points (14 %) or a small blob of 3-9 points.
    mutating func speck(_ object: BlockObject, radius: Double, _ rng: inout _Rng, _ sink: Sink, first: Bool = false) rethrows {
        let u = rng.unit()
        let n = u < 0.8 ? 1 : (u < 0.94 ? 2 : 3 + rng.below(7))
        let angle = rng.range(0, 6.283185307179586)
        let (s, c) = _sinCos(angle)
        let cx = object.cx + Int(c * radius * rng.range(0.8, 1.2)), cy = object.cy + Int(s * radius * rng.range(0.8, 1.2))
        try contour(first: first, n: n, cx: cx, cy: cy, radius: Double(n) / 3, &rng, sink)
    }

    /// One contour of `n` points around (cx, cy), integer coordinates inside a 512x512 image.
    mutating func contour(first: Bool, n: Int, cx: Int, cy: Int, radius: Double, _ rng: inout _Rng, _ sink: Sink) rethrows {
        w.sep(first, 4); w.b(91)
        let clampedX = min(511, max(0, cx)), clampedY = min(511, max(0, cy))
        let step = 6.283185307179586 / Double(n)
        // Points of a digital ellipse no bigger than n allows: a staircase has ~n/4 points a quadrant.
        let r = min(radius, max(0.5, Double(n) * 0.3))
        for k in 0..<n {
            let (s, c) = _sinCos(step * Double(k))
            let jitter = n > 4 ? Double(rng.below(3)) - 1 : 0
            let x = min(511, max(0, clampedX + Int((c * (r + jitter)).rounded())))
            let y = min(511, max(0, clampedY + Int((s * (r + jitter)).rounded())))
            w.sep(k == 0, 5); w.int(n == 2 && k == 1 && x == clampedX && y == clampedY ? min(511, x + 1) : x)
            w.b(44); w.nl(5); w.int(y)
            if k & 255 == 255 { try w.check(sink) }
        }
        w.nl(4); w.b(93)
        sum.polygons += 1
        sum.points += n
        try w.check(sink)
    }
}
