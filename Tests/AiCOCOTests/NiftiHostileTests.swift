import Foundation
import Testing
import AiCOCO

/// `convert --to nifti` on hostile and wrong input: exit 1 or 2 with a message, nothing left behind.
@Suite("NIfTI label volumes: hostile input")
struct NiftiHostileTests {
    static let missing = LabelVolumeTests.missing

    /// A segmentation document: `images` as JSON objects, one category and object, `annotations`.
    static func document(images: [String], annotations: [String]) -> String {
        """
        {"images":[\(images.joined(separator: ","))],"annotations":[\(annotations.joined(separator: ","))],
         "categories":[{"id":"c","name":"Organ","supercategory_id":null}],"regressions":[],
         "objects":[{"id":"o","category_ids":["c"],"regressions":null}],"meta":{"category_ids":null,"regressions":null}}
        """
    }

    static func image(_ id: String, index: Int, width: Int? = nil, height: Int? = nil) -> String {
        let size = width.map { ",\"width\":\($0),\"height\":\(height ?? $0)" } ?? ""
        return "{\"id\":\"\(id)\",\"file_name\":\"\(id)\",\"index\":\(index),\"category_ids\":null,\"regressions\":null\(size)}"
    }

    static func annotation(_ id: String, image: String, object: String = "o", _ polygon: String) -> String {
        "{\"id\":\"\(id)\",\"image_id\":\"\(image)\",\"object_id\":\"\(object)\",\"iscrowd\":0,\"bbox\":null,\"segmentation\":[\(polygon)]}"
    }

    /// Runs `convert --to nifti` on `text` in a fresh directory (also its TMPDIR); the result and
    /// the files left there besides the input.
    static func convert(_ text: String, _ options: [String] = []) throws -> (Tool.Result, [String]) {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try NiftiConvertTests.write(text, to: directory, as: "in.json")
        let output = directory.appendingPathComponent("out.nii.gz").path
        let arguments = ["convert", "--to", "nifti", "-o", output] + options + [input]
        let result = try Hostile.shell("TMPDIR='\(directory.path)' '\(Tool.path)' " + arguments.map { "'\($0)'" }.joined(separator: " "))
        return (result, try NiftiConvertTests.files(in: directory).filter { $0 != "in.json" })
    }

    @Test("boxes only (a detection output): no segmentation, exit 1, nothing written")
    func boxesOnly() throws {
        let detection = try String(contentsOfFile: LabelVolumeTests.sample("flavor-detection.json"), encoding: .utf8)
        let (result, left) = try Self.convert(detection, ["--image-size", "512x512"])
        #expect(result.status == 1 && result.stderr.contains("no segmentation") && result.stderr.contains("boxes"), "\(result.stderr)")
        #expect(left.isEmpty, "\(left)")
    }

    @Test("documents validate rejects: exit 1, the place of the problem, nothing written",
          arguments: [
            ("odd-length polygon", "[1,1,5,1,5]"),
            ("dangling image", "dangling"),
            ("duplicate annotation id", "duplicate"),
          ])
    func invalid(name: String, kind: String) throws {
        var annotations = [Self.annotation("a1", image: "i1", "[1,1,5,1,5,5]")]
        switch kind {
        case "dangling": annotations.append(Self.annotation("a2", image: "nowhere", "[1,1,5,1,5,5]"))
        case "duplicate": annotations.append(Self.annotation("a1", image: "i1", "[1,1,5,1,5,5]"))
        default: annotations.append(Self.annotation("a2", image: "i1", kind))
        }
        let (result, left) = try Self.convert(Self.document(images: [Self.image("i1", index: 0, width: 8)], annotations: annotations))
        #expect(result.status == 1 && result.stderr.contains("in.json:") && result.stderr.contains("error:"), "\(name): \(result.stderr)")
        #expect(left.isEmpty, "\(name): \(left)")
    }

    @Test("sizes past the slice memory (width and height 999999999 in a small file; --image-size 100000x100000): exit 2, no abort, no temporary volume")
    func hugeSlices() throws {
        let small = Self.document(images: [Self.image("i1", index: 0, width: 999_999_999)],
                                  annotations: [Self.annotation("a1", image: "i1", "[1,1,5,1,5,5]")])
        #expect(small.utf8.count < 700)
        let (result, left) = try Self.convert(small)
        #expect(result.status == 2 && result.stderr.contains("--memory-limit"), "\(result.stderr)")
        #expect(left.isEmpty, "\(left)")
        let unsized = Self.document(images: [Self.image("i1", index: 0)], annotations: [Self.annotation("a1", image: "i1", "[1,1,5,1,5,5]")])
        let (given, givenLeft) = try Self.convert(unsized, ["--image-size", "100000x100000"])
        #expect(given.status == 2 && given.stderr.contains("--memory-limit"), "\(given.stderr)")
        #expect(givenLeft.isEmpty)
        // Raising --memory-limit is the way out for a real large slice.
        let (raised, _) = try Self.convert(unsized, ["--image-size", "4000x3000", "--memory-limit", "32M"])
        #expect(raised.status == 0, "\(raised.stderr)")
    }

