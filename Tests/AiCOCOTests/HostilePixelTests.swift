import Foundation
import Testing

// Issue 20's hostile cases for the pixel commands (measure, convert --to nifti, render, and
// convert --to coco, which fills the same contours), each run under /usr/bin/time and
// `timeout` (ThirdRound.run): the exit status, the message, no abort, peak RSS under 64 MiB, and
// nothing left in the run's directory (its TMPDIR too). Time (2x the input, at most 2.2x the
// time) is checked at full scale by scripts/hostile-pixels.sh with instruction counts, not here.

enum PixelHostile {
    static let maxRSSKiB = 64 * 1024

    static func image(_ number: Int, width: Int? = nil, height: Int? = nil) -> String {
        let size = width.map { ",\"width\":\($0),\"height\":\(height ?? $0)" } ?? ""
        return "{\"id\":\"i\(number)\",\"file_name\":\"\(number).dcm\",\"index\":\(number),\"category_ids\":null,\"regressions\":null\(size)}"
    }

    static func annotation(_ number: Int, image: Int, object: String = "o", _ polygon: String) -> String {
        "{\"id\":\"a\(number)\",\"image_id\":\"i\(image)\",\"object_id\":\"\(object)\",\"iscrowd\":0,\"bbox\":null,\"segmentation\":[\(polygon)]}"
    }

    static func document(images: [String], annotations: [String], objects: [String] = ["o"]) -> String {
        let objectRecords = objects.map { "{\"id\":\"\($0)\",\"category_ids\":[\"c\"],\"regressions\":null}" }
        return "{\"images\":[\(images.joined(separator: ","))],\"annotations\":[\(annotations.joined(separator: ","))],"
            + "\"categories\":[{\"id\":\"c\",\"name\":\"Organ\",\"supercategory_id\":null,\"color\":\"#ff0000\"}],"
            + "\"regressions\":[],\"objects\":[\(objectRecords.joined(separator: ","))],\"meta\":{\"category_ids\":null,\"regressions\":null}}\n"
    }

    /// A document `validate` rejects, by `kind`: "odd" (an odd-length polygon), "duplicate" (an
    /// annotation id used twice) or else a dangling reference (an object that does not exist).
    static func invalidDocument(_ kind: String) -> String {
        var annotations = [annotation(0, image: 0, "[1,1,5,1,5,5]")]
        switch kind {
        case "odd": annotations.append(annotation(1, image: 0, "[1,1,5,1,5]"))
        case "duplicate": annotations.append(annotation(0, image: 0, "[1,1,5,1,5,5]"))
        default: annotations.append(annotation(1, image: 0, object: "nowhere", "[1,1,5,1,5,5]"))
        }
        return document(images: [image(0, width: 8)], annotations: annotations)
    }

    /// Writes `text` as `in.json` in a new directory; the directory.
    static func directory(with text: String) throws -> String {
        let directory = try ThirdRound.directory()
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/in.json"))
        return directory
    }

    /// `aicoco ARGUMENTS` in `directory`, with TMPDIR there too.
    static func run(_ arguments: String, in directory: String) throws -> ThirdRound.Run {
        try ThirdRound.run(arguments, prefix: "TMPDIR='\(directory)'", in: directory)
    }

    /// The run exited with `status` by itself (no abort, no signal, no timeout), in bounded
    /// memory, with `message` on standard error when given.
    static func expect(_ run: ThirdRound.Run, status: Int32, message: String? = nil, _ comment: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status == status, "\(comment): exit \(run.status): \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.rssKiB > 0 && run.rssKiB < maxRSSKiB, "\(comment): peak RSS \(run.rssKiB) KiB", sourceLocation: sourceLocation)
        #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("failed to allocate"), "\(comment): \(run.stderr)",
                sourceLocation: sourceLocation)
        if let message {
            #expect(run.stderr.contains(message), "\(comment): \(run.stderr)", sourceLocation: sourceLocation)
        }
    }

    /// The files of `directory` besides the input and `kept`: none may be left.
    static func expectNothingLeft(in directory: String, keeping kept: [String] = [], _ comment: String,
                                  sourceLocation: SourceLocation = #_sourceLocation) {
        let left = ThirdRound.contents(directory).filter { $0 != "in.json" && !kept.contains($0) }
        #expect(left.isEmpty, "\(comment): left \(left)", sourceLocation: sourceLocation)
    }
}

