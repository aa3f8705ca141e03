import Foundation
import Testing
@testable import AiCOCO

@Suite("COCO output")
struct COCOTests {
    static func annotation(segmentation: [[Double]]?, bbox: [BoundingBox]? = nil) -> Annotation {
        Annotation(id: "a", imageID: "i", objectID: "o", iscrowd: 0, bbox: bbox,
                     segmentation: segmentation.map { Polygons($0) }, extra: [])
    }

    static func polygons(_ geometry: COCOGeometry) -> [[Double]] {
        var result: [[Double]] = []
        var start = 0
        for end in geometry.ends {
            result.append(Array(geometry.coordinates[start..<end]))
            start = end
        }
        return result
    }

    /// The segmentation `COCOMask` writes for `contours` in a `width` x `height` image, as JSON
    /// text, with the pixel count and box.
    static func mask(_ contours: [[Double]], width: Int, height: Int, form: COCOConverter.SegmentationForm,
                     maxPixels: Int = 1 << 20) throws -> (text: String, area: Int, box: [Int]) {
        var mask = COCOMask(maxPixels: maxPixels)
        let polygons = Polygons(contours)
        let any = try polygons.coordinates.withUnsafeBufferPointer { try mask.fill($0, ends: polygons.ends, width: width, height: height) }
        let json = JSONGenerator(pretty: false)
        if any { try mask.write(form, to: json) }
        var text: [UInt8] = []
        try json.drain { text.append(contentsOf: $0) }
        return (String(decoding: text, as: UTF8.self), any ? mask.area : 0, [mask.box.x, mask.box.y, mask.box.width, mask.box.height])
    }

