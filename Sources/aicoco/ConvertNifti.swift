import AiCOCO
import ArgumentParser

/// The options of `convert --to nifti`.
struct NiftiOptions: ParsableArguments {
    @Option(help: ArgumentHelp("What a voxel value stands for: category (see --values) or object (1, 2, ... in the order of objects).", valueName: "kind"))
    var labels: LabelVolumeConverter.Labels = .category

    @Option(help: ArgumentHelp("A category's value: index (its class index, its position in categories, FLaVor's numbering: Background 0, the first structure 1; counted from 1 when category 0 is itself a structure), sequential (1, 2, ... over the categories that take a value) or a JSON file of names and values ({\"Liver\": 1}).", valueName: "index|sequential|FILE.json"))
    var values: ValuesOption = .index

    @Flag(help: "Supercategories and display: false categories take values too (by default they take none, and an object takes its first category that has one).")
    var includeHidden = false

    @Option(help: ArgumentHelp("Where structures overlap: last (the later annotation in the file goes over, the default), first (the earlier one stays) or error (exit 1). The voxels concerned are counted either way.", valueName: "rule"))
    var overlap: PolygonRasterizer.OverlapRule = .last

    @Flag(help: "A 4D volume, one channel of 0 and 1 per value (ascending): overlapping structures each keep all their voxels.")
    var multiLabel = false

    @Option(help: ArgumentHelp("Instead of -o: one volume of 0 and 1 per value in this (existing) directory, VALUE-NAME.nii.gz, and the table as labels.json: overlapping structures each keep all their voxels.", valueName: "dir"), completion: .directory)
    var split: String?

    @Option(help: ArgumentHelp("A NIfTI of the image series (.nii or .nii.gz): the volume takes its size, voxel size, orientation and origin (qform and sform), so that the labels overlay it. Its slice count must be the number of images.", valueName: "scan.nii"), completion: .file())
    var reference: String?

    @Option(help: ArgumentHelp("Voxel size in millimetres, written to the header (without --reference), e.g. 0.7,0.7,5.", valueName: "X,Y,Z"))
    var spacing: Spacing?

    @Option(help: ArgumentHelp("How images become slices: index (sorted by index; two images with one index are an error), index-then-file (ties in file order) or file (file order).", valueName: "order"))
    var sliceOrder: LabelVolumeConverter.SliceOrder = .index

    @Option(help: ArgumentHelp("zlib level for .nii.gz, 1 (fastest) to 9 (smallest).", valueName: "level"))
    var compressionLevel = Count(6)
}

extension LabelVolumeConverter.Labels: ExpressibleByArgument {}
extension LabelVolumeConverter.SliceOrder: ExpressibleByArgument {}
extension PolygonRasterizer.OverlapRule: ExpressibleByArgument {}

/// `--values`: a numbering, or the path of a name map.
enum ValuesOption: ExpressibleByArgument, Equatable {
    case index, sequential
    case file(String)

    init?(argument: String) {
        switch argument {
        case "index": self = .index
        case "sequential": self = .sequential
        case "": return nil
        default: self = .file(argument)
        }
    }