@Suite("Hostile input for the pixel commands (issue 20): exit 1 or 2 with a message, no abort, under 64 MiB")
struct HostilePixelTests {
    typealias H = PixelHostile

    @Test("a 600-byte file with width and height 999999999: measure and the COCO masks work, a contour across it and the NIfTI volume are clear errors (exit 2), render draws it")
    func hugeImage() throws {
        let text = H.document(images: [H.image(0, width: 999_999_999)], annotations: [H.annotation(0, image: 0, "[0,0,9,0,9,9,0,9]")])
        #expect(text.utf8.count < 600)
        let directory = try H.directory(with: text)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let measured = try H.run("measure in.json", in: directory)
        H.expect(measured, status: 0, "measure")
        #expect(measured.stdout.contains("object,o,Organ,,,,,100,,,"), "\(measured.stdout)")
        let nifti = try H.run("convert --to nifti -o v.nii.gz in.json", in: directory)
        H.expect(nifti, status: 2, message: "--memory-limit", "convert --to nifti")
        H.expectNothingLeft(in: directory, "convert --to nifti")
        let coco = try H.run("convert --to coco --segmentation rle in.json", in: directory)
        H.expect(coco, status: 0, "convert --to coco")
        #expect(coco.stdout.contains("\"area\":100"), "\(coco.stdout.prefix(600))")
        let render = try H.run("render --index 0 -o r.svg in.json", in: directory)
        H.expect(render, status: 0, "render")
        H.expectNothingLeft(in: directory, keeping: ["r.svg"], "render")

        // A triangle across the whole image: more rows than the slice buffer.
        let across = try H.directory(with: text.replacingOccurrences(of: "[0,0,9,0,9,9,0,9]", with: "[0,0,999999998,0,0,999999998]"))
        defer { try? FileManager.default.removeItem(atPath: across) }
        let big = try H.run("measure in.json", in: across)
        H.expect(big, status: 2, message: "--memory-limit", "measure, a triangle across the image")
        #expect(big.stdout.isEmpty)
        let mask = try H.run("convert --to coco in.json", in: across)
        H.expect(mask, status: 2, message: "more than", "convert --to coco, a triangle across the image")
        H.expectNothingLeft(in: across, "a triangle across the image")
    }

    @Test("--image-size 100000x100000 on images without a size: measured and rendered, the NIfTI volume a clear error (exit 2)")
    func givenHugeSize() throws {
        let text = H.document(images: [H.image(0)], annotations: [H.annotation(0, image: 0, "[0,0,9,0,9,9,0,9]")])
        let directory = try H.directory(with: text)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let size = "--image-size 100000x100000"
        let measured = try H.run("measure \(size) in.json", in: directory)
        H.expect(measured, status: 0, "measure")
        #expect(measured.stdout.contains("object,o,Organ,,,,,100,,,"), "\(measured.stdout)")
        H.expect(try H.run("convert --to nifti \(size) -o v.nii in.json", in: directory), status: 2, message: "--memory-limit", "convert --to nifti")
        H.expectNothingLeft(in: directory, "convert --to nifti")
        H.expect(try H.run("convert --to coco \(size) in.json", in: directory), status: 0, "convert --to coco")
        H.expect(try H.run("render --index 0 \(size) -o r.svg in.json", in: directory), status: 0, "render")
    }

