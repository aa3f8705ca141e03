import Foundation
import Testing
import AiCOCO

/// `scripts/measure_reference.py` through the project's Python.
enum MeasurePython {
    static let script = Paths.root.appendingPathComponent("scripts/measure_reference.py").path

    static func check(_ document: String, measure json: String, imageSize: String? = nil) throws -> Tool.Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aicoco-measure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("measure.json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        let size = imageSize.map { ["--image-size", $0] } ?? []
        return try Tool.run(executable: RasterPython.interpreter, RasterPython.prefix + [script, document, path] + size)
    }
}

@Suite("measure: each structure on its own mask, overlaps, bounds")
struct MeasureTests {
    static let samples = ["flavor-seg2d.json", "flavor-seg3d-noisy.json", "flavor-seg3d-smooth.json",
                          "generations/seg3d-background.json"]

    static func sample(_ name: String) -> String { Paths.flavor.appendingPathComponent(name).path }

    static func write(_ text: String, _ name: String = "doc.json") throws -> (path: String, directory: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aicoco-measure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return (path, directory)
    }

    /// A document with the given images, annotations and objects (categories c and d).
    static func document(images: String, annotations: String, objects: String) -> String {
        """
        {"images":[\(images)],"annotations":[\(annotations)],
         "categories":[{"id":"c","name":"Organ","supercategory_id":null},{"id":"d","name":"Lesion","supercategory_id":null}],
         "regressions":[],"objects":[\(objects)],"meta":{"category_ids":null,"regressions":null}}
        """
    }

    static func annotation(_ id: String, image: String = "i", object: String, _ segmentation: String) -> String {
        "{\"id\":\"\(id)\",\"image_id\":\"\(image)\",\"object_id\":\"\(object)\",\"iscrowd\":0,\"bbox\":null,\"segmentation\":\(segmentation)}"
    }

