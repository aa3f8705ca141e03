import Foundation
import Testing
import AiCOCO

/// `convert --to nifti --reference`, overlaps and multi-label volumes.
@Suite("NIfTI label volumes: reference geometry, overlaps")
struct NiftiGeometryTests {
    static let background = NiftiConvertTests.background
    static let missing = LabelVolumeTests.missing

    /// A 512x512x40 scan with a rotated, shifted affine (NIfTI-1 or NIfTI-2, .nii or .nii.gz).
    static let makeScan = """
    import sys, numpy as np, nibabel as nib
    t = 0.3
    affine = np.array([[0.7 * np.cos(t), -0.7 * np.sin(t), 0, -120.5],
                       [0.7 * np.sin(t), 0.7 * np.cos(t), 0, 33.25],
                       [0, 0, -2.5, 410.0], [0, 0, 0, 1]])
    kind = nib.Nifti2Image if sys.argv[2] == "2" else nib.Nifti1Image
    image = kind(np.zeros((512, 512, int(sys.argv[3])), np.int16), affine)
    image.set_qform(affine, code=1)
    image.set_sform(affine, code=2)
    nib.save(image, sys.argv[1])
    """

    static let compareAffines = """
    import sys, json, numpy as np, nibabel as nib
    label, scan = nib.load(sys.argv[1]), nib.load(sys.argv[2])
    table = json.load(open(sys.argv[3]))
    print(json.dumps({"same": bool(np.allclose(label.affine, scan.affine)), "shape": list(label.shape),
                      "qform": bool(np.allclose(label.get_qform(), scan.get_qform())),
                      "table": bool(np.allclose(np.array(table["affine"]), scan.affine, atol=1e-5)),
                      "zooms": [float(z) for z in label.header.get_zooms()],
                      "labelled": int((np.asarray(label.dataobj) > 0).sum())}))
    """

    @Test("--reference: the output's affine is the scan's (rotated, shifted; NIfTI-1 and -2, .nii and .nii.gz), nibabel reads both",
          .enabled(if: RasterPython.available, "\(missing)"), arguments: [("1", "scan.nii.gz"), ("2", "scan.nii")])
    func reference(version: String, name: String) throws {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let scan = directory.appendingPathComponent(name).path
        let made = try NiftiConvertTests.python(Self.makeScan, [scan, version, "40"])
        try #require(made.status == 0, "\(made.stderr)")
        let label = directory.appendingPathComponent("label.nii.gz").path
        // No --image-size: the reference gives it.
        let run = try Tool.run(["convert", "--to", "nifti", "--reference", scan, "-o", label, Self.background])
        #expect(run.status == 0, "\(run.stderr)")
        let check = try NiftiConvertTests.python(Self.compareAffines, [label, scan, directory.appendingPathComponent("label.labels.json").path])
        #expect(check.status == 0, "\(check.stderr)")
        let result = try #require(JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])
        #expect(result["same"] as? Bool == true && result["qform"] as? Bool == true && result["table"] as? Bool == true, "\(check.stdout)")
        #expect(result["shape"] as? [Int] == [512, 512, 40])
        #expect(result["zooms"] as? [Double] == [Double(Float(0.7)), Double(Float(0.7)), 2.5])
        #expect((result["labelled"] as? Int ?? 0) > 100_000)
    }

    @Test("--reference that does not fit: another slice count, another size, not a NIfTI, with --spacing",
          .enabled(if: RasterPython.available, "\(missing)"))
    func referenceMismatch() throws {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let scan = directory.appendingPathComponent("scan39.nii").path
        _ = try NiftiConvertTests.python(Self.makeScan, [scan, "1", "39"])
        let label = directory.appendingPathComponent("label.nii").path
        let slices = try Tool.run(["convert", "--to", "nifti", "--reference", scan, "-o", label, Self.background])
        #expect(slices.status == 2 && slices.stderr.contains("39 slices") && slices.stderr.contains("40 images"), "\(slices.stderr)")
        let size = try Tool.run(["convert", "--to", "nifti", "--reference", scan, "--image-size", "256x256", "-o", label, Self.background])
        #expect(size.status == 2, "\(size.stderr)")
        let notNifti = try Tool.run(["convert", "--to", "nifti", "--reference", Self.background, "-o", label, Self.background])
        #expect(notNifti.status == 2 && notNifti.stderr.contains("NIfTI"), "\(notNifti.stderr)")
        let both = try Tool.run(["convert", "--to", "nifti", "--reference", scan, "--spacing", "1,1,1", "-o", label, Self.background])
        #expect(both.status == 2)
        #expect(try NiftiConvertTests.files(in: directory) == ["scan39.nii"])
    }

