import Foundation
import Testing
import AiCOCO

/// The Python of the raster cross-checks (`Paths.python`) and whether it has their packages.
enum RasterPython {
    static var interpreter: String { Paths.python.hasPrefix("/") ? Paths.python : "/usr/bin/env" }
    static var prefix: [String] { Paths.python.hasPrefix("/") ? [] : [Paths.python] }
    static let script = Paths.root.appendingPathComponent("scripts/raster_reference.py").path

    /// True when opencv-python-headless, numpy and nibabel import.
    static let available: Bool = {
        guard let result = try? Tool.run(executable: interpreter, prefix + ["-c", "import cv2, numpy, nibabel"]) else { return false }
        return result.status == 0
    }()

    static func run(_ arguments: [String]) throws -> Tool.Result {
        try Tool.run(executable: interpreter, prefix + [script] + arguments)
    }
}

@Suite("Rasterization matches cv2.fillPoly")
struct RasterTests {
    /// Pixels one contour fills, as sorted flat indices.
    static func ourPixels(_ contour: [Double], width: Int, height: Int) -> [Int32] {
        var rasterizer = PolygonRasterizer(width: width, height: height)
        var mask = [UInt8](repeating: 0, count: width * height)
        mask.withUnsafeMutableBufferPointer { pixels in
            contour.withUnsafeBufferPointer { rasterizer.fill(contour: $0, value: 1, into: pixels) }
        }
        // Only the rows the contour spans can hold pixels.
        let ys = stride(from: 1, to: contour.count, by: 2).map { Int(contour[$0].rounded()) }
        let first = max(0, ys.min() ?? 0), last = min(height - 1, ys.max() ?? -1)
        guard first <= last else { return [] }
        var pixels: [Int32] = []
        mask.withUnsafeBufferPointer { mask in
            for index in (first * width)..<((last + 1) * width) where mask[index] != 0 { pixels.append(Int32(index)) }
        }
        return pixels
    }