    func numbering() throws -> LabelNumbering {
        switch self {
        case .index: .index
        case .sequential: .sequential
        case .file(let path): try LabelNumbering.names(readingFile: path)
        }
    }
}

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
    /// The slice memory: 24 MiB, or `--memory-limit` when larger.
    static let sliceMemory = 24 << 20

    /// `convert --to nifti`: the label volume, and its value table beside it as JSON.
    func convertToNifti() throws {
        if nifti.split != nil && (destination.output != nil || nifti.multiLabel) {
            throw ValidationError("--split DIR writes its volumes in DIR: give it without -o and --multi-label")
        }
        guard let path = nifti.split ?? destination.output, nifti.split != nil || path.hasSuffix(".nii") || path.hasSuffix(".nii.gz") else {
            throw ValidationError("--to nifti writes a file: give -o PATH ending in .nii or .nii.gz (or --split DIR)")
        }
        guard (1...9).contains(nifti.compressionLevel.value) else {
            throw ValidationError("--compression-level: 1 to 9, not \(nifti.compressionLevel.value)")
        }
        if nifti.labels == .object && nifti.values != .index {
            throw ValidationError("--values numbers categories; --labels object numbers the objects 1, 2, ...")
        }
        if nifti.reference != nil && nifti.spacing != nil {
            throw ValidationError("--spacing and --reference: the reference gives the voxel size; give one")
        }
        let progress = input.makeProgress()
        let total = regularFileSize(input)
        var last = 0
        do {
            let spacing = nifti.spacing.map { (x: $0.x, y: $0.y, z: $0.z) } ?? (1, 1, 1)
            var converter = LabelVolumeConverter(labels: nifti.labels, imageSize: imageSize.map { (width: $0.width, height: $0.height) },
                                                 spacing: spacing, parserOptions: input.parserOptions(),
                                                 compressionLevel: Int32(nifti.compressionLevel.value))
            converter.numbering = try nifti.values.numbering()
            converter.includeHidden = nifti.includeHidden
            converter.overlap = nifti.overlap
            converter.layout = nifti.split != nil ? .split : nifti.multiLabel ? .channels : .labels
            converter.sliceOrder = nifti.sliceOrder
            converter.reference = try nifti.reference.map { try NiftiReference(path: $0) }
            converter.cacheBytes = max(Self.sliceMemory, input.memoryLimit)
            let source = try RereadableInput(input.input, options: input.parserOptions()) { progress?.update(bytes: $0, total: nil) }
            let volume = try converter.prepare(passes: { try source.pass() }, to: path) { _, bytes in
                last = bytes
                progress?.update(bytes: bytes, total: total ?? source.size)
            }
            let summary = volume.summary
            let table = nifti.split.map { $0.hasSuffix("/") ? $0 + "labels.json" : $0 + "/labels.json" } ?? Self.labelTablePath(for: path)
            // Both written whole before either is renamed (an error in the table leaves the old
            // volume and table as they were); the table first, so that a new volume never
            // appears without its table; no signal between the renames.
            let written = try LabelTable(summary: summary, converter: converter).written(to: table)
            try TerminationCleanup.deferringSignals {
                try written.commit()
                try volume.commit()
            }
            progress?.finish(bytes: last, total: total ?? source.size)
            printNote(summary, path: path, table: table, always: progress != nil)
        } catch let error as LabelVolumeError {
            progress?.finish(bytes: last, total: nil, succeeded: false)
            printError("aicoco convert: \(input.displayName): \(error.description)")
            throw ExitCode(error.kind == .input ? ExitStatus.invalidInput : ExitStatus.cannotRead)
        } catch {
            progress?.finish(bytes: last, total: nil, succeeded: false)
            throw report(error, file: input.displayName)
        }
    }

    /// What was written, and what was left out, on standard error (always when something was).
    func printNote(_ summary: LabelVolumeConverter.Summary, path: String, table: String, always: Bool) {
        let plan = summary.plan
        var note = "aicoco convert: \(path): " + (summary.files.isEmpty ? "" : "\(summary.files.count) volumes of ") + "\(summary.width)x\(summary.height)x\(summary.slices)"
            + (summary.channels > 1 ? "x\(summary.channels)" : "") + " \(summary.voxelType)\(summary.nifti2 ? " (NIfTI-2: a size past 32767)" : ""), \(summary.labels.count) \(nifti.labels.rawValue) labels (table in \(table)), \(summary.filled) annotations filled"
        var warn = false
        if summary.skippedNoLabel > 0 {
            let hidden = plan?.valueless.map { JSONText.quoted($0.name) }.joined(separator: ", ") ?? ""
            note += "; skipped \(summary.skippedNoLabel) annotations whose object takes no value" + (hidden.isEmpty ? "" : " (categories without one: \(hidden); see --include-hidden, --values)")
            warn = true
        }
        if let unknown = plan?.unknownNames, !unknown.isEmpty {
            note += "; --values names no category called \(unknown.map { JSONText.quoted($0) }.joined(separator: ", "))"
            warn = true
        }
        if summary.skippedUnknownImage > 0 { note += "; skipped \(summary.skippedUnknownImage) annotations of unknown images"; warn = true }
        if !summary.overlaps.isEmpty {
            let voxels = summary.overlaps.values.reduce(0, +)
            let verb = nifti.overlap == .last ? "painted over" : "left to"
            note += "; \(voxels) voxels where structures overlap (\(verb) the earlier value: --overlap, --multi-label)"
            warn = true
        }
        if summary.sliceReloads > 0 { note += "; \(summary.sliceReloads) slices read back (their annotations were apart)" }
        if always || warn { printError(note) }
    }

    /// `labels.nii.gz` -> `labels.labels.json`.
    static func labelTablePath(for path: String) -> String {
        let stem = path.hasSuffix(".nii.gz") ? String(path.dropLast(7)) : String(path.dropLast(4))
        return stem + ".labels.json"
    }
}