    @Test("48 images of 20000x20000 in a few KB, a small square on each: measured in bounded memory (not 6 GB), the NIfTI volume a clear error")
    func manyBigImages() throws {
        let images = (0..<48).map { H.image($0, width: 20_000) }
        let annotations = (0..<48).map { H.annotation($0, image: $0, "[19990,19990,19999,19990,19999,19999,19990,19999]") }
        let text = H.document(images: images, annotations: annotations)
        #expect(text.utf8.count < 16_000)
        let directory = try H.directory(with: text)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for threads in ["1", "2"] {
            let measured = try H.run("measure --threads \(threads) in.json", in: directory)
            H.expect(measured, status: 0, "measure --threads \(threads)")
            #expect(measured.stdout.contains("object,o,Organ,,,,,4800,,,"), "\(measured.stdout.prefix(300))")
        }
        H.expect(try H.run("convert --to nifti -o v.nii in.json", in: directory), status: 2, message: "--memory-limit", "convert --to nifti")
        H.expectNothingLeft(in: directory, "convert --to nifti")
        H.expect(try H.run("convert --to coco --threads 2 in.json", in: directory), status: 0, "convert --to coco")
        H.expect(try H.run("render --index 47 -o r.svg in.json", in: directory), status: 0, "render")
    }

    @Test("past NIfTI-1's 32767 (40,000 slices; a width of 40,000): a NIfTI-2 header (sizeof_hdr 540), never a clamped one")
    func pastNifti1() throws {
        let slices = H.document(images: (0..<40_000).map { H.image($0, width: 2) },
                                annotations: [H.annotation(0, image: 39_999, "[0,0,1,0,1,1]")])
        let wide = H.document(images: [H.image(0, width: 40_000, height: 2)], annotations: [H.annotation(0, image: 0, "[39990,0,39999,0,39999,1]")])
        for (name, text) in [("40,000 slices", slices), ("a width of 40,000", wide)] {
            let directory = try H.directory(with: text)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let run = try H.run("convert --to nifti -o v.nii in.json", in: directory)
            H.expect(run, status: 0, name)
            let header = try Data(contentsOf: URL(fileURLWithPath: directory + "/v.nii")).prefix(4)
            #expect(Array(header) == [0x1C, 0x02, 0, 0], "\(name): sizeof_hdr \(Array(header))")
            H.expectNothingLeft(in: directory, keeping: ["v.nii", "v.labels.json"], name)
        }
    }

    @Test("one triangle with coordinates of 1e9 (and 2e9 beyond Int32): clipped, every pixel command exits 0 in bounded memory",
          arguments: ["[-1000000000,-1000000000,1000000000,5,5,1000000000]", "[-2000000000,-2000000000,2000000000,5,5,2000000000]"])
    func farTriangle(_ polygon: String) throws {
        let text = H.document(images: [H.image(0, width: 64, height: 48)], annotations: [H.annotation(0, image: 0, polygon)])
        let directory = try H.directory(with: text)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        H.expect(try H.run("measure in.json", in: directory), status: 0, "measure")
        H.expect(try H.run("convert --to nifti -o v.nii in.json", in: directory), status: 0, "convert --to nifti")
        H.expect(try H.run("convert --to coco in.json", in: directory), status: 0, "convert --to coco")
        H.expect(try H.run("render --index 0 -o r.svg in.json", in: directory), status: 0, "render")
    }

    @Test("documents validate rejects (odd-length polygon, duplicate id, dangling reference): exit 1, placed, nothing written",
          arguments: ["odd", "duplicate", "dangling"])
    func invalid(_ kind: String) throws {
        let directory = try H.directory(with: H.invalidDocument(kind))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for command in ["measure in.json", "convert --to nifti -o v.nii.gz in.json", "render --index 0 -o r.svg in.json",
                        "convert --to coco -o c.json in.json"] {
            let run = try H.run(command, in: directory)
            H.expect(run, status: 1, message: "in.json:", "\(kind): \(command)")
            #expect(run.stderr.contains("error:") && run.stdout.isEmpty, "\(kind): \(command): \(run.stderr)")
            H.expectNothingLeft(in: directory, "\(kind): \(command)")
        }
    }

