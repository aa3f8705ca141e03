import Foundation
import Testing
@testable import AiCOCO

/// `measure` reading a big file split among threads (`MeasureSplitPass`), and refusing
/// non-finite coordinates (with `convert --to nifti`).
@Suite("measure: split reading, non-finite coordinates")
struct MeasureSplitTests {
    /// A generated document of `bytes` (noisy or smooth, sections in `order`) in `directory`.
    static func generated(_ directory: URL, bytes: String, shape: String, order: String? = nil, seed: Int) throws -> String {
        let path = directory.appendingPathComponent("\(shape)-\(seed).json").path
        let result = try Tool.run(["generate", "--bytes", bytes, "--shape", shape, "--seed", "\(seed)", "-o", path]
                                  + (order.map { ["--order", $0] } ?? []))
        #expect(result.status == 0, "\(result.stderr)")
        return path
    }

    /// Every row, and the lists, of `input` measured with `threads` threads and `split`.
    static func measured(_ input: String, threads: Int, split: SplitOptions? = nil, memoryLimit: Int = 64 << 20)
        throws -> (rows: [SegmentationMeasurement.Slice], result: SegmentationMeasurement) {
        var measure = SegmentationMeasure(imageSize: (512, 512), parserOptions: DocumentParsing.Options(memoryLimit: memoryLimit))
        measure.threads = threads
        measure.split = split
        let result = try measure.measure(.file(input))
        var rows: [SegmentationMeasurement.Slice] = []
        let reader = try result.slices()
        while let row = try reader.next() { rows.append(row) }
        return (rows, result)
    }

    static func splitting(threads: Int, stretchBytes: Int) -> SplitOptions {
        var split = SplitOptions(threads: threads)
        split.stretchBytes = stretchBytes
        split.minimumBytes = 0
        return split
    }

    @Test("split among threads, in FLaVor's order and others, noisy and smooth: the split pass confirms every cut and gives the rows and totals of the one-thread read",
          arguments: [("noisy", nil), ("smooth", nil), ("noisy", "meta,annotations,objects,categories,regressions,images")] as [(String, String?)])
    func splitMatchesInOrder(shape: String, order: String?) throws {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try Self.generated(directory, bytes: "1M", shape: shape, order: order, seed: 5)
        // The split pass itself reads the file to the end (no fallback to the in-order read).
        var options = DocumentParsing.Options()
        options.validate = true
        let split = Self.splitting(threads: 3, stretchBytes: 32 << 10)
        let pass = MeasureSplitPass.pass(.file(input), options: options, split: split,
                                         makePass: { MeasurePass(spill: ExternalSorter(budget: MemoryBudget(limit: 64 << 20), indexed: false)) },
                                         progress: nil)
        #expect(pass != nil && pass!.segmented > 100 && pass!.annotations >= pass!.segmented)
        let (one, first) = try Self.measured(input, threads: 1)
        #expect(try one.count > 100 && first.objects.allSatisfy { $0.totals.voxels > 0 })
        for (threads, stretch, limit) in [(2, 32 << 10, 64 << 20), (3, 4 << 10, 16 << 10)] {
            let (rows, result) = try Self.measured(input, threads: threads, split: Self.splitting(threads: threads, stretchBytes: stretch),
                                                   memoryLimit: limit)
            #expect(rows == one, "\(threads) threads, stretches of \(stretch) bytes")
            #expect(try result.objects == first.objects && result.categories == first.categories)
            #expect(try result.objectOverlaps == first.objectOverlaps && result.categoryOverlaps == first.categoryOverlaps)
            #expect(result.annotations == first.annotations && result.segmentedAnnotations == first.segmentedAnnotations)
        }
        // The command line, split or not: the same bytes.
        let plain = try Tool.run(["measure", "--threads", "1", "--image-size", "512x512", input])
        let threaded = try Tool.run(["measure", "--threads", "2", "--split-bytes", "8k", "--image-size", "512x512", input])
        #expect(plain.status == 0 && plain.stdout == threaded.stdout && plain.stdout.count > 1000, "\(threaded.stderr)")
    }

    @Test("an invalid file split among threads: the split pass gives up and the in-order read reports the first problem, as with one thread")
    func invalidFallsBack() throws {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try Self.generated(directory, bytes: "600k", shape: "noisy", seed: 9)
        var text = try String(contentsOfFile: input, encoding: .utf8)
        // An annotation deep in the array refers to an image that does not exist.
        let marker = "\"image_id\":\""
        var ranges: [Range<String.Index>] = []
        var from = text.startIndex
        while let found = text.range(of: marker, range: from..<text.endIndex) { ranges.append(found); from = found.upperBound }
        let target = ranges[ranges.count * 2 / 3]
        text.replaceSubrange(target, with: "\"image_id\":\"nowhere")
        try Data(text.utf8).write(to: URL(fileURLWithPath: input))
        let one = try Tool.run(["measure", "--threads", "1", "--image-size", "512x512", input])
        let split = try Tool.run(["measure", "--threads", "2", "--split-bytes", "8k", "--image-size", "512x512", input])
        #expect(one.status == 1 && split.status == 1 && one.stdout.isEmpty && split.stdout.isEmpty)
        #expect(one.stderr == split.stderr && one.stderr.contains("nowhere"), "\(split.stderr)")
    }

