import Foundation
import Testing
@testable import AiCOCO

// Narrow annotations (inside the image, at most 64 columns) are filled into row masks; those
// whose box meets no other's are kept aside and counted at the end of the slice, the others
// painted when a box meets them. The counts must be the run sweep's: small annotations scattered
// over a large image (most kept aside, some meeting: painted late), wide ones, ones with points
// outside and ones over most of the image among them, and slices with more annotations than are
// kept aside.
struct CanvasDeferralTests {
    static func document(seed: UInt64, perImage: [Int]) -> String {
        var numbers = CanvasMarkingTests.Numbers(state: seed)
        let objects = (0..<12).map { "o\($0)" }
        var annotations: [String] = []
        for (image, count) in perImage.enumerated() {
            for _ in 0..<count {
                var contours: [String] = []
                let kind = numbers.next(0...9)
                // Mostly narrow and inside; some wide (past 64 columns), some reaching outside, some
                // over most of the image (their masks soon past what a canvas keeps: boxes stand for them).
                let reach = kind == 0 ? 50 : kind == 2 ? 150 : 12
                let (cx, cy) = (numbers.next(0...199), numbers.next(0...149))
                for _ in 0..<numbers.next(1...2) {
                    var points: [Int] = []
                    for _ in 0..<numbers.next(1...10) {
                        var x = cx + numbers.next(-reach...reach), y = cy + numbers.next(-reach...reach)
                        if kind != 1 { (x, y) = (min(max(x, 0), 199), min(max(y, 0), 149)) }
                        points += [x, y]
                    }
                    contours.append("[" + points.map(String.init).joined(separator: ",") + "]")
                }
                let object = objects[numbers.next(0...(objects.count - 1))]
                annotations.append(PixelHostile.annotation(annotations.count, image: image, object: object, contours.joined(separator: ",")))
            }
        }
        return PixelHostile.document(images: perImage.indices.map { PixelHostile.image($0) }, annotations: annotations, objects: objects)
    }

    @Test("canvas with annotations kept aside counts as the run sweep", arguments: [1, 2, 3, 4] as [UInt64])
    func deferredMatchesSweep(seed: UInt64) throws {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("in.json").path
        try Data(Self.document(seed: seed, perImage: [1, 6, 20, 40, 90, 150]).utf8).write(to: URL(fileURLWithPath: file))
        let canvas = try SegmentationMeasure(imageSize: (200, 150)).measure(.file(file))
        var sweep = SegmentationMeasure(imageSize: (200, 150))
        sweep.paintsCanvas = false
        let swept = try sweep.measure(.file(file))
        let canvasObjectPairs = try canvas.objectOverlaps
        #expect(!canvasObjectPairs.isEmpty)
        #expect(try swept.objects == canvas.objects && swept.categories == canvas.categories)
        #expect(try swept.objectOverlaps == canvasObjectPairs)
        #expect(try swept.categoryOverlaps == canvas.categoryOverlaps)
        let canvasRows = try CanvasMarkingTests.rows(of: canvas)
        #expect(try CanvasMarkingTests.rows(of: swept) == canvasRows && !canvasRows.isEmpty)
    }

    @Test("row masks hold the union of runs (every length and place, within a word and across words)")
    func rowMaskSinkOrsRuns() {
        // Columns 10..<202: three words a row.
        for x0 in 10..<202 {
            for x1 in x0..<202 where x1 - x0 < 70 || (x1 - x0) % 13 == 0 {
                var masks = [UInt64](repeating: 0, count: 6)
                masks[3] = 0b1
                masks.withUnsafeMutableBufferPointer { masks in
                    var sink = RowMaskSink(masks: masks.baseAddress!, top: 5, left: 10, stride: 3)
                    sink.run(y: 5, from: x0, through: x1)
                    sink.run(y: 6, from: x0, through: x0)
                }
                var expected = [UInt64](repeating: 0, count: 6)
                for x in x0...x1 { expected[(x - 10) / 64] |= 1 << UInt64((x - 10) % 64) }
                expected[3] |= 0b1
                expected[3 + (x0 - 10) / 64] |= 1 << UInt64((x0 - 10) % 64)
                #expect(masks == expected, "run \(x0)...\(x1)")
            }
        }
    }
}
