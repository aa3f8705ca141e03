import AiCOCO
import ArgumentParser

/// The options of `convert --to nifti`.
struct NiftiOptions: ParsableArguments {
    @Option(help: ArgumentHelp("What a voxel value stands for: category (1, 2, ... in the order of categories) or object (1, 2, ... in the order of objects).", valueName: "kind"))
    var labels: LabelVolumeConverter.Labels = .category

    @Option(help: ArgumentHelp("Voxel size in millimetres, written to the header, e.g. 0.7,0.7,5.", valueName: "X,Y,Z"))
    var spacing: Spacing?

    @Option(help: ArgumentHelp("zlib level for .nii.gz, 1 (fastest) to 9 (smallest).", valueName: "level"))
    var compressionLevel = Count(6)
}

extension LabelVolumeConverter.Labels: ExpressibleByArgument {}

/// `X,Y,Z`: a voxel size in millimetres, three positive numbers.
struct Spacing: ExpressibleByArgument, Sendable, Equatable {
    var x: Double, y: Double, z: Double

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { Double(String($0).trimmingSpaces()) }
        guard parts.count == 3, let x = parts[0], let y = parts[1], let z = parts[2],
              [x, y, z].allSatisfy({ $0.isFinite && $0 > 0 }) else { return nil }
        (self.x, self.y, self.z) = (x, y, z)
    }
}

extension Convert {
    /// `convert --to nifti`: the label volume, and its value table beside it as JSON.
    func convertToNifti() throws {
        guard let path = destination.output, path.hasSuffix(".nii") || path.hasSuffix(".nii.gz") else {
            throw ValidationError("--to nifti writes a file: give -o PATH ending in .nii or .nii.gz")
        }
        guard (1...9).contains(nifti.compressionLevel.value) else {
            throw ValidationError("--compression-level: 1 to 9, not \(nifti.compressionLevel.value)")
        }
        let spacing = nifti.spacing.map { (x: $0.x, y: $0.y, z: $0.z) } ?? (1, 1, 1)
        let converter = LabelVolumeConverter(labels: nifti.labels, imageSize: imageSize.map { (width: $0.width, height: $0.height) },
                                             spacing: spacing, parserOptions: input.parserOptions(),
                                             compressionLevel: Int32(nifti.compressionLevel.value))
        let progress = input.makeProgress()
        let total = regularFileSize(input)
        var last = 0
        do {
            let source = try RereadableInput(input.input) { progress?.update(bytes: $0, total: nil) }
            let summary = try converter.convert(passes: { try source.pass() }, to: path) { _, bytes in
                last = bytes
                progress?.update(bytes: bytes, total: total ?? source.size)
            }
            progress?.finish(bytes: last, total: total ?? source.size)
            let table = Self.labelTablePath(for: path)
            try Self.writeLabelTable(summary, labels: nifti.labels, to: table)
            var note = "aicoco convert: \(path): \(summary.width)x\(summary.height)x\(summary.slices) \(summary.voxelType), \(summary.labels.count) \(nifti.labels.rawValue) labels (table in \(table)), \(summary.filled) annotations filled"
            if summary.skippedNoLabel > 0 { note += "; skipped \(summary.skippedNoLabel) annotations whose object has no label" }
            if summary.skippedUnknownImage > 0 { note += "; skipped \(summary.skippedUnknownImage) annotations of unknown images" }
            if summary.sliceReloads > 0 { note += "; \(summary.sliceReloads) slices read back (their annotations were apart)" }
            if progress != nil || summary.skippedNoLabel + summary.skippedUnknownImage > 0 { printError(note) }
        } catch {
            progress?.finish(bytes: last, total: nil, succeeded: false)
            throw report(error, file: input.displayName)
        }
    }

    /// `labels.nii.gz` -> `labels.labels.json`.
    static func labelTablePath(for path: String) -> String {
        let stem = path.hasSuffix(".nii.gz") ? String(path.dropLast(7)) : String(path.dropLast(4))
        return stem + ".labels.json"
    }

    static func writeLabelTable(_ summary: LabelVolumeConverter.Summary, labels: LabelVolumeConverter.Labels, to path: String) throws {
        let file = try FileOutput(path: path)
        let json = JSONWriter(pretty: true, output: file)
        try json.beginObject()
        try json.key("labels"); try json.string(labels.rawValue)
        try json.key("voxel_type"); try json.string("\(summary.voxelType)")
        try json.key("values")
        try json.beginObject()
        for label in summary.labels {
            try json.key(String(label.value))
            try json.beginObject()
            if let objectID = label.objectID {
                try json.key("object_id"); try json.string(objectID)
                try json.key("category_ids")
                try json.beginArray()
                for id in label.objectCategoryIDs ?? [] { try json.string(id) }
                try json.endArray()
            }
            try json.key("category_id"); if let id = label.categoryID { try json.string(id) } else { try json.null() }
            try json.key("name"); if let name = label.categoryName { try json.string(name) } else { try json.null() }
            if let color = label.color { try json.key("color"); try json.string(color) }
            try json.endObject()
        }
        try json.endObject()
        try json.endObject()
        try json.endLine()
        try file.flush()
    }
}
