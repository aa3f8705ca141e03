import Testing
import AiCOCO

/// The two ways the fill of contours inside the image places crossings (a row's slots, or
/// counted into rows when a row has more crossings than slots, or the rows are many), against
/// cv2.fillPoly.
@Suite("Rasterization matches cv2.fillPoly: many crossings a row, many rows")
struct RasterCrossingsTests {
    @Test("combs (more crossings a row than its slots), long random contours in small and tall images",
          .enabled(if: RasterPython.available, "opencv-python-headless, numpy or nibabel is not installed (pip install -r scripts/requirements.txt)"))
    func manyCrossings() throws {
        // A comb of 50 teeth: 100 crossings on each row of the teeth (past the 64 slots of a row).
        var comb: [Double] = []
        for tooth in 0..<50 {
            comb += [Double(3 * tooth + 2), 60, Double(3 * tooth + 3), 5]
        }
        comb += [160, 66, 1, 66]
        // A comb of 20 teeth (40 crossings a row: within the slots), slanted teeth.
        var slanted: [Double] = []
        for tooth in 0..<20 {
            slanted += [Double(7 * tooth + 1), 64, Double(7 * tooth + 6), 3]
        }
        slanted += [150, 67]
        var contours = [comb, slanted]
        var generator = SplitMix(seed: 29)
        for round in 0..<40 {
            let points = 20 + Int(generator.next() % 100)
            var contour: [Double] = []
            for _ in 0..<points {
                contour.append(Double(generator.next() % 170))
                contour.append(Double(generator.next() % UInt64(round % 2 == 0 ? 69 : 8)))
            }
            contours.append(contour)
        }
        try RasterTests.compare(contours, width: 170, height: 69)
        // Tall: a contour's rows times its slots past what slots hold (the counting path).
        var tall: [[Double]] = []
        for _ in 0..<6 {
            var contour: [Double] = []
            for _ in 0..<90 {
                contour.append(Double(generator.next() % 40))
                contour.append(Double(generator.next() % 700))
            }
            tall.append(contour)
        }
        tall.append([1, 1, 38, 698, 20, 699, 0, 350])
        try RasterTests.compare(tall, width: 40, height: 700)
    }
}
