import Foundation
import Testing
import AiCOCO

/// `convert --to nifti`: label values, geometry from a reference scan, overlaps, and hostile input.
@Suite("NIfTI label volumes: values, reference, overlaps, hostile input")
struct NiftiConvertTests {
    static let background = Paths.flavor.appendingPathComponent("generations/seg3d-background.json").path
    static let missing = LabelVolumeTests.missing

    static func python(_ script: String, _ arguments: [String]) throws -> Tool.Result {
        try Tool.run(executable: RasterPython.interpreter, RasterPython.prefix + ["-c", script] + arguments)
    }

    /// Files in `directory` other than `keep` (leftovers of a failed run).
    static func files(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    static func write(_ text: String, to directory: URL, as name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    // Voxel value = class index (the category's position in categories), checked independently
    // of aicoco's numbering code: each annotation filled by cv2.fillPoly with the position of
    // its object's category.
    static let classIndexCheck = """
    import json, sys, cv2, numpy as np, nibabel as nib
    d = json.load(open(sys.argv[1])); w, h = 512, 512
    ids = [c["id"] for c in d["categories"]]
    category = {o["id"]: o["category_ids"][0] for o in d["objects"]}
    order = sorted(range(len(d["images"])), key=lambda i: d["images"][i]["index"])
    z_of = {d["images"][i]["id"]: z for z, i in enumerate(order)}
    ref = np.zeros((len(order), h, w), np.uint8)
    for a in d["annotations"]:
        m = np.zeros((h, w), np.uint8)
        for c in a["segmentation"]:
            cv2.fillPoly(m, [np.rint(np.array(c, float)).reshape(-1, 1, 2).astype(np.int32)], 1)
        ref[z_of[a["image_id"]]][m == 1] = ids.index(category[a["object_id"]])
    img = nib.load(sys.argv[2]); ours = np.transpose(np.asarray(img.dataobj), (2, 1, 0))
    liver = [n for n, c in enumerate(d["categories"]) if c["name"] == "Liver"][0]
    table = json.load(open(sys.argv[3]))
    names = {e["name"]: e["value"] for e in table["labels"]}
    print(json.dumps({"differ": int((ours != ref).sum()), "labelled": int((ref > 0).sum()), "liver": liver,
                      "values": sorted(int(v) for v in np.unique(ours)), "table": names,
                      "class_0_value": table["class_0_value"]}))
    """

    @Test("seg3d-background.json: voxel value = class index for every voxel (Background 0, Liver 1)",
          .enabled(if: RasterPython.available, "\(missing)"))
    func classIndex() throws {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let volume = directory.appendingPathComponent("bg.nii.gz").path
        let run = try Tool.run(["convert", "--to", "nifti", "--image-size", "512x512", "-o", volume, Self.background])
        #expect(run.status == 0, "\(run.stderr)")
        let check = try Self.python(Self.classIndexCheck, [Self.background, volume, directory.appendingPathComponent("bg.labels.json").path])
        #expect(check.status == 0, "\(check.stderr)")
        let result = try #require(JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])
        #expect(result["differ"] as? Int == 0)
        #expect((result["labelled"] as? Int ?? 0) > 100_000)
        #expect(result["liver"] as? Int == 1)
        #expect(result["values"] as? [Int] == [0, 1, 2, 3])
        #expect(result["table"] as? [String: Int] == ["Liver": 1, "Spleen": 2, "Kidney": 3])
        #expect(result["class_0_value"] as? Int == 0)
        // The same through the reference script's own numbering (and its table check).
        let reference = try RasterPython.run(["volume", Self.background, volume, "--image-size", "512x512",
                                              "--table", directory.appendingPathComponent("bg.labels.json").path])
        #expect(reference.status == 0, "\(reference.stderr)")
    }

    @Test("--values sequential, a name map and --include-hidden: the values and the table",
          .enabled(if: RasterPython.available, "\(missing)"))
    func otherNumberings() throws {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let noisy = LabelVolumeTests.sample("flavor-seg3d-noisy.json")
        func table(_ arguments: [String]) throws -> [String: Int] {
            let volume = directory.appendingPathComponent("v.nii").path
            let run = try Tool.run(["convert", "--to", "nifti", "--image-size", "512x512", "-o", volume] + arguments)
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
            let data = try Data(contentsOf: directory.appendingPathComponent("v.labels.json"))
            let json = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
            let labels = try #require(json["labels"] as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: labels.map { ($0["name"] as! String, $0["value"] as! Int) })
        }
        // Background is hidden: sequential gives what index gives.
        #expect(try table(["--values", "sequential", Self.background]) == ["Liver": 1, "Spleen": 2, "Kidney": 3])
        #expect(try table(["--include-hidden", "--values", "sequential", Self.background]) == ["Background": 1, "Liver": 2, "Spleen": 3, "Kidney": 4])
        // noisy: category 0 (Liver) is a structure, so class indices count from 1; Abdomen is
        // Liver's, Spleen's and Kidney's supercategory: no value unless asked.
        let index = try table([noisy])
        #expect(index == ["Liver": 1, "Spleen": 2, "Kidney": 3, "Lesion": 4, "Vessel": 5])
        #expect(try table(["--include-hidden", noisy])["Abdomen"] == 6)
        let map = try Self.write("{\"Liver\": 6, \"Lesion\": 9, \"Nothing\": 3}", to: directory, as: "map.json")
        let mapped = try Tool.run(["convert", "--to", "nifti", "--image-size", "512x512", "--values", map,
                                   "-o", directory.appendingPathComponent("m.nii").path, noisy])
        #expect(mapped.status == 0, "\(mapped.stderr)")
        #expect(mapped.stderr.contains("skipped") && mapped.stderr.contains("\"Nothing\""))
        let check = try Self.python("""
        import sys, numpy as np, nibabel as nib
        print(sorted(int(v) for v in np.unique(np.asarray(nib.load(sys.argv[1]).dataobj))))
        """, [directory.appendingPathComponent("m.nii").path])
        #expect(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[0, 6, 9]", "\(check.stderr)")
        let objectValues = try Tool.run(["convert", "--to", "nifti", "--image-size", "512x512", "--labels", "object", "--values", "sequential",
                                         "-o", directory.appendingPathComponent("o.nii").path, noisy])
        #expect(objectValues.status == 2 && objectValues.stderr.contains("--labels object"), "\(objectValues.stderr)")
        for bad in ["{\"Liver\": 0}", "{\"Liver\": 1.5}", "[1]", "{\"Liver\": 1, \"Liver\": 2}"] {
            let path = try Self.write(bad, to: directory, as: "bad.json")
            let run = try Tool.run(["convert", "--to", "nifti", "--image-size", "512x512", "--values", path,
                                    "-o", directory.appendingPathComponent("bad.nii").path, noisy])
            #expect(run.status == 2 && run.stderr.contains("--values"), "\(bad): \(run.stderr)")
        }
    }
}
