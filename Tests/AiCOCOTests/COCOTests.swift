import Foundation
import Testing
@testable import AiCOCO

@Suite("COCO output")
struct COCOTests {
    static func annotation(segmentation: [[Double]]?, bbox: [BoundingBox]? = nil) -> AiAnnotation {
        AiAnnotation(id: "a", imageID: "i", objectID: "o", iscrowd: 0, bbox: bbox,
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

    @Test("a 1-point contour becomes its pixel's square")
    func onePoint() {
        var geometry = COCOGeometry()
        let built1 = geometry.build(Self.annotation(segmentation: [[178, 312]]))
        #expect(built1)
        #expect(Self.polygons(geometry) == [[178, 312, 179, 312, 179, 313, 178, 313]])
        #expect(geometry.x == 178 && geometry.y == 312 && geometry.width == 1 && geometry.height == 1)
        #expect(geometry.area == 1)
        #expect(geometry.pixelContours == 1)
    }

    @Test("a 2-point contour becomes the run of pixels: a rectangle, or a hexagon on a diagonal")
    func twoPoints() {
        var geometry = COCOGeometry()
        let built2 = geometry.build(Self.annotation(segmentation: [[10, 5, 13, 5]]))
        #expect(built2)
        #expect(Self.polygons(geometry) == [[10, 5, 14, 5, 14, 6, 10, 6]])
        #expect(geometry.width == 4 && geometry.height == 1 && geometry.area == 4)
        let built3 = geometry.build(Self.annotation(segmentation: [[3, 3, 0, 0]]))
        #expect(built3)
        #expect(Self.polygons(geometry) == [[0, 0, 1, 0, 4, 3, 4, 4, 3, 4, 0, 1]])
        #expect(geometry.area == 7)
        let built4 = geometry.build(Self.annotation(segmentation: [[0, 3, 3, 0]]))
        #expect(built4)
        #expect(Self.polygons(geometry) == [[0, 3, 3, 0, 4, 0, 4, 1, 1, 4, 0, 4]])
        #expect(geometry.x == 0 && geometry.y == 0 && geometry.width == 4 && geometry.height == 4)
    }

    @Test("a contour without area becomes one hull per step; contours with area pass unchanged")
    func areaLess() {
        var geometry = COCOGeometry()
        let flat: [Double] = [0, 0, 2, 0, 4, 0]
        let square: [Double] = [10, 10, 20, 10, 20, 20, 10, 20]
        let built5 = geometry.build(Self.annotation(segmentation: [square, flat]))
        #expect(built5)
        let polygons = Self.polygons(geometry)
        #expect(polygons.first == square)
        #expect(polygons.count == 4)
        #expect(polygons.allSatisfy { $0.count >= 8 && $0.count != 4 })
        #expect(geometry.pixelContours == 1)
        #expect(geometry.x == 0 && geometry.y == 0 && geometry.width == 20 && geometry.height == 20)
    }

    @Test("boxes alone become rectangle polygons; a box of no width is 1 pixel wide")
    func boxes() {
        var geometry = COCOGeometry()
        let built6 = geometry.build(Self.annotation(segmentation: nil, bbox: [BoundingBox(x1: 5, y1: 6, x2: 5, y2: 16)]))
        #expect(built6)
        #expect(Self.polygons(geometry) == [[5, 6, 6, 6, 6, 16, 5, 16]])
        #expect(geometry.width == 1 && geometry.height == 10)
        let built7 = geometry.build(Self.annotation(segmentation: nil, bbox: nil))
        #expect(!built7)
        let built8 = geometry.build(Self.annotation(segmentation: [], bbox: []))
        #expect(!built8)
    }

    @Test("pycocotools: annToMask and annToRLE accept every annotation of every sample; self-evaluation scores AP 1.0")
    func pycocotools() throws {
        let samples = ["flavor-seg2d.json", "flavor-seg3d-noisy.json", "flavor-seg3d-smooth.json", "flavor-detection.json",
                       "flavor-classification.json", "flavor-regression.json"].map { Paths.flavor.appendingPathComponent($0).path }
        let fixtures = ["segmentation-series.json", "detection.json", "extras.json", "minimal.json"].map(Paths.fixture)
        let script = Paths.root.appendingPathComponent("scripts/check_coco.py").path
        let result = try Tool.run(executable: "/usr/bin/env", [Paths.python, script, Tool.path] + samples + fixtures)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("check_coco: OK"))
        #expect(result.stdout.contains("flavor-seg3d-noisy.json: 706 annotations"), "\(result.stdout)")
    }
}
