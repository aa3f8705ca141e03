import Foundation
import Testing
import AiCOCO

@Suite("Label volumes and measures")
struct LabelVolumeTests {
    static let samples = ["flavor-seg3d-noisy.json", "flavor-seg3d-smooth.json", "flavor-seg2d.json"]
    static let missing = "opencv-python-headless, numpy or nibabel is not installed (pip install -r scripts/requirements.txt)"

    static func sample(_ name: String) -> String { Paths.flavor.appendingPathComponent(name).path }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aicoco-volume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// The sample with its annotations shuffled and the sections in the order meta, annotations,
    /// objects, categories, images (written by Python's json module).
    static func shuffled(_ name: String, into directory: URL) throws -> String {
        let path = directory.appendingPathComponent("shuffled-" + name).path
        let script = """
        import json, random, sys
        d = json.load(open(sys.argv[1]))
        random.Random(13).shuffle(d["annotations"])
        order = ["meta", "annotations", "objects", "categories", "regressions", "images"]
        json.dump({k: d[k] for k in order}, open(sys.argv[2], "w"))
        """
        let result = try Tool.run(executable: RasterPython.interpreter, RasterPython.prefix + ["-c", script, sample(name), path])
        try #require(result.status == 0, "\(result.stderr)")
        return path
    }