    /// Each structure's own voxels against the volume: a 4D multi-label volume's channel for
    /// every value, or how many voxels of each value `first` and `last` keep.
    static let overlapCheck = structureValues + """
    own = {v: np.zeros((len(order), h, w), bool) for v in set(value_of_category.values())}
    first = np.zeros((len(order), h, w), np.uint8)
    for a in d["annotations"]:
        v = value[a["object_id"]]
        if v is None: continue
        m = np.zeros((h, w), np.uint8)
        for c in a["segmentation"]:
            cv2.fillPoly(m, [np.rint(np.array(c, float)).reshape(-1, 1, 2).astype(np.int32)], 1)
        z = z_of[a["image_id"]]
        own[v][z] |= m == 1
        first[z][(m == 1) & (first[z] == 0)] = v
    problems = []
    if mode == "split":
        import os
        for e in table["labels"]:
            volume = nib.load(os.path.join(sys.argv[2], e["file"]))
            if np.transpose(np.asarray(volume.dataobj), (2, 1, 0)).astype(bool).tolist() != own[e["value"]].tolist(): problems.append(e["name"])
        print(json.dumps({"problems": problems, "files": len(table["labels"])}))
        sys.exit(0)
    data = np.asarray(nib.load(sys.argv[2]).dataobj)
    if mode == "channels":
        for e in table["labels"]:
            channel = np.transpose(data[..., e["channel"]], (2, 1, 0)).astype(bool)
            if (channel != own[e["value"]]).any(): problems.append(e["name"])
        overlapping = int((sum(m.astype(int) for m in own.values()) > 1).sum())
    else:
        ours = np.transpose(data, (2, 1, 0))
        if (ours != first).any(): problems.append("first differs")
        overlapping = 0
    print(json.dumps({"problems": problems, "overlapping": overlapping, "shape": list(data.shape)}))
    """

    /// Voxels where an annotation's own pixels (`cv2.fillPoly` of its contours, one call) meet
    /// another value, annotations painted in file order under rule `last` or `first`: each voxel
    /// counted once per annotation.
    static let overlapCount = structureValues + """
    volume = np.zeros((len(order), h, w), np.uint32); count = 0
    for a in d["annotations"]:
        v = value[a["object_id"]]
        if v is None or not a.get("segmentation"): continue
        m = np.zeros((h, w), np.uint8)
        cv2.fillPoly(m, [np.rint(np.array(c, float)).reshape(-1, 1, 2).astype(np.int32) for c in a["segmentation"]], 1)
        s = volume[z_of[a["image_id"]]]; inside = m == 1
        count += int((inside & (s != 0) & (s != v)).sum())
        if mode == "last": s[inside] = v
        else: s[inside & (s == 0)] = v
    print(count)
    """

    /// The scripts' start: the AiCOCO file (argument 1), the label table (3) and the mode (4);
    /// each object's value, and each image's slice.
    static let structureValues = """
    import json, sys, cv2, numpy as np, nibabel as nib
    d = json.load(open(sys.argv[1])); w, h = 512, 512
    table = json.load(open(sys.argv[3])); mode = sys.argv[4]
    value_of_category = {e["category_id"]: e["value"] for e in table["labels"]}
    value = {o["id"]: next((value_of_category[c] for c in o["category_ids"] if c in value_of_category), None) for o in d["objects"]}
    order = sorted(range(len(d["images"])), key=lambda i: d["images"][i]["index"])
    z_of = {d["images"][i]["id"]: z for z, i in enumerate(order)}

    """

