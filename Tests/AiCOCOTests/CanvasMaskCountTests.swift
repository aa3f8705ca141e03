import Foundation
import Testing
@testable import AiCOCO

// Slices whose annotations all stay in masks are counted from them (unions and ANDs of masks,
// no canvas painted); the counts must be the run sweep's: 2, 3 and 4 structures over one
// pixel, an object of two annotations, objects sharing categories (one object in two), masks
// across word boundaries, and slices that fall back to the canvas (a point outside the image,
// more annotations than masks keep, unions past the masks' budget).
struct CanvasMaskCountTests {
    static func square(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) -> String { "[\(x0),\(y0),\(x1),\(y0),\(x1),\(y1),\(x0),\(y1)]" }

    static func document() -> String {
        // Objects and their categories: o1 in two, o4 in two.
        let objectCategories = [["c0"], ["c0", "c1"], ["c1"], ["c2"], ["c0", "c2"]]
        var annotations: [String] = []
        func add(_ image: Int, _ object: Int, _ polygon: String) {
            annotations.append(PixelHostile.annotation(annotations.count, image: image, object: "o\(object)", polygon))
        }
        // Two structures over one pixel (4, 4).
        add(0, 0, square(0, 0, 4, 4))
        add(0, 1, square(4, 4, 8, 8))
        // Three over (70, 70), across a word boundary of the masks.
        add(1, 0, square(2, 62, 70, 70))
        add(1, 1, square(70, 70, 140, 80))
        add(1, 2, square(70, 60, 75, 70))
        // Four over (130, 20); o0 of two annotations that overlap.
        for image in [2, 3] {
            add(image, 0, square(60, 10, 130, 20))
            add(image, 0, square(125, 15, 140, 30))
            add(image, 2, square(130, 0, 150, 20))
            add(image, 3, square(100, 20, 130, 40))
            add(image, 4, square(130, 20, 131, 21))
            add(image, 1, "[5,5]")
        }
        // A point outside the image: the slice painted.
        add(3, 4, "[-5,100,20,100,20,120]")
        // More annotations than masks keep.
        for k in 0..<90 { add(4, k % 5, square(k * 5 % 190, k * 7 % 140, k * 5 % 190 + 6, k * 7 % 140 + 4)) }
        // Masks within their budget, but not with their unions: the slice painted at its end.
        for k in 0..<6 { add(5, k % 2, square(k, k, 199 - k, 149 - k)) }
        let objects = objectCategories.enumerated().map { index, categories in
            "{\"id\":\"o\(index)\",\"category_ids\":[\(categories.map { "\"\($0)\"" }.joined(separator: ","))],\"regressions\":null}"
        }
        let categories = (0..<3).map { "{\"id\":\"c\($0)\",\"name\":\"C\($0)\",\"supercategory_id\":null,\"color\":\"#ff0000\"}" }
        return "{\"images\":[\((0..<6).map { PixelHostile.image($0) }.joined(separator: ","))],\"annotations\":[\(annotations.joined(separator: ","))],"
            + "\"categories\":[\(categories.joined(separator: ","))],"
            + "\"regressions\":[],\"objects\":[\(objects.joined(separator: ","))],\"meta\":{\"category_ids\":null,\"regressions\":null}}\n"
    }

    @Test("counts from masks are the run sweep's (2, 3, 4 structures over a pixel, shared categories)")
    func maskCountsMatchSweep() throws {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("in.json").path
        try Data(Self.document().utf8).write(to: URL(fileURLWithPath: file))
        let canvas = try SegmentationMeasure(imageSize: (200, 150)).measure(.file(file))
        var sweep = SegmentationMeasure(imageSize: (200, 150))
        sweep.paintsCanvas = false
        let swept = try sweep.measure(.file(file))
        #expect(try swept.objects == canvas.objects && swept.categories == canvas.categories)
        #expect(try swept.objectOverlaps == canvas.objectOverlaps)
        #expect(try swept.categoryOverlaps == canvas.categoryOverlaps)
        let rows = try CanvasMarkingTests.rows(of: canvas)
        #expect(try CanvasMarkingTests.rows(of: swept) == rows)
        // Slice 0 by hand: two 25-pixel squares sharing one pixel; o1 in c0 and c1.
        let first = rows.filter { $0.imageID == "i0" }.map { "\($0.scope) \($0.first) \($0.second) \($0.pixels)" }.sorted()
        #expect(first == ["category 0 0 49", "category 1 0 25", "categoryOverlap 0 1 25", "object 0 0 25", "object 1 0 25",
                          "objectOverlap 0 1 1"], "\(first)")
        // Four structures over (130, 20) on slices 2 and 3: every pair shares pixels.
        let pairs = Set(rows.filter { $0.imageID == "i2" && $0.scope == .objectOverlap }.map { [$0.first, $0.second] })
        #expect(pairs.isSuperset(of: [[0, 2], [0, 3], [0, 4], [2, 3], [2, 4], [3, 4]]), "\(pairs)")
    }
}
