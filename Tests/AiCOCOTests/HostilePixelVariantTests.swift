import Foundation
import Testing

// Issue 20's hostile cases for `convert --to nifti`'s other layouts (--split DIR: a volume per
// value; --multi-label: a 4D volume) and the case of many overlapping objects on one slice, at a
// small scale: exit status, message, no abort, bounded memory, nothing written on an error.
// Full scale and the time checks: scripts/hostile-pixels.sh.

@Suite("Hostile input for convert --to nifti --split and --multi-label (issue 20)")
struct HostilePixelVariantTests {
    typealias H = PixelHostile

    static let variants = ["convert --to nifti --split out in.json", "convert --to nifti --multi-label -o v.nii.gz in.json"]

    /// Runs `command` in `directory` with an empty `out` directory for --split; the run and
    /// what is in `out` afterwards.
    static func run(_ command: String, in directory: String) throws -> (ThirdRound.Run, [String]) {
        try? FileManager.default.removeItem(atPath: directory + "/out")
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: false)
        let run = try H.run(command, in: directory)
        return (run, ThirdRound.contents(directory + "/out"))
    }

    @Test("documents validate rejects (odd-length polygon, duplicate id, dangling reference): exit 1, placed, nothing written",
          arguments: ["odd", "duplicate", "dangling"])
    func invalid(_ kind: String) throws {
        let directory = try H.directory(with: H.invalidDocument(kind))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for command in Self.variants {
            let (run, out) = try Self.run(command, in: directory)
            H.expect(run, status: 1, message: "in.json:", "\(kind): \(command)")
            #expect(run.stderr.contains("error:"), "\(kind): \(command): \(run.stderr)")
            #expect(out.isEmpty, "\(kind): \(command): \(out)")
            H.expectNothingLeft(in: directory, keeping: ["out"], "\(kind): \(command)")
        }
    }

    @Test("boxes only (a detection output): exit 1 saying there is no segmentation, nothing written")
    func boxesOnly() throws {
        let detection = try String(contentsOf: Paths.flavor.appendingPathComponent("flavor-detection.json"), encoding: .utf8)
        let directory = try H.directory(with: detection)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for command in Self.variants {
            let (run, out) = try Self.run(command.replacingOccurrences(of: " in.json", with: " --image-size 512x512 in.json"), in: directory)
            H.expect(run, status: 1, message: "no segmentation", command)
            #expect(out.isEmpty, "\(command): \(out)")
            H.expectNothingLeft(in: directory, keeping: ["out"], command)
        }
    }

    @Test("slices past the slice memory (999999999 wide; --image-size 100000x100000; 48 images of 20000x20000): exit 2 naming --memory-limit, nothing written")
    func hugeSlices() throws {
        let square = H.annotation(0, image: 0, "[0,0,9,0,9,9,0,9]")
        let documents = [
            ("999999999 wide", H.document(images: [H.image(0, width: 999_999_999)], annotations: [square]), ""),
            ("--image-size 100000x100000", H.document(images: [H.image(0)], annotations: [square]), "--image-size 100000x100000 "),
            ("48 images of 20000x20000", H.document(images: (0..<48).map { H.image($0, width: 20_000) }, annotations: [square]), ""),
        ]
        for (name, text, option) in documents {
            let directory = try H.directory(with: text)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            for command in Self.variants {
                let (run, out) = try Self.run(command.replacingOccurrences(of: "nifti ", with: "nifti \(option)"), in: directory)
                H.expect(run, status: 2, message: "--memory-limit", "\(name): \(command)")
                #expect(out.isEmpty, "\(name): \(command): \(out)")
                H.expectNothingLeft(in: directory, keeping: ["out"], "\(name): \(command)")
            }
        }
    }

    @Test("2,000 overlapping objects on one slice: every layout and the other pixel commands exit 0 in bounded memory, overlaps counted")
    func manyObjects() throws {
        let count = 2_000
        let annotations = (0..<count).map { n in
            H.annotation(n, image: 0, object: "o\(n)", "[\(n % 500),\(n % 499),\(n % 500 + 2),\(n % 499),\(n % 500),\(n % 499 + 2)]")
        }
        let directory = try H.directory(with: H.document(images: [H.image(0, width: 512)], annotations: annotations,
                                                         objects: (0..<count).map { "o\($0)" }))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // One value per object: the overlaps between objects are counted (one category's
        // objects share its value, so they do not overlap in a category volume).
        let labels = try H.run("convert --to nifti --labels object -o v.nii in.json", in: directory)
        H.expect(labels, status: 0, "convert --to nifti --labels object")
        #expect(labels.stderr.contains("voxels where structures overlap"), "\(labels.stderr)")
        for command in Self.variants + ["convert --to nifti -o c.nii.gz in.json"] {
            let (run, out) = try Self.run(command, in: directory)
            H.expect(run, status: 0, command)
            if command.contains("--split") { #expect(out == ["1-Organ.nii.gz", "labels.json"], "\(out)") }
        }
        H.expect(try H.run("render --index 0 -o r.svg in.json", in: directory), status: 0, "render")
        H.expect(try H.run("convert --to coco --segmentation rle in.json", in: directory), status: 0, "convert --to coco")
    }
}