    @Test("convert --to nifti equals cv2.fillPoly voxel for voxel",
          .enabled(if: RasterPython.available, "\(missing)"), arguments: samples)
    func volumeMatchesOpenCV(name: String) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (labels, file) in [("category", "labels.nii.gz"), ("object", "labels.nii")] {
            let volume = directory.appendingPathComponent(file).path
            let converted = try Tool.run(["convert", "--to", "nifti", "--labels", labels, "--image-size", "512x512",
                                          "--spacing", "0.7,0.7,2.5", "-o", volume, Self.sample(name)])
            #expect(converted.status == 0, "\(converted.stderr)")
            let table = directory.appendingPathComponent("labels.labels.json").path
            let check = try RasterPython.run(["volume", Self.sample(name), volume, "--image-size", "512x512",
                                              "--labels", labels, "--table", table,
                                              "--spacing", "0.7,0.7,2.5"])
            #expect(check.status == 0, "\(labels): \(check.stderr)")
            #expect(check.stdout.contains("\"ok\": true"), "\(check.stdout)")
        }
    }

    @Test("annotations shuffled and sections reordered: the same volume",
          .enabled(if: RasterPython.available, "\(missing)"))
    func shuffledInput() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let shuffled = try Self.shuffled("flavor-seg3d-noisy.json", into: directory)
        let volume = directory.appendingPathComponent("shuffled.nii.gz").path
        let converted = try Tool.run(["convert", "--to", "nifti", "--image-size", "512x512", "-o", volume, shuffled])
        #expect(converted.status == 0, "\(converted.stderr)")
        let check = try RasterPython.run(["volume", shuffled, volume, "--image-size", "512x512"])
        #expect(check.status == 0, "\(check.stderr)")

        // Through the library with room for 2 slices only: slices are read back, and the
        // volume does not change.
        var small = LabelVolumeConverter(imageSize: (512, 512))
        small.cacheBytes = 2 * 512 * 512
        let smallVolume = directory.appendingPathComponent("small.nii").path
        let summary = try small.convert(passes: { .file(shuffled) }, to: smallVolume)
        #expect(summary.sliceReloads > 100)
        let plainVolume = directory.appendingPathComponent("plain.nii").path
        let plain = try LabelVolumeConverter(imageSize: (512, 512)).convert(passes: { .file(Self.sample("flavor-seg3d-noisy.json")) }, to: plainVolume)
        #expect(plain.sliceReloads == 0)
        let smallCheck = try RasterPython.run(["volume", shuffled, smallVolume, "--image-size", "512x512"])
        #expect(smallCheck.status == 0, "\(smallCheck.stderr)")
    }

    @Test("a volume by hand: a square and a line drawn over it")
    func volumeByHand() throws {
        // Object A (category Organ) is a 10x10 square on slices 0 and 1 (index 5 and 7), object B
        // (category Lesion) a 2-point contour (a line of 4 pixels) over the square on slice index 7.
        let document = """
        {"images":[{"id":"i7","file_name":"b","index":7,"category_ids":null,"regressions":null,"width":16,"height":12},
                   {"id":"i5","file_name":"a","index":5,"category_ids":null,"regressions":null,"width":16,"height":12}],
         "annotations":[
          {"id":"a1","image_id":"i5","object_id":"A","iscrowd":0,"bbox":null,"segmentation":[[2,1,11,1,11,10,2,10]]},
          {"id":"a2","image_id":"i7","object_id":"A","iscrowd":0,"bbox":null,"segmentation":[[2,1,11,1,11,10,2,10]]},
          {"id":"a3","image_id":"i7","object_id":"B","iscrowd":0,"bbox":null,"segmentation":[[3,3,6,3]]}],
         "categories":[{"id":"organ","name":"Organ","supercategory_id":null},{"id":"lesion","name":"Lesion","supercategory_id":null}],
         "regressions":[],
         "objects":[{"id":"A","category_ids":["organ"],"regressions":null},{"id":"B","category_ids":["lesion"],"regressions":null}],
         "meta":{"category_ids":null,"regressions":null}}
        """
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("hand.json").path
        try Data(document.utf8).write(to: URL(fileURLWithPath: path))
        // The volume: slice 0 is index 5, slice 1 index 7; the voxels say the same.
        let volume = directory.appendingPathComponent("hand.nii").path
        let converted = try Tool.run(["convert", "--to", "nifti", "-o", volume, path])
        #expect(converted.status == 0, "\(converted.stderr)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: volume))
        #expect(bytes.count == 352 + 16 * 12 * 2)
        let voxels = Array(bytes[352...])
        #expect(voxels[0..<192].filter { $0 == 1 }.count == 100)
        #expect(voxels[192...].filter { $0 == 1 }.count == 96)
        #expect(voxels[192...].filter { $0 == 2 }.count == 4)
        #expect(voxels[192 + 3 * 16 + 3] == 2 && voxels[192 + 3 * 16 + 7] == 1)
    }

    @Test("the NIfTI-1 header's fields")
    func header() {
        let header = NiftiHeader(width: 512, height: 400, depth: 30, voxelType: .uint16, spacing: (0.5, 0.6, 3), maximumLabel: 300)
        let bytes = header.bytes
        func int16(_ offset: Int) -> Int16 { Int16(bytes[offset]) | Int16(bytes[offset + 1]) << 8 }
        func int32(_ offset: Int) -> Int32 { (0..<4).reduce(0) { $0 | Int32(bytes[offset + $1]) << (8 * $1) } }
        func float(_ offset: Int) -> Float { Float(bitPattern: UInt32(bitPattern: int32(offset))) }
        #expect(bytes.count == 352 && int32(0) == 348)
        #expect((0..<4).map { int16(40 + 2 * $0) } == [3, 512, 400, 30])
        #expect(int16(68) == 1002 && int16(70) == 512 && int16(72) == 16)
        #expect(float(80) == 0.5 && float(84) == 0.6 && float(88) == 3 && float(108) == 352)
        #expect(Array(bytes[344..<348]) == Array("n+1\0".utf8))
        #expect(NiftiHeader.VoxelType.holding(255) == .uint8 && NiftiHeader.VoxelType.holding(256) == .uint16)
    }

    @Test("wrong calls: no size, no -o, a bad suffix, a bad spacing")
    func wrongCalls() throws {
        let noSize = try Tool.run(["convert", "--to", "nifti", "-o", "/tmp/aicoco-never.nii", Self.sample("flavor-seg2d.json")])
        #expect(noSize.status == 2 && noSize.stderr.contains("--image-size"))
        let noOutput = try Tool.run(["convert", "--to", "nifti", "--image-size", "512x512", Self.sample("flavor-seg2d.json")])
        #expect(noOutput.status == 2 && noOutput.stderr.contains("-o"))
        let badSuffix = try Tool.run(["convert", "--to", "nifti", "--image-size", "512x512", "-o", "/tmp/x.png", Self.sample("flavor-seg2d.json")])
        #expect(badSuffix.status == 2)
        let badSpacing = try Tool.run(["measure", "--spacing", "1,0,1", Self.sample("flavor-seg2d.json")])
        #expect(badSpacing.status == 2)
        let measureNoSize = try Tool.run(["measure", Self.sample("flavor-seg2d.json")])
        #expect(measureNoSize.status == 2 && measureNoSize.stderr.contains("--image-size"))
    }
}