    @Test("a contour through pixel centres becomes the outline of its pixels' outer corners")
    func outlines() throws {
        // A 1-point contour is its pixel; a 3 x 3 square through centres covers 9 pixels.
        #expect(try Self.mask([[178, 312]], width: 512, height: 512, form: .polygon)
                == ("[[178,312,179,312,179,313,178,313]]", 1, [178, 312, 1, 1]))
        #expect(try Self.mask([[10, 10, 12, 10, 12, 12, 10, 12]], width: 512, height: 512, form: .polygon)
                == ("[[10,10,13,10,13,13,10,13]]", 9, [10, 10, 3, 3]))
        // A diagonal 2-point contour: a staircase of 4 pixels.
        let diagonal = try Self.mask([[0, 0, 3, 3]], width: 8, height: 8, form: .polygon)
        #expect(diagonal.area == 4 && diagonal.box == [0, 0, 4, 4])
        // Pixels that meet at a corner only: one outline each (each stays with its own pixel).
        #expect(diagonal.text == "[[0,0,1,0,1,1,0,1],[1,1,2,1,2,2,1,2],[2,2,3,2,3,3,2,3],[3,3,4,3,4,4,3,4]]")
        // Two contours apart: two polygons.
        #expect(try Self.mask([[1, 1], [5, 5]], width: 8, height: 8, form: .polygon).text
                == "[[1,1,2,1,2,2,1,2],[5,5,6,5,6,6,5,6]]")
    }

    @Test("a mask with a hole: one polygon, the hole entered and left along the same cut")
    func hole() throws {
        // Four 1-pixel-wide sides of a 3 x 3 ring: the centre pixel stays empty.
        let ring: [[Double]] = [[0, 0, 2, 0], [0, 2, 2, 2], [0, 0, 0, 2], [2, 0, 2, 2]]
        let result = try Self.mask(ring, width: 4, height: 4, form: .polygon)
        #expect(result.area == 8 && result.box == [0, 0, 3, 3])
        #expect(result.text == "[[0,0,3,0,3,3,0,3,1,2,2,2,2,1,1,1,1,2,0,3]]")
    }

    @Test("contours are clipped to the image; nothing inside it is no pixel; a box past the limit throws")
    func clipping() throws {
        #expect(try Self.mask([[-5, -5, 2, -5, 2, 2, -5, 2]], width: 10, height: 10, form: .polygon)
                == ("[[0,0,3,0,3,3,0,3]]", 9, [0, 0, 3, 3]))
        #expect(try Self.mask([[20, 20, 30, 20, 30, 30]], width: 10, height: 10, form: .polygon).area == 0)
        #expect(try Self.mask([[-1e9, -1e9, 1e9, 5, 5, 1e9]], width: 10, height: 10, form: .rle).area > 0)
        #expect(throws: COCOConverter.MaskTooLarge.self) { try Self.mask([[0, 0, 99, 0, 99, 99]], width: 100, height: 100, form: .rle, maxPixels: 1000) }
    }

    @Test("RLE: pycocotools' compressed counts, column by column, escaped for JSON")
    func rle() throws {
        // pycocotools.mask.encode of the same masks.
        #expect(try Self.mask([[0, 0], [2, 2]], width: 3, height: 3, form: .rle).text == #"{"size":[3,3],"counts":"0170"}"#)
        // Columns 3-19 of rows 5-29 but (8, 10) and (8, 11), and pixel (29, 39), in 30 x 40; its
        // counts hold a backslash, escaped in JSON.
        let contours: [[Double]] = [[3, 5, 7, 5, 7, 29, 3, 29], [8, 5, 8, 9], [8, 12, 8, 29], [9, 5, 19, 5, 19, 29, 9, 29], [29, 39]]
        let result = try Self.mask(contours, width: 30, height: 40, form: .rle)
        #expect(result.text == #"{"size":[40,30],"counts":"m3i0?00000000\\OC==700000000000000000000Z<XO"}"#)
        #expect(result.area == 17 * 25 - 2 + 1 && result.box == [3, 5, 27, 35])
    }

    @Test("boxes alone become rectangle polygons; a box of no width is 1 pixel wide")
    func boxes() {
        var geometry = COCOGeometry()
        let built6 = geometry.build(boxes: [BoundingBox(x1: 5, y1: 6, x2: 5, y2: 16)], segmentation: false)
        #expect(built6)
        #expect(Self.polygons(geometry) == [[5, 6, 6, 6, 6, 16, 5, 16]])
        #expect(geometry.width == 1 && geometry.height == 10 && geometry.area == 10)
        let built7 = geometry.build(boxes: nil, segmentation: false)
        #expect(!built7)
        let built8 = geometry.build(boxes: [], segmentation: true)
        #expect(!built8)
        let built9 = geometry.build(boxes: [BoundingBox(x1: 1, y1: 2, x2: 3, y2: 4)], segmentation: true)
        #expect(built9 && geometry.ends.isEmpty && geometry.width == 2)
    }

    @Test("pycocotools, both forms: annToMask of every annotation equals cv2.fillPoly of its contours, area and bbox are its pixels'; self-evaluation AP 1.0")
    func pycocotools() throws {
        let samples = ["flavor-seg2d.json", "flavor-seg3d-noisy.json", "flavor-seg3d-smooth.json", "generations/seg3d-background.json",
                       "flavor-detection.json", "flavor-classification.json", "flavor-regression.json"]
            .map { Paths.flavor.appendingPathComponent($0).path }
        let fixtures = ["segmentation-series.json", "detection.json", "extras.json", "minimal.json"].map(Paths.fixture)
        let script = Paths.root.appendingPathComponent("scripts/check_coco.py").path
        let result = try Tool.run(executable: "/usr/bin/env", [Paths.python, script, Tool.path] + samples + fixtures)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("check_coco: OK"))
        for (sample, count) in [("flavor-seg2d.json", 11), ("flavor-seg3d-noisy.json", 706), ("flavor-seg3d-smooth.json", 539),
                                ("seg3d-background.json", 96)] {
            for form in ["polygon", "rle"] {
                let line = result.stdout.split(separator: "\n").first { $0.contains("/\(sample) (\(form)): ") } ?? ""
                #expect(line.contains(": \(count) annotations, ")
                        && line.hasSuffix(" \(count) of \(count) masks equal to cv2.fillPoly, bbox AP 1.0000, segm AP 1.0000"),
                        "\(sample) \(form): \(result.stdout)")
            }
        }
    }
}