    @Test("a split read that gives up (a problem, or a cut guessed inside a string) while the spill is past its memory limit: the in-order read, not a crash",
          arguments: ["problem", "trap"])
    func fallbackPastTheMemoryLimit(kind: String) throws {
        // The split pass's tables stayed members of the memory budget after it gave up; the
        // in-order read's first spill then read a destroyed `unowned` member: "Fatal error:
        // Attempted to read an unowned reference but object ... was already destroyed", exit 134
        // (a valid 20 MB file at the default limit and threads, here at --memory-limit 16k).
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try Self.generated(directory, bytes: "300k", shape: "noisy", seed: 9)
        var text = try String(contentsOfFile: input, encoding: .utf8)
        if kind == "problem" {
            let last = text.range(of: "\"image_id\":\"", options: .backwards)!
            text.replaceSubrange(last, with: "\"image_id\":\"nowhere")
        } else {
            // Valid: 50 annotations carry a string holding a record start.
            let parts = text.components(separatedBy: "\"iscrowd\":0")
            text = parts.enumerated().map { index, part in
                index == 0 ? part : (index <= 50 ? #""iscrowd":0,"note":"},{\"id\":\"x\"}""# : "\"iscrowd\":0") + part
            }.joined()
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: input))
        let options = ["measure", "--memory-limit", "16k", "--image-size", "512x512"]
        let one = try Tool.run(options + ["--threads", "1", input])
        let split = try Tool.run(options + ["--threads", "2", "--split-bytes", "20000", input])
        #expect(one.status == (kind == "problem" ? 1 : 0), "\(one.stderr)")
        #expect(split.status == one.status && split.stdout == one.stdout && split.stderr == one.stderr, "\(split.stderr.prefix(300))")
    }

    /// The smooth sample with one coordinate of one segmented annotation replaced by `value`.
    static func nonFinite(_ value: String, in directory: URL) throws -> (path: String, id: String) {
        var text = try String(contentsOfFile: MeasureTests.sample("flavor-seg3d-smooth.json"), encoding: .utf8)
        let start = text.range(of: "\"segmentation\":[[")!
        let number = text[start.upperBound...].prefix { $0 != "," }
        text.replaceSubrange(start.upperBound..<text.index(start.upperBound, offsetBy: number.count), with: value)
        // The annotation's id: the last "id" before its segmentation.
        let id = text[..<start.lowerBound].components(separatedBy: "{\"id\":\"").last!.prefix { $0 != "\"" }
        let path = directory.appendingPathComponent("nonfinite.json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return (path, String(id))
    }

    @Test("NaN, Infinity or -Infinity in a segmentation under --allow-nan: measure and convert --to nifti exit 1 naming the annotation, nothing written",
          arguments: ["NaN", "Infinity", "-Infinity"])
    func nonFiniteRefused(value: String) throws {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (path, id) = try Self.nonFinite(value, in: directory)
        #expect(!id.isEmpty && id.count < 40, "\(id)")
        for threads in [["--threads", "1"], ["--threads", "2", "--split-bytes", "4k"]] {
            let measured = try Tool.run(["measure", "--allow-nan", "--image-size", "512x512"] + threads + [path])
            #expect(measured.status == 1 && measured.stdout.isEmpty, "\(measured.stderr)")
            #expect(measured.stderr.contains("annotation \"\(id)\"") && measured.stderr.contains("NaN or infinite"), "\(measured.stderr)")
        }
        let volume = directory.appendingPathComponent("labels.nii").path
        let converted = try Tool.run(["convert", "--to", "nifti", "--allow-nan", "--image-size", "512x512", path, "-o", volume])
        #expect(converted.status == 1 && converted.stderr.contains("annotation \"\(id)\""), "\(converted.stderr)")
        #expect(!FileManager.default.fileExists(atPath: volume))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["nonfinite.json"])
        // The library says which annotation.
        var options = DocumentParsing.Options()
        options.allowNonFinite = true
        #expect(throws: SegmentationMeasure.NonFiniteCoordinate.self) {
            _ = try SegmentationMeasure(imageSize: (512, 512), parserOptions: options).measure(.file(path))
        }
        // Without --allow-nan the file is not JSON: a syntax problem, as before.
        let strict = try Tool.run(["measure", "--image-size", "512x512", path])
        #expect(strict.status == 1 && strict.stderr.contains("syntax"), "\(strict.stderr)")
    }

    @Test("the same file with finite coordinates under --allow-nan is measured as without it")
    func finiteUnderAllowNan() throws {
        let sample = MeasureTests.sample("flavor-seg3d-smooth.json")
        let plain = try Tool.run(["measure", "--image-size", "512x512", sample])
        let allowed = try Tool.run(["measure", "--allow-nan", "--image-size", "512x512", sample])
        #expect(plain.status == 0 && allowed.status == 0 && plain.stdout == allowed.stdout && plain.stdout.count > 1000)
    }
}