    @Test("sizes past NIfTI-1's 32767 (40000 slices; a width of 40000) give a NIfTI-2 volume nibabel reads, never a clamped header",
          .enabled(if: RasterPython.available, "\(missing)"))
    func nifti2() throws {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let slices = Self.document(images: (0..<40_000).map { Self.image("i\($0)", index: $0, width: 2) },
                                   annotations: [Self.annotation("a1", image: "i39999", "[0,0,1,0,1,1]")])
        let wide = Self.document(images: [Self.image("i0", index: 0, width: 40_000, height: 2)],
                                 annotations: [Self.annotation("a1", image: "i0", "[39990,0,39999,0,39999,1]")])
        for (name, text, shape) in [("slices", slices, [2, 2, 40_000]), ("wide", wide, [40_000, 2, 1])] {
            let input = try NiftiConvertTests.write(text, to: directory, as: "\(name).json")
            let output = directory.appendingPathComponent("\(name).nii").path
            let run = try Tool.run(["convert", "--to", "nifti", "-o", output, input])
            #expect(run.status == 0, "\(run.stderr)")
            let check = try NiftiConvertTests.python("""
            import sys, json, numpy as np, nibabel as nib
            image = nib.load(sys.argv[1])
            print(json.dumps({"shape": list(image.shape), "sizeof_hdr": int(image.header["sizeof_hdr"]),
                              "labelled": int((np.asarray(image.dataobj) > 0).sum())}))
            """, [output])
            let result = try #require(JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any], "\(check.stderr)")
            #expect(result["shape"] as? [Int] == shape && result["sizeof_hdr"] as? Int == 540, "\(name): \(check.stdout)")
            #expect((result["labelled"] as? Int ?? 0) > 0, "\(name): \(check.stdout)")
            let pixels = try RasterPython.run(["volume", input, output, "--image-size", "\(shape[0])x\(shape[1])"])
            #expect(pixels.status == 0 && pixels.stdout.contains("\"ok\": true"), "\(name): \(pixels.stdout) \(pixels.stderr)")
        }
    }

    @Test("a triangle reaching 2e8 and 1e9 is clipped to the image: cv2.fillPoly's pixels, at once",
          .enabled(if: RasterPython.available, "\(missing)"))
    func farCoordinates() throws {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let polygons = ["[-200000000,-200000000,200000000,5,5,200000000]", "[30,-200000000,60,200000000,-200000000,40]",
                        "[-1000000000,-1000000000,1000000000,5,5,1000000000]"]
        for (n, polygon) in polygons.enumerated() {
            let input = try NiftiConvertTests.write(Self.document(images: [Self.image("i1", index: 0, width: 64, height: 48)],
                                                                  annotations: [Self.annotation("a1", image: "i1", polygon)]),
                                                    to: directory, as: "far\(n).json")
            let output = directory.appendingPathComponent("far\(n).nii").path
            let run = try Tool.run(["convert", "--to", "nifti", "-o", output, input])
            #expect(run.status == 0, "\(run.stderr)")
            guard n < 2 else { continue }  // cv2 is checked where fixed point holds the coordinates
            let check = try RasterPython.run(["volume", input, output, "--image-size", "64x48"])
            #expect(check.status == 0 && check.stdout.contains("\"ok\": true"), "\(polygon): \(check.stdout) \(check.stderr)")
        }
    }

    @Test("two images with one index: exit 1 unless --slice-order says how to order them")
    func duplicateIndex() throws {
        let text = Self.document(images: [Self.image("i1", index: 3, width: 8), Self.image("i2", index: 3, width: 8)],
                                 annotations: [Self.annotation("a1", image: "i2", "[1,1,5,1,5,5]")])
        let (refused, left) = try Self.convert(text)
        #expect(refused.status == 1 && refused.stderr.contains("same index") && refused.stderr.contains("--slice-order"), "\(refused.stderr)")
        #expect(left.isEmpty)
        for order in ["index-then-file", "file"] {
            let (ordered, files) = try Self.convert(text, ["--slice-order", order])
            #expect(ordered.status == 0, "\(ordered.stderr)")
            #expect(files == ["out.labels.json", "out.nii.gz"])
        }
    }
}
