import Foundation
import Testing
@testable import AiCOCO

// The canvas marks an annotation's pixels, then paints each marked stretch once (eight pixels at
// a time where it can); its counts must be the run sweep's, which sorts the same contours' runs
// instead. Random annotations of several objects, overlapping, wide (long stretches) and narrow,
// some with points outside the image (the scanner's clipping path) and some all inside.
struct CanvasMarkingTests {
    /// A generator of the same numbers on every run (SplitMix64).
    struct Numbers {
        var state: UInt64
        mutating func next(_ range: ClosedRange<Int>) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return range.lowerBound + Int(z % UInt64(range.count))
        }
    }

    static func document(seed: UInt64) -> String {
        var numbers = Numbers(state: seed)
        let objects = ["o0", "o1", "o2", "o3", "o4"]
        var annotations: [String] = []
        for image in 0..<4 {
            for _ in 0..<14 {
                var contours: [String] = []
                let inside = numbers.next(0...1) == 0
                for _ in 0..<numbers.next(1...3) {
                    let (cx, cy) = (numbers.next(0...63), numbers.next(0...47))
                    let (rx, ry) = (numbers.next(0...30), numbers.next(0...20))
                    var points: [Int] = []
                    for _ in 0..<numbers.next(1...12) {
                        var x = cx + numbers.next(-rx...rx), y = cy + numbers.next(-ry...ry)
                        if inside { (x, y) = (min(max(x, 0), 63), min(max(y, 0), 47)) }
                        points += [x, y]
                    }
                    contours.append("[" + points.map(String.init).joined(separator: ",") + "]")
                }
                let object = objects[numbers.next(0...(objects.count - 1))]
                annotations.append(PixelHostile.annotation(annotations.count, image: image, object: object, contours.joined(separator: ",")))
            }
        }
        return PixelHostile.document(images: (0..<4).map { PixelHostile.image($0) }, annotations: annotations, objects: objects)
    }

    @Test("canvas and run sweep count the same pixels and overlaps", arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func canvasMatchesSweep(seed: UInt64) throws {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("in.json").path
        try Data(Self.document(seed: seed).utf8).write(to: URL(fileURLWithPath: file))
        let canvas = try SegmentationMeasure(imageSize: (64, 48)).measure(.file(file))
        var sweep = SegmentationMeasure(imageSize: (64, 48))
        sweep.paintsCanvas = false
        let swept = try sweep.measure(.file(file))
        let (canvasObjectPairs, sweptObjectPairs) = (try canvas.objectOverlaps, try swept.objectOverlaps)
        #expect(try canvas.objects.allSatisfy { $0.totals.voxels > 0 } && !canvasObjectPairs.isEmpty)
        #expect(try swept.objects == canvas.objects && swept.categories == canvas.categories)
        #expect(sweptObjectPairs == canvasObjectPairs)
        #expect(try swept.categoryOverlaps == canvas.categoryOverlaps)
        let canvasRows = try Self.rows(of: canvas)
        #expect(try Self.rows(of: swept) == canvasRows && !canvasRows.isEmpty)
    }

    @Test("a marked run marks its pixels only (every length and place on a row), and widens the row's extent")
    func markSinkMarksRuns() {
        let width = 40
        var cells = [UInt32](repeating: 0, count: 2 * width)
        var low: [Int32] = [Int32.max, Int32.max], high: [Int32] = [Int32.min, Int32.min]
        for x0 in 0..<width {
            for x1 in x0..<width {
                for index in cells.indices { cells[index] = UInt32(index % 7) }
                (low[1], high[1]) = (Int32.max, Int32.min)
                cells.withUnsafeMutableBufferPointer { cells in
                    low.withUnsafeMutableBufferPointer { low in
                        high.withUnsafeMutableBufferPointer { high in
                            var sink = CanvasMarkSink(cells: cells.baseAddress!, width: width, low: low.baseAddress!, high: high.baseAddress!)
                            sink.run(y: 1, from: x0, through: x1)
                        }
                    }
                }
                let marked = cells.indices.filter { cells[$0] & canvasMark != 0 }
                #expect(marked == Array(width + x0...width + x1), "run \(x0)...\(x1)")
                #expect(cells.indices.allSatisfy { cells[$0] & ~canvasMark == UInt32($0 % 7) })
                #expect(low[1] == Int32(x0) && high[1] == Int32(x1) && low[0] == Int32.max)
            }
        }
    }

    /// The rows of a measurement's slices, in order.
    static func rows(of measurement: SegmentationMeasurement) throws -> [SegmentationMeasurement.Slice] {
        var list: [SegmentationMeasurement.Slice] = []
        let slices = try measurement.slices()
        while let row = try slices.next() { list.append(row) }
        return list
    }
}
