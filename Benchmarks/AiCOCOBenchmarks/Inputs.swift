import AiCOCO
import AiCOCOGen

/// The inputs every benchmark reads, generated once at start-up (nothing big is committed).
final class Inputs: @unchecked Sendable {
    /// About 200 MB of whole-series segmentation output in the real (noisy) shape: ~1,500 small
    /// annotations per MB, many 1- and 2-point contours.
    let segmentation: [UInt8]
    let segmentationSummary: DocumentGenerator.Summary
    /// About 200 MB of the synthetic long-contour shape (few large annotations).
    let long: [UInt8]
    let longSummary: DocumentGenerator.Summary
    /// The same kind of document pretty-printed (indent 2, one number per line).
    let pretty: [UInt8]
    /// About 100 MB of detection output: many small annotations with a bbox and no polygon.
    let detection: [UInt8]
    /// About 20 MB, for the Foundation JSONDecoder baseline (which needs the whole document).
    let small: [UInt8]

    static let shared = Inputs()

    private init() {
        let megabytes = Int(environmentValue("AICOCO_BENCH_MB") ?? "") ?? 200
        (segmentation, segmentationSummary) = Self.generate(bytes: megabytes << 20, pretty: false, seed: 1)
        (long, longSummary) = Self.generate(bytes: megabytes << 20, pretty: false, seed: 1, shape: .long)
        pretty = Self.generate(bytes: megabytes << 20, pretty: true, seed: 2).bytes
        detection = Self.detectionDocument(bytes: (megabytes / 2) << 20)
        small = Self.generate(bytes: 20 << 20, pretty: false, seed: 3).bytes
    }

    static func generate(bytes: Int, pretty: Bool, seed: UInt64,
                         shape: DocumentGenerator.Options.Shape = .noisy) -> (bytes: [UInt8], summary: DocumentGenerator.Summary) {
        var output: [UInt8] = []
        output.reserveCapacity(bytes + bytes / 8)
        var generator = DocumentGenerator(options: DocumentGenerator.Options(targetBytes: bytes, seed: seed, pretty: pretty,
                                                                            shape: shape))
        let summary = generator.generate { output.append(contentsOf: $0) }
        return (output, summary)
    }

    /// A detection output: one object (with a confidence) per box, boxes spread over 1,000 images.
    static func detectionDocument(bytes target: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(target + 1 << 20)
        func id(_ kind: Character, _ n: Int) -> String {
            let digits = String(n)
            return String(kind) + String(repeating: "0", count: 20 - digits.count) + digits
        }
        out.append(contentsOf: #"{"images":["#.utf8)
        for i in 0..<1000 {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"id":"\#(id("i", i))","file_name":"slice_\#(i).dcm","index":\#(i),"category_ids":null,"regressions":null}"#.utf8)
        }
        out.append(contentsOf: #"],"categories":[{"id":"\#(id("c", 0))","name":"Nodule","supercategory_id":null}],"regressions":[],"annotations":["#.utf8)
        var count = 0
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        // Annotations take about 85% of the bytes, objects the rest.
        while out.count < target * 85 / 100 {
            if count > 0 { out.append(UInt8(ascii: ",")) }
            let x = next() % 480, y = next() % 480
            out.append(contentsOf: #"{"id":"\#(id("a", count))","image_id":"\#(id("i", count % 1000))","object_id":"\#(id("o", count))","iscrowd":0,"bbox":[[\#(x),\#(y),\#(x + 4 + next() % 28),\#(y + 4 + next() % 28)]],"segmentation":null}"#.utf8)
            count += 1
        }
        out.append(contentsOf: #"],"objects":["#.utf8)
        for n in 0..<count {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"id":"\#(id("o", n))","category_ids":["\#(id("c", 0))"],"regressions":null,"confidence":0.\#(50 + next() % 50)}"#.utf8)
        }
        out.append(contentsOf: #"],"meta":{"category_ids":null,"regressions":null}}"#.utf8)
        return out
    }
}

func environmentValue(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}

#if canImport(Glibc)
import Glibc
#endif