    static func pythonCheck(_ arguments: [String]) throws -> String {
        let run = try NiftiConvertTests.python(overlapCheck, arguments)
        return run.stdout + run.stderr
    }

    @Test("--multi-label (4D) and --split DIR: every structure keeps all its own voxels; --overlap first keeps the earlier; error exits 1",
          .enabled(if: RasterPython.available, "\(missing)"))
    func overlaps() throws {
        let directory = try LabelVolumeTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let smooth = LabelVolumeTests.sample("flavor-seg3d-smooth.json")
        let multi = directory.appendingPathComponent("multi.nii.gz").path
        let run = try Tool.run(["convert", "--to", "nifti", "--image-size", "512x512", "--multi-label", "-o", multi, smooth])
        #expect(run.status == 0, "\(run.stderr)")
        let check = try NiftiConvertTests.python(Self.overlapCheck, [smooth, multi, directory.appendingPathComponent("multi.labels.json").path, "channels"])
        #expect(check.status == 0, "\(check.stderr)")
        let result = try #require(JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])
        #expect(result["problems"] as? [String] == [], "\(check.stdout)")
        #expect((result["overlapping"] as? Int ?? 0) > 10_000)  // Kidney_L under Stomach, and more
        #expect(result["shape"] as? [Int] == [512, 512, 40, 14])

        let split = directory.appendingPathComponent("split").path
        try FileManager.default.createDirectory(atPath: split, withIntermediateDirectories: false)
        let splitRun = try Tool.run(["convert", "--to", "nifti", "--image-size", "512x512", "--split", split, smooth])
        #expect(splitRun.status == 0, "\(splitRun.stderr)")
        let splitCheck = try NiftiGeometryTests.pythonCheck([smooth, split, split + "/labels.json", "split"])
        #expect(splitCheck.contains("\"problems\": []") && splitCheck.contains("\"files\": 14"), "\(splitCheck)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: split).filter { $0.hasSuffix(".nii.gz") }.count == 14)
        #expect(FileManager.default.fileExists(atPath: split + "/1-Liver.nii.gz"))

        let first = directory.appendingPathComponent("first.nii").path
        let kept = try Tool.run(["convert", "--to", "nifti", "--image-size", "512x512", "--overlap", "first", "-o", first, smooth])
        #expect(kept.status == 0 && kept.stderr.contains("overlap"), "\(kept.stderr)")
        let firstCheck = try NiftiConvertTests.python(Self.overlapCheck, [smooth, first, directory.appendingPathComponent("first.labels.json").path, "first"])
        #expect(firstCheck.stdout.contains("\"problems\": []"), "\(firstCheck.stdout) \(firstCheck.stderr)")

        // The voxels counted where structures overlap, under each rule, are cv2's: a boundary
        // voxel (drawn, then filled) counts once.
        for rule in ["last", "first"] {
            let path = directory.appendingPathComponent("\(rule)-count.nii").path
            let painted = try Tool.run(["convert", "--to", "nifti", "--image-size", "512x512", "--overlap", rule, "-o", path, smooth])
            let reported = painted.stderr.split(separator: ";").last?.split(separator: " ").first.map(String.init)
            let reference = try NiftiConvertTests.python(Self.overlapCount, [smooth, path, directory.appendingPathComponent("\(rule)-count.labels.json").path, rule])
            #expect(reference.status == 0, "\(reference.stderr)")
            #expect(reported != nil && reported == reference.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
                    "--overlap \(rule): \(painted.stderr) against cv2 \(reference.stdout)")
        }

        let error = directory.appendingPathComponent("error.nii").path
        let refused = try Tool.run(["convert", "--to", "nifti", "--image-size", "512x512", "--overlap", "error", "-o", error, smooth])
        #expect(refused.status == 1 && refused.stderr.contains("overlaps value"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: error))
        // seg3d-background's structures do not overlap: error is no error there.
        let clean = try Tool.run(["convert", "--to", "nifti", "--image-size", "512x512", "--overlap", "error", "-o", error, Self.background])
        #expect(clean.status == 0, "\(clean.stderr)")
    }
}