    @Test("every object and category: cv2.fillPoly of its own contours, slice by slice; overlapping pairs with their shared voxels",
          .enabled(if: RasterPython.available, "\(LabelVolumeTests.missing)"), arguments: samples)
    func samplesMatchOpenCV(name: String) throws {
        let measured = try Tool.run(["measure", "--format", "json", "--image-size", "512x512", Self.sample(name)])
        #expect(measured.status == 0, "\(measured.stderr)")
        let check = try MeasurePython.check(Self.sample(name), measure: measured.stdout, imageSize: "512x512")
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("\"ok\": true"), "\(check.stdout)")
        // Every structure of the file is listed, overlaps on the samples that have them.
        let json = try JSONSerialization.jsonObject(with: Data(measured.stdout.utf8)) as! [String: Any]
        let records = try readRecords(.file(Self.sample(name)))
        #expect((json["objects"] as! [Any]).count == records.filter { $0.section == .objects }.count)
        #expect((json["categories"] as! [Any]).count == records.filter { $0.section == .categories }.count)
        if name == "flavor-seg3d-smooth.json" {
            #expect(!(json["object_overlaps"] as! [Any]).isEmpty && measured.stderr.contains("overlap"))
        }
    }

    @Test("annotations shuffled and sections reordered: the same output, byte for byte, in one pass",
          .enabled(if: RasterPython.available, "\(LabelVolumeTests.missing)"))
    func shuffled() throws {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let shuffled = try LabelVolumeTests.shuffled("flavor-seg3d-noisy.json", into: directory)
        for format in ["csv", "json"] {
            let plain = try Tool.run(["measure", "--format", format, "--image-size", "512x512", Self.sample("flavor-seg3d-noisy.json")])
            let mixed = try Tool.run(["measure", "--format", format, "--image-size", "512x512", shuffled])
            #expect(plain.status == 0 && mixed.status == 0, "\(plain.stderr) \(mixed.stderr)")
            #expect(plain.stdout == mixed.stdout, "\(format)")
        }
        // With a tiny memory limit the tables spill to disk; the result is the same.
        let small = try SegmentationMeasure(imageSize: (512, 512), parserOptions: DocumentParsing.Options(memoryLimit: 16 << 10)).measure(.file(shuffled))
        let large = try SegmentationMeasure(imageSize: (512, 512), parserOptions: DocumentParsing.Options(memoryLimit: 64 << 20)).measure(.file(shuffled))
        #expect(try small.objects == large.objects && small.categories == large.categories && small.objectOverlaps == large.objectOverlaps)
        #expect(try small.passes == 1 && small.objects.allSatisfy { $0.totals.voxels > 0 })
        // The run sweep (for images whose canvas does not fit) counts the same as the canvas.
        var sweep = SegmentationMeasure(imageSize: (512, 512))
        sweep.paintsCanvas = false
        let swept = try sweep.measure(.file(shuffled))
        #expect(try swept.objects == large.objects && swept.categories == large.categories)
        #expect(try swept.objectOverlaps == large.objectOverlaps && swept.categoryOverlaps == large.categoryOverlaps)
        var a: [SegmentationMeasurement.Slice] = [], b: [SegmentationMeasurement.Slice] = []
        let smallRows = try small.slices(), largeRows = try large.slices()
        while let row = try smallRows.next() { a.append(row) }
        while let row = try largeRows.next() { b.append(row) }
        #expect(a == b && a.count > 100)
        // Read again (the tables spilled): the same rows; the pairs' totals, from their rows, add up to the summary.
        var again: [SegmentationMeasurement.Slice] = []
        let rereading = try small.slices()
        while let row = try rereading.next() { again.append(row) }
        #expect(again == a)
        let pairs = try small.objectOverlaps, pairRows = a.filter { $0.scope == .objectOverlap }
        #expect(small.objectOverlapSummary.pairs == pairs.count && !pairs.isEmpty)
        #expect(small.objectOverlapSummary.voxels == pairRows.reduce(0) { $0 + $1.pixels })
        #expect(pairs.reduce(0) { $0 + $1.totals.sliceCount } == pairRows.count)
        #expect(try small.categoryOverlapSummary.pairs == small.categoryOverlaps.count)
    }

    @Test("slices painted on threads: the same rows in the same order as on one, whole slices, split ones and ones too big for a thread's canvas")
    func threads() throws {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let shuffled = try LabelVolumeTests.shuffled("flavor-seg3d-noisy.json", into: directory)
        func rows(threads: Int, jobBytes: Int = 1 << 20, sliceBuffer: Int? = nil) throws -> ([SegmentationMeasurement.Slice], SegmentationMeasurement) {
            var measure = SegmentationMeasure(imageSize: (512, 512), parserOptions: DocumentParsing.Options(memoryLimit: 16 << 10),
                                              sliceBufferBytes: sliceBuffer)
            measure.threads = threads
            measure.jobBytes = jobBytes
            let result = try measure.measure(.file(shuffled))
            var list: [SegmentationMeasurement.Slice] = []
            let rows = try result.slices()
            while let row = try rows.next() { list.append(row) }
            return (list, result)
        }
        let (one, first) = try rows(threads: 1)
        #expect(try one.count > 100 && !first.objectOverlaps.isEmpty)
        // Whole slices on 2 and 3 threads; slices cut after 100 bytes of contours (the rest on the
        // calling thread); a buffer of one canvas and a half, so that no thread gets a slice.
        for (threads, jobBytes, buffer) in [(2, 1 << 20, nil), (3, 1 << 20, nil), (2, 100, nil), (3, 1, nil), (2, 1 << 20, 3 << 19)] {
            let (other, result) = try rows(threads: threads, jobBytes: jobBytes, sliceBuffer: buffer)
            #expect(other == one, "\(threads) threads, \(jobBytes) bytes a job")
            #expect(try result.objects == first.objects && result.categories == first.categories)
            #expect(try result.objectOverlaps == first.objectOverlaps && result.categoryOverlaps == first.categoryOverlaps)
        }
        // The command: --threads 1 and 2 write the same bytes.
        let plain = try Tool.run(["measure", "--threads", "1", "--image-size", "512x512", shuffled])
        let split = try Tool.run(["measure", "--threads", "2", "--image-size", "512x512", shuffled])
        #expect(plain.status == 0 && plain.stdout == split.stdout && plain.stdout.count > 1000)
    }

    @Test("by hand: a square, a line over it, a second object of the same category; CSV with spacing")
    func byHand() throws {
        // A (Organ): a 10x10 square on index 5 and 7. B (Lesion): a line of 4 pixels inside A on
        // index 7. C (Organ): a 4x10 rectangle sharing 2 columns with A on index 5.
        let text = Self.document(
            images: """
            {"id":"i7","file_name":"b","index":7,"category_ids":null,"regressions":null,"width":16,"height":12},
            {"id":"i5","file_name":"a","index":5,"category_ids":null,"regressions":null,"width":16,"height":12}
            """,
            annotations: [Self.annotation("a1", image: "i5", object: "A", "[[2,1,11,1,11,10,2,10]]"),
                          Self.annotation("a2", image: "i7", object: "A", "[[2,1,11,1,11,10,2,10]]"),
                          Self.annotation("a3", image: "i7", object: "B", "[[3,3,6,3]]"),
                          Self.annotation("a4", image: "i5", object: "C", "[[10,1,13,1,13,10,10,10]]")].joined(separator: ","),
            objects: """
            {"id":"A","category_ids":["c"],"regressions":null},{"id":"B","category_ids":["d"],"regressions":null},
            {"id":"C","category_ids":["c"],"regressions":null}
            """)
        let (path, directory) = try Self.write(text)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try SegmentationMeasure().measure(.file(path))
        #expect(try result.objects.map(\.totals.voxels) == [200, 4, 40])
        #expect(try result.objects[0].totals.indexRange == 5...7 && result.objects[0].totals.sliceCount == 2)
        // Organ on index 5: A's 100 and C's 40 share 2 x 10 pixels: 120; on index 7 A alone.
        #expect(result.categories.map(\.totals.voxels) == [220, 4])
        #expect(result.categories[0].objects == 2)
        #expect(try result.objectOverlaps.map { [$0.first, $0.second, $0.totals.voxels, $0.totals.sliceCount] } == [[0, 1, 4, 1], [0, 2, 20, 1]])
        #expect(try result.objectOverlaps.map(\.totals.indexRange) == [7...7, 5...5])
        #expect(try result.categoryOverlaps.map(\.totals.voxels) == [4])

        // 0.5 x 0.5 x 2 mm voxels: 200 voxels = 100 mm^3 = 0.1 mL; 100 pixels = 25 mm^2.
        let csv = try Tool.run(["measure", "--spacing", "0.5,0.5,2", path])
        #expect(csv.status == 0, "\(csv.stderr)")
        let lines = csv.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "scope,id,name,index,image_id,pixels,area_mm2,voxels,volume_ml,with_id,with_name")
        for line in ["object,A,Organ,5,i5,100,25,,,,", "object,A,Organ,7,i7,100,25,,,,", "object,A,Organ,,,,,200,0.1,,",
                     "category,c,Organ,5,i5,120,30,,,,", "category,d,Lesion,,,,,4,0.002,,",
                     "object_overlap,A,Organ,7,i7,4,1,,,B,Lesion", "object_overlap,A,Organ,,,,,20,0.01,C,Organ",
                     "category_overlap,c,Organ,,,,,4,0.002,d,Lesion"] {
            #expect(lines.contains(line), "\(line)\n\(csv.stdout)")
        }
        #expect(csv.stderr.contains("2 pairs of objects overlap"))
    }

    @Test("slices keyed by image id of every kind (inline, nanoid, long, with a comma): each image's rows; a size not known names the image annotated first")
    func imageKeys() throws {
        let ids = ["i1", "V1StGXR8_Z5jdHi6B-myT", "an image id longer than twenty-one bytes", "a,b", "an image id longer than twenty-one bytes!"]
        func image(_ number: Int, sized: Bool) -> String {
            "{\"id\":\"\(ids[number])\",\"file_name\":\"f\",\"index\":\(number),\"category_ids\":null,\"regressions\":null"
                + (sized ? ",\"width\":16,\"height\":12}" : "}")
        }
        // Image n gets a square of (n + 1) x 2 pixels; annotations from the last image to the first.
        let annotations = ids.indices.reversed().map { n in
            Self.annotation("a\(n)", image: ids[n], object: "A", "[[0,0,\(n),0,\(n),1,0,1]]")
        }.joined(separator: ",")
        let objects = "{\"id\":\"A\",\"category_ids\":[\"c\"],\"regressions\":null}"
        let (path, directory) = try Self.write(Self.document(images: ids.indices.map { image($0, sized: true) }.joined(separator: ","),
                                                             annotations: annotations, objects: objects))
        defer { try? FileManager.default.removeItem(at: directory) }
        let rows = try SegmentationMeasure(parserOptions: DocumentParsing.Options(memoryLimit: 16 << 10)).measure(.file(path)).slices()
        var found: [String: Int] = [:]
        while let row = try rows.next(scope: .object, first: 0) { found[row.imageID] = row.pixels }
        #expect(found == Dictionary(uniqueKeysWithValues: ids.indices.map { (ids[$0], 2 * ($0 + 1)) }))
        // Images 1 and 3 without a size, annotations in file order: the error names image 1, annotated
        // first (image 3 comes first by key: the join reads slices by id).
        let forward = ids.indices.map { Self.annotation("a\($0)", image: ids[$0], object: "A", "[[0,0,1,0,1,1]]") }.joined(separator: ",")
        let unsized = Self.document(images: ids.indices.map { image($0, sized: $0 % 2 == 0) }.joined(separator: ","),
                                    annotations: forward, objects: objects)
        try Data(unsized.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: SegmentationError.self) { try SegmentationMeasure().measure(.file(path)) }
        do { _ = try SegmentationMeasure(parserOptions: DocumentParsing.Options(memoryLimit: 16 << 10)).measure(.file(path)) } catch {
            #expect("\(error)".contains("image \"V1StGXR8_Z5jdHi6B-myT\""), "\(error)")
        }
    }

    @Test("contours of an annotation filled together (a hole), and coordinates of 1e9: as cv2.fillPoly",
          .enabled(if: RasterPython.available, "\(LabelVolumeTests.missing)"))
    func togetherAndFarCoordinates() throws {
        let text = Self.document(
            images: "{\"id\":\"i\",\"file_name\":\"a\",\"index\":0,\"category_ids\":null,\"regressions\":null,\"width\":40,\"height\":30}",
            annotations: [Self.annotation("a1", object: "A", "[[2,2,30,2,30,25,2,25],[8,8,20,8,20,18,8,18]]"),
                          Self.annotation("a2", object: "B", "[[10,10,35,10,35,28]]"),
                          Self.annotation("a3", object: "B", "[[-1000000000,5,12,-1000000000,1000000000,1000000000]]"),
                          Self.annotation("a4", object: "C", "[[1e9,1e9,-1e9,1e9,3,-1e9]]")].joined(separator: ","),
            objects: """
            {"id":"A","category_ids":["c"],"regressions":null},{"id":"B","category_ids":["d","c"],"regressions":null},
            {"id":"C","category_ids":["d"],"regressions":null}
            """)
        let (path, directory) = try Self.write(text)
        defer { try? FileManager.default.removeItem(at: directory) }
        let measured = try Tool.run(["measure", "--format", "json", path])
        #expect(measured.status == 0, "\(measured.stderr)")
        let check = try MeasurePython.check(path, measure: measured.stdout)
        #expect(check.status == 0 && check.stdout.contains("\"ok\": true"), "\(check.stderr)")
        // The hole: the outer square (29 x 24 = 696) less the inner one's inside (11 x 9 = 99).
        #expect(measured.stdout.contains("\"voxels\" : 597") || measured.stdout.contains("\"voxels\": 597"), "\(measured.stdout)")
    }

    @Test("boxes only (detection): no segmentation, exit 1, nothing written")
    func boxesOnly() throws {
        let result = try Tool.run(["measure", "--image-size", "512x512", Self.sample("flavor-detection.json")])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("no segmentation") && result.stderr.contains("boxes only"), "\(result.stderr)")
    }

    @Test("invalid input as validate rejects it: exit 1, the problem's place, nothing written",
          arguments: [("odd", "[[1,1,5,1,5]]", "a1", "A"), ("duplicate", "[[1,1,5,1,5,5]]", "a0", "A"),
                      ("dangling", "[[1,1,5,1,5,5]]", "a1", "Z")])
    func invalid(_ name: String, _ segmentation: String, _ id: String, _ object: String) throws {
        let text = Self.document(
            images: "{\"id\":\"i\",\"file_name\":\"a\",\"index\":0,\"category_ids\":null,\"regressions\":null,\"width\":8,\"height\":8}",
            annotations: Self.annotation("a0", object: "A", "[[0,0,3,0,3,3]]") + "," + Self.annotation(id, object: object, segmentation),
            objects: "{\"id\":\"A\",\"category_ids\":[\"c\"],\"regressions\":null}")
        let (path, directory) = try Self.write(text)
        defer { try? FileManager.default.removeItem(at: directory) }
        let validated = try Tool.run(["validate", path])
        #expect(validated.status == 1, "\(name): validate \(validated.stdout)")
        let result = try Tool.run(["measure", path])
        #expect(result.status == 1, "\(name): \(result.stderr)")
        #expect(result.stdout.isEmpty, "\(name)")
        #expect(result.stderr.contains(path + ":") && result.stderr.contains("error:"), "\(name): \(result.stderr)")
    }

    @Test("hostile sizes: width and height 999999999, 48 images of 20000x20000, --image-size 100000x100000: no abort")
    func hostileSizes() throws {
        // Small contours in huge images: measured (nothing is allocated by the image's size).
        let huge = Self.document(
            images: "{\"id\":\"i\",\"file_name\":\"a\",\"index\":0,\"category_ids\":null,\"regressions\":null,\"width\":999999999,\"height\":999999999}",
            annotations: Self.annotation("a1", object: "A", "[[0,0,9,0,9,9,0,9]]"),
            objects: "{\"id\":\"A\",\"category_ids\":[\"c\"],\"regressions\":null}")
        let (path, directory) = try Self.write(huge)
        defer { try? FileManager.default.removeItem(at: directory) }
        let small = try Tool.run(["measure", path])
        #expect(small.status == 0 && small.stdout.contains("object,A,Organ,,,,,100,,,"), "\(small.stderr)")

        // A triangle across the whole of it: more rows than the slice buffer, a clear error.
        let across = huge.replacingOccurrences(of: "[[0,0,9,0,9,9,0,9]]", with: "[[0,0,999999998,0,0,999999998]]")
        let (acrossPath, acrossDirectory) = try Self.write(across)
        defer { try? FileManager.default.removeItem(at: acrossDirectory) }
        let big = try Tool.run(["measure", acrossPath])
        #expect(big.status == 2 && big.stderr.contains("slice buffer") && big.stderr.contains("--memory-limit"), "\(big.stderr)")
        // The buffer's size as it is (the default: 32 MiB), not `runs * (16 >> 20)`, which said 0 MiB.
        #expect(big.stderr.contains("2097152 runs of pixels (32 MiB, the slice buffer)"), "\(big.stderr)")
        #expect(big.stdout.isEmpty)

        // 48 images of 20000x20000, each with a small square.
        let images = (0..<48).map { "{\"id\":\"i\($0)\",\"file_name\":\"f\",\"index\":\($0),\"category_ids\":null,\"regressions\":null,\"width\":20000,\"height\":20000}" }
        let annotations = (0..<48).map { Self.annotation("a\($0)", image: "i\($0)", object: "A", "[[19990,19990,19999,19990,19999,19999,19990,19999]]") }
        let many = Self.document(images: images.joined(separator: ","), annotations: annotations.joined(separator: ","),
                                 objects: "{\"id\":\"A\",\"category_ids\":[\"c\"],\"regressions\":null}")
        let (manyPath, manyDirectory) = try Self.write(many)
        defer { try? FileManager.default.removeItem(at: manyDirectory) }
        let measured = try Tool.run(["measure", manyPath])
        #expect(measured.status == 0 && measured.stdout.contains("object,A,Organ,,,,,4800,,,"), "\(measured.stderr)")

        // Images without a size, --image-size 100000x100000.
        let unsized = huge.replacingOccurrences(of: ",\"width\":999999999,\"height\":999999999", with: "")
        let (unsizedPath, unsizedDirectory) = try Self.write(unsized)
        defer { try? FileManager.default.removeItem(at: unsizedDirectory) }
        let given = try Tool.run(["measure", "--image-size", "100000x100000", unsizedPath])
        #expect(given.status == 0 && given.stdout.contains("object,A,Organ,,,,,100,,,"), "\(given.stderr)")
        let none = try Tool.run(["measure", unsizedPath])
        #expect(none.status == 2 && none.stderr.contains("--image-size"), "\(none.stderr)")
    }
}
