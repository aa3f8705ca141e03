import Foundation
import Testing
@testable import AiCOCO

// A slice where many objects overlap (issue 20's `objects` case, smaller): past
// `LayerSweep.pairLimit` pairs the slice's pairs spill to a table of their own and are read back
// summed by pair; past `CanvasState.leastCompaction` sets the canvas drops the sets no pixel
// holds. Neither may change a count: the canvas (on the calling thread and on painter threads)
// must give what the run sweep gives, which shares neither.
struct SliceSweepMemoryTests {
    @Test("a layer's pairs past the limit are read back once each, their repeats summed")
    func spilledPairsSum() throws {
        var layer = LayerSweep(structures: 1)
        var expected: [UInt64: Int] = [:]
        let keys = 3 * LayerSweep.pairLimit
        // Every key twice, far apart (in different spills), and some a third time in memory.
        for round in 0..<2 {
            for number in 0..<keys {
                let key = UInt64(number % 977) << 32 | UInt64(number)
                layer.addPair(key, number % 5 + round + 1)
                expected[key, default: 0] += number % 5 + round + 1
            }
        }
        for number in stride(from: 0, to: keys, by: 7) {
            let key = UInt64(number % 977) << 32 | UInt64(number)
            layer.addPair(key, 3)
            expected[key, default: 0] += 3
        }
        #expect(layer.pairs.count < LayerSweep.pairLimit)
        var read: [UInt64: Int] = [:]
        var repeats = 0
        try layer.takePairs().forEach { key, pixels in
            if read[key] != nil { repeats += 1 }
            read[key] = pixels
        }
        #expect(repeats == 0)
        #expect(read == expected)
        #expect(layer.pairs.isEmpty)
        // Taken, the layer starts over: a few pairs stay in memory.
        layer.addPair(7, 2)
        var again: [(UInt64, Int)] = []
        try layer.takePairs().forEach { again.append(($0, $1)) }
        #expect(again.count == 1 && again[0] == (7, 2))
    }

    /// One 512x512 slice with `count` objects, a small triangle each, packed so that each
    /// overlaps about nine others (as scripts/make_pixel_hostile.py's `objects`).
    static func crowded(_ count: Int) -> String {
        let annotations = (0..<count).map { n in
            let (x, y) = (n % 500, n % 499)
            return PixelHostile.annotation(n, image: 0, object: "o\(n)", "[\(x),\(y),\(x + 2),\(y),\(x),\(y + 2)]")
        }
        return PixelHostile.document(images: [PixelHostile.image(0, width: 512, height: 512)], annotations: annotations,
                                     objects: (0..<count).map { "o\($0)" })
    }

    @Test("a crowded slice: canvas (one thread and painters) and run sweep count the same")
    func crowdedSlice() throws {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("in.json").path
        try Data(Self.crowded(9000).utf8).write(to: URL(fileURLWithPath: file))
        let canvas = try SegmentationMeasure().measure(.file(file))
        var painters = SegmentationMeasure()
        painters.threads = 2
        let painted = try painters.measure(.file(file))
        var sweep = SegmentationMeasure()
        sweep.paintsCanvas = false
        let swept = try sweep.measure(.file(file))
        let pairs = try swept.objectOverlaps
        // Enough pairs to spill, and (six pixels an annotation) enough sets to compact.
        #expect(pairs.count > 2 * LayerSweep.pairLimit)
        #expect(9000 * 6 > CanvasState.leastCompaction)
        for other in [canvas, painted] {
            #expect(try other.objects == swept.objects && other.categories == swept.categories)
            #expect(try other.objectOverlaps == pairs)
            #expect(try CanvasMarkingTests.rows(of: other) == CanvasMarkingTests.rows(of: swept))
        }
        #expect(try swept.objects.allSatisfy { $0.totals.voxels > 0 })
    }
}
