import Testing
@testable import AiCOCO

// The scanner fills contours all inside the image on a fast path (crossings sorted into rows by
// counting, one-step edges giving one pixel, vertices the fill covers not given); one point
// outside sends the whole call down the general (clipping) path. A single-point contour outside
// the image gives no pixel and no edge, so adding one must leave the pixels as they are: the two
// paths must agree pixel for pixel.
struct ContourCrossingsTests {
    /// The pixels a sink was given (each once), as sorted flat indices.
    struct PixelSet: PixelRunSink {
        let width: Int
        var pixels = Set<Int>()
        mutating func run(y: Int, from x0: Int, through x1: Int) {
            for x in x0...x1 { pixels.insert(y * width + x) }
        }
    }

    static func pixels(_ contours: [[Int64]], width: Int, height: Int, scanner: inout ContourScanner) -> Set<Int> {
        let points = contours.flatMap { $0 }
        var ends: [Int] = []
        for contour in contours { ends.append((ends.last ?? 0) + contour.count) }
        var sink = PixelSet(width: width)
        points.withUnsafeBufferPointer { points in
            ends.withUnsafeBufferPointer { scanner.fillTogether(points: points, ends: $0, width: width, height: height, into: &sink) }
        }
        return sink.pixels
    }

    /// A contour of `count` points inside `width` x `height`: a walk of steps of at most `reach`
    /// pixels (FLaVor's chains through boundary pixel centres when `reach` is 1).
    static func walk(_ count: Int, reach: Int, width: Int, height: Int, state: inout UInt64) -> [Int64] {
        func below(_ bound: Int) -> Int { Int(splitMixNext(&state) % UInt64(bound)) }
        var x = below(width), y = below(height)
        var contour: [Int64] = []
        for _ in 0..<count {
            contour += [Int64(x), Int64(y)]
            x = min(max(x + below(2 * reach + 1) - reach, 0), width - 1)
            y = min(max(y + below(2 * reach + 1) - reach, 0), height - 1)
        }
        return contour
    }

    @Test("contours inside the image: the fast path gives the general path's pixels",
          arguments: [(reach: 1, seed: 1 as UInt64), (reach: 1, seed: 2), (reach: 3, seed: 3), (reach: 12, seed: 4)])
    func fastPathAsGeneral(reach: Int, seed: UInt64) {
        let (width, height) = (40, 30)
        var state = seed
        var scanner = ContourScanner()
        var differing = 0
        for round in 0..<300 {
            // One to three contours of 1 to 40 points (1- and 2-point contours, holes, crossings).
            let contourCount = 1 + Int(splitMixNext(&state) % 3)
            let contours = (0..<contourCount).map { _ in
                Self.walk(1 + Int(splitMixNext(&state) % 40), reach: reach, width: width, height: height, state: &state)
            }
            let fast = Self.pixels(contours, width: width, height: height, scanner: &scanner)
            let general = Self.pixels(contours + [[-5, -7]], width: width, height: height, scanner: &scanner)
            if fast != general {
                differing += 1
                Issue.record("round \(round): \(contours): fast only \(fast.subtracting(general).sorted().prefix(8)), general only \(general.subtracting(fast).sorted().prefix(8))")
            }
            if round < 40 { #expect(!fast.isEmpty) }
        }
        #expect(differing == 0)
    }

    @Test("a FLaVor-like ring with a hole: the fast path fills the ring, not the hole")
    func ringWithHole() {
        var scanner = ContourScanner()
        // A 9x9 square outline through pixel centres and a 3x3 one inside it: filled together,
        // the inner square's inside (pixel (4, 4)) stays empty, its boundary is drawn.
        func square(_ low: Int64, _ high: Int64) -> [Int64] {
            var points: [Int64] = []
            for x in low...high { points += [x, low] }
            for y in (low + 1)...high { points += [high, y] }
            for x in stride(from: high - 1, through: low, by: -1) { points += [x, high] }
            for y in stride(from: high - 1, to: low, by: -1) { points += [low, y] }
            return points
        }
        let pixels = Self.pixels([square(0, 8), square(3, 5)], width: 10, height: 10, scanner: &scanner)
        #expect(pixels.count == 81 - 1)
        #expect(!pixels.contains(4 * 10 + 4))
        #expect(pixels == Self.pixels([square(0, 8), square(3, 5), [-1, -1]], width: 10, height: 10, scanner: &scanner))
    }
}