    @Test("boxes only (a detection output): measure and convert --to nifti exit 1 saying so; render draws the boxes")
    func boxesOnly() throws {
        let detection = try String(contentsOf: Paths.flavor.appendingPathComponent("flavor-detection.json"), encoding: .utf8)
        let directory = try H.directory(with: detection)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        H.expect(try H.run("measure --image-size 512x512 in.json", in: directory), status: 1, message: "no segmentation", "measure")
        H.expect(try H.run("convert --to nifti --image-size 512x512 -o v.nii in.json", in: directory), status: 1,
                 message: "no segmentation", "convert --to nifti")
        H.expectNothingLeft(in: directory, "convert --to nifti")
        let render = try H.run("render --index 0 --image-size 512x512 -o r.svg in.json", in: directory)
        H.expect(render, status: 0, "render")
        let svg = try String(contentsOfFile: directory + "/r.svg", encoding: .utf8)
        #expect(svg.contains("<rect") || svg.contains("<polygon") || svg.contains("<path"), "\(svg.prefix(400))")
    }

    @Test("one slice crowded with annotations, annotations apart in FLaVor's order, many tiny images: bounded memory (full scale: scripts/hostile-pixels.sh)")
    func crowdedAndApart() throws {
        // 20,000 annotations on one slice.
        let crowd = H.document(images: [H.image(0, width: 512)],
                               annotations: (0..<20_000).map { H.annotation($0, image: 0, "[\($0 % 500),\($0 % 499),\($0 % 500 + 3),\($0 % 499),\($0 % 500),\($0 % 499 + 3)]") })
        let directory = try H.directory(with: crowd)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        H.expect(try H.run("render --index 0 -o r.svg in.json", in: directory), status: 0, "render, a crowded slice")
        H.expect(try H.run("measure in.json", in: directory), status: 0, "measure, a crowded slice")

        // 20 objects, each on every one of 300 images, object after object.
        var annotations: [String] = []
        for object in 0..<20 {
            let x = 20 * object + 5
            for image in 0..<300 {
                annotations.append(H.annotation(annotations.count, image: image, object: "o\(object)", "[\(x),\(x),\(x + 12),\(x),\(x + 12),\(x + 9),\(x),\(x + 9)]"))
            }
        }
        let apart = try H.directory(with: H.document(images: (0..<300).map { H.image($0, width: 512) }, annotations: annotations,
                                                     objects: (0..<20).map { "o\($0)" }))
        defer { try? FileManager.default.removeItem(atPath: apart) }
        let measured = try H.run("measure --threads 2 in.json", in: apart)
        H.expect(measured, status: 0, "measure, annotations apart")
        // Each object: 13 x 10 pixels on each of the 300 slices.
        #expect(measured.stdout.contains("object,o0,Organ,,,,,39000,,,"), "\(measured.stdout.prefix(400))")
        H.expect(try H.run("convert --to nifti -o v.nii.gz in.json", in: apart), status: 0, "convert --to nifti, annotations apart")

        // 20,000 images of 2x2, one annotation each.
        let tiny = try H.directory(with: H.document(images: (0..<20_000).map { H.image($0, width: 2) },
                                                    annotations: (0..<20_000).map { H.annotation($0, image: $0, "[0,0,1,0,1,1]") }))
        defer { try? FileManager.default.removeItem(atPath: tiny) }
        H.expect(try H.run("convert --to nifti -o v.nii in.json", in: tiny), status: 0, "convert --to nifti, tiny images")
        H.expect(try H.run("measure in.json", in: tiny), status: 0, "measure, tiny images")
    }

    @Test("a temporary directory that cannot be used (TMPDIR missing) for a .nii.gz: exit 2 naming the directory, nothing left beside the output")
    func missingTemporaryDirectory() throws {
        let directory = try H.directory(with: H.document(images: [H.image(0, width: 8)], annotations: [H.annotation(0, image: 0, "[1,1,5,1,5,5]")]))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try ThirdRound.run("convert --to nifti -o v.nii.gz in.json", prefix: "TMPDIR=/nonexistent-aicoco-tmp", in: directory)
        H.expect(run, status: 2, message: "/nonexistent-aicoco-tmp", "convert --to nifti -o v.nii.gz")
        H.expectNothingLeft(in: directory, "convert --to nifti -o v.nii.gz")
    }
}
