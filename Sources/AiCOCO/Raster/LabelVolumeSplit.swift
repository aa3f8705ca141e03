extension LabelVolumeConverter {
    /// The second pass of `.split`: one writer per value, each with its share of the slice
    /// memory (two slices each at least), each file whole or absent; the writers prepared, in
    /// the order of the values, to be committed.
    func split(pass: () throws -> DocumentSource, into directory: String, header: NiftiHeader, catalog: SegmentationCatalog,
               slices: [Int], summary start: Summary, progress: ((Int, Int) -> Void)?) throws -> (Summary, [LabelVolumeWriter]) {
        var summary = start
        let plan = summary.plan!
        let values = plan.values
        guard !values.isEmpty else { throw LabelVolumeError(.input, "no category takes a value: nothing to split (see --include-hidden, --values)") }
        let share = cacheBytes / values.count
        guard share >= 2 * header.sliceBytes else {
            throw LabelVolumeError(.usage, "--split: \(values.count) volumes of two \(describeBytes(header.sliceBytes)) slices each do not fit the slice memory of \(describeBytes(cacheBytes)) (raise --memory-limit to \(describeBytes(2 * header.sliceBytes * values.count)))")
        }
        var writers: [Int: LabelVolumeWriter] = [:]
        let folder = directory.hasSuffix("/") ? directory : directory + "/"
        for value in values {
            let name = plan.table.first { $0.value == value }.flatMap { $0.categoryName ?? $0.objectID } ?? ""
            let file = folder + "\(value)" + (name.isEmpty ? "" : "-" + Self.fileName(name)) + ".nii.gz"
            writers[value] = try LabelVolumeWriter(path: file, header: header, cacheBytes: share)
            summary.files[value] = file
        }
        try forEachFill(pass: pass, catalog: catalog, plan: plan, slices: slices, summary: &summary, progress: progress) { _, polygons, slice, value, _ in
            try writers[value]!.fill(polygons, slice: slice, value: 1)
        }
        for value in values { try writers[value]!.prepare(compressionLevel: compressionLevel) }
        summary.sliceReloads = writers.values.reduce(0) { $0 + $1.sliceReloads }
        return (summary, values.map { writers[$0]! })
    }

    /// The second pass of every layout: each annotation whose image is known, whose object
    /// takes a value and which has contours goes to `fill` with its slice and value (counted
    /// in `summary`, as are those left out).
    func forEachFill(pass: () throws -> DocumentSource, catalog: SegmentationCatalog, plan: LabelPlan, slices: [Int],
                     summary: inout Summary, progress: ((Int, Int) -> Void)?,
                     _ fill: (_ annotation: Annotation, _ polygons: Polygons, _ slice: Int, _ value: Int,
                              _ summary: inout Summary) throws -> Void) throws {
        let reader = RecordReader(try pass(), options: RecordReader.Options(parser: parserOptions))
        while let record = try reader.next() {
            guard case .annotation(let annotation) = record else { continue }
            summary.annotations += 1
            if summary.annotations & 1023 == 0 { progress?(2, reader.bytesRead) }
            guard let position = catalog.imagePosition(annotation.imageID) else {
                summary.skippedUnknownImage += 1
                continue
            }
            guard let value = plan.valueOfObject[annotation.objectID] else {
                summary.skippedNoLabel += 1
                continue
            }
            guard let polygons = annotation.segmentation, !polygons.isEmpty else { continue }
            summary.filled += 1
            try fill(annotation, polygons, slices[position], value, &summary)
        }
        progress?(2, reader.bytesRead)
    }

    /// A category name as a file name: letters, digits, `.`, `-` and `_` kept, others `_`.
    static func fileName(_ name: String) -> String {
        let kept = name.unicodeScalars.prefix(64).map { scalar -> Character in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar))
                ? Character(scalar) : "_"
        }
        let text = String(kept)
        return text.hasPrefix(".") ? "_" + text.dropFirst() : text
    }
}