    /// cv2.fillPoly's pixels for each contour.
    static func openCVPixels(_ contours: [[Double]], width: Int, height: Int) throws -> [[Int32]] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aicoco-raster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = directory.appendingPathComponent("contours.json"), out = directory.appendingPathComponent("masks.bin")
        let json = try JSONSerialization.data(withJSONObject: ["width": width, "height": height, "contours": contours])
        try json.write(to: spec)
        let result = try RasterPython.run(["contours", spec.path, out.path])
        #expect(result.status == 0, "\(result.stderr)")
        let bytes = try Data(contentsOf: out)
        var values = [Int32](repeating: 0, count: bytes.count / 4)
        _ = values.withUnsafeMutableBytes { bytes.copyBytes(to: $0) }
        var masks: [[Int32]] = []
        var position = 0
        while position < values.count {
            let count = Int(values[position])
            masks.append(Array(values[(position + 1)..<(position + 1 + count)]))
            position += 1 + count
        }
        return masks
    }

    static func compare(_ contours: [[Double]], width: Int, height: Int) throws {
        let expected = try openCVPixels(contours, width: width, height: height)
        try #require(expected.count == contours.count)
        var mismatches = 0
        for (contour, reference) in zip(contours, expected) {
            let ours = ourPixels(contour, width: width, height: height)
            if ours != reference {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record("contour \(contour.map { Int($0) }): ours \(ours.count) pixels, cv2 \(reference.count); only ours \(Set(ours).subtracting(reference).sorted().prefix(8)), only cv2 \(Set(reference).subtracting(ours).sorted().prefix(8))")
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(contours.count) contours differ from cv2.fillPoly")
    }

    @Test("hand-picked shapes: points, lines, triangles, concave, self-crossing, outside the image",
          .enabled(if: RasterPython.available, "opencv-python-headless, numpy or nibabel is not installed (pip install -r scripts/requirements.txt)"))
    func handPicked() throws {
        let contours: [[Double]] = [
            [5, 5], [0, 0], [39, 29], [5, 5, 5, 5], [2, 3, 17, 9], [17, 9, 2, 3], [3, 20, 3, 2], [1, 1, 30, 1],
            [2, 2, 20, 2, 11, 15], [2, 2, 20, 2, 20, 20, 2, 20], [2, 2, 20, 20, 20, 2, 2, 20],
            [5, 5, 30, 8, 15, 12, 28, 25, 4, 20], [10, 1, 13, 9, 21, 10, 14, 15, 16, 24, 10, 18, 4, 23, 6, 14, 0, 9, 7, 8],
            [-5, -5, 50, 10, 10, 40], [-10, 15, 60, 15], [35, -3, 45, 12, 30, 40], [20, 28, 25, 35, 15, 35],
            [-20, -20, -5, -5, -20, -5], [100, 100], [3, 3, 9, 3, 9, 3, 3, 3], [1, 1, 2, 2, 3, 1, 4, 2, 5, 1],
            [10.4, 10.6, 20.5, 11.5, 15.49, 22.51], [7, 7, 8],
        ]
        try Self.compare(contours, width: 40, height: 30)
    }

    @Test("random contours, in and across the image's edges",
          .enabled(if: RasterPython.available, "opencv-python-headless, numpy or nibabel is not installed (pip install -r scripts/requirements.txt)"))
    func random() throws {
        var generator = SplitMix(seed: 13)
        var contours: [[Double]] = []
        for round in 0..<600 {
            let points = 1 + Int(generator.next() % 14)
            let spread = round % 5 == 0 ? 2000 : round % 3 == 0 ? 70 : 44
            var contour: [Double] = []
            for _ in 0..<points {
                contour.append(Double(Int(generator.next() % UInt64(spread))) - Double(spread - 40) / 2)
                contour.append(Double(Int(generator.next() % UInt64(spread))) - Double(spread - 30) / 2)
            }
            contours.append(contour)
        }
        try Self.compare(contours, width: 40, height: 30)
    }

    @Test("every contour of the real FLaVor segmentation samples",
          .enabled(if: RasterPython.available, "opencv-python-headless, numpy or nibabel is not installed (pip install -r scripts/requirements.txt)"))
    func realContours() throws {
        var contours: [[Double]] = []
        for name in ["flavor/flavor-seg3d-noisy.json", "flavor/flavor-seg3d-smooth.json", "flavor/flavor-seg2d.json"] {
            for case .annotation(let annotation) in try readRecords(.file(Paths.fixture(name))) {
                for polygon in annotation.segmentation ?? Polygons() { contours.append(Array(polygon)) }
            }
        }
        #expect(contours.count > 3000)
        #expect(contours.contains { $0.count == 2 } && contours.contains { $0.count == 4 })
        try Self.compare(contours, width: 512, height: 512)
    }

    @Test("the contours of an annotation are filled together, as one cv2.fillPoly call; area counts what fill sets")
    func togetherAndArea() throws {
        var rasterizer = PolygonRasterizer(width: 20, height: 10)
        // Two overlapping squares and a lone point, filled together: where the squares overlap,
        // the rows between their crossings pair up even-odd, leaving a hole inside the boundaries
        // (cv2.fillPoly(m, [a, b, c], 7) gives these 77 pixels, with (6, 5) empty).
        let polygons = Polygons([[1, 1, 8, 1, 8, 8, 1, 8], [5, 3, 12, 3, 12, 6, 5, 6], [18, 9]])
        var slice = [UInt8](repeating: 0, count: 200)
        rasterizer.fill(polygons, value: 7, into: &slice)
        #expect(slice[5 * 20 + 6] == 0)      // inside both squares: the hole
        #expect(slice[5 * 20 + 5] == 7)      // on the second square's boundary
        #expect(slice[9 * 20 + 18] == 7)     // the point
        #expect(slice[0] == 0)
        let filled = slice.filter { $0 == 7 }.count
        #expect(filled == 77)
        #expect(rasterizer.area(of: polygons) == filled)
        // The scratch mask is cleared between calls.
        #expect(rasterizer.area(of: Polygons([[0, 0]])) == 1)
        #expect(rasterizer.area(of: Polygons([[-5, -5]])) == 0)
        var wide = [UInt16](repeating: 0, count: 200)
        rasterizer.fill(polygons, value: 300, into: &wide)
        #expect(wide.filter { $0 == 300 }.count == filled)
    }
}

/// A small deterministic generator (tests must not depend on the system's randomness).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 { splitMixNext(&state) }
}
