import AiCOCO
import ArgumentParser

struct Measure: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a segmentation: each object and each category on its own mask (slices, area per slice, volume), and the pairs that overlap.",
        usage: "aicoco measure [--spacing X,Y,Z] [--format csv|json] [<options>] [<file>]",
        discussion: """
        Each structure is measured on its own mask, whatever else overlaps it: an annotation's mask is cv2.fillPoly of all its contours together (one call, as FLaVor and cv2 fill a list of contours), an object's mask on a slice the union of its annotations', a category's the union of its objects'. Pairs of objects, and of categories, whose masks share pixels are listed with the shared pixels per slice and in total (standard error says how many). Volumes are in voxels (pixels over all slices); with --spacing, areas are also given in mm^2 and volumes in mL.

        One validating pass, in any order of sections and annotations: invalid input (as validate rejects it) exits 1 and writes nothing; a file whose annotations are boxes only exits 1, and so does one with a NaN or infinite coordinate in a segmentation (read under --allow-nan: it is no pixel). Contours are spilled by image to temporary files past --memory-limit and read back slice by slice; each slice is painted on a canvas of 4 bytes a pixel, or, when that does not fit the slice buffer (the memory limit, at least 32 MiB), its pixel runs are swept row by row (16 bytes a run; a slice needing more is an error, exit 2). Contours are clipped to the image. With --threads N (default: the cores), N threads read a big regular file (its annotations split among them, their contours handed to the calling thread in file order), then N threads paint slices, each on its own canvas, while the calling thread reads them back and writes their counts in order: the same bytes whatever N.

        CSV columns: scope (object, category, object_overlap or category_overlap), id, name (for an object, its categories' names), index (the slice's image index; empty on the total row), image_id, pixels, area_mm2, voxels, volume_ml, with_id and with_name (an overlap's second structure). JSON: objects, categories, object_overlaps, category_overlaps.

        Examples:
          aicoco measure --image-size 512x512 \\
            --spacing 0.7,0.7,5 \\
            series.json
          aicoco measure --format json --image-size 512x512 \\
            series.json | jq '.categories[] | {name, volume_ml}'
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case csv, json
    }

    @OptionGroup var input: InputOptions

    @OptionGroup var threading: ThreadOptions

    @Option(help: ArgumentHelp("Voxel size in millimetres, e.g. 0.7,0.7,5: adds mm^2 and mL.", valueName: "X,Y,Z"))
    var spacing: Spacing?

    @Option(help: ArgumentHelp("Output format.", valueName: "format"))
    var format: Format = .csv

    @Option(help: ArgumentHelp("Width and height of images that do not say, e.g. 512x512.", valueName: "WxH"))
    var imageSize: ImageSize?

    func run() throws {
        let progress = input.makeProgress()
        let total = regularFileSize(input)
        var measure = SegmentationMeasure(imageSize: imageSize.map { (width: $0.width, height: $0.height) },
                                          parserOptions: input.parserOptions(memoryLimit: input.memoryLimit))
        measure.threads = threading.count
        measure.split = threading.split
        // The CSV adds up the pairs' summaries as it writes their rows: no totals of them first.
        measure.defersPairTotals = format == .csv
        var last = 0
        let result: SegmentationMeasurement
        do {
            result = try measure.measure(input.input) { bytes in
                last = bytes
                progress?.update(bytes: bytes, total: total)
            }
            progress?.finish(bytes: last, total: total)
            let output = dataOutput()
            switch format {
            case .csv: try writeCSV(result, to: output)
            case .json: try writeJSON(result, to: output)
            }
            try output.flush()
        } catch let error as SegmentationMeasure.NonFiniteCoordinate {
            throw failure(error, progress: progress, bytes: last, file: input.displayName,
                          known: SegmentationMeasure.NonFiniteCoordinate.self, status: ExitStatus.invalidInput) {
                "aicoco measure: \(input.displayName): \($0)"
            }
        } catch {
            throw failure(error, progress: progress, bytes: last, file: input.displayName,
                          known: SegmentationMeasure.NoSegmentation.self, status: ExitStatus.invalidInput) {
                "aicoco measure: \(input.displayName): \($0)"
            }
        }
        if !result.unknownImageIDs.isEmpty {
            printError("aicoco measure: left out the pixels of \(result.unknownImageIDs.count) images the file does not define (first: \(result.unknownImageIDs[0]))")
        }
        for (scope, overlaps) in [("objects", result.objectOverlapSummary), ("categories", result.categoryOverlapSummary)] where overlaps.pairs > 0 {
            printError("aicoco measure: \(overlaps.pairs) \(overlaps.pairs == 1 ? "pair" : "pairs") of \(scope) overlap (\(overlaps.voxels) voxels shared; each is measured on its own mask): see the \(scope == "objects" ? "object" : "category")_overlap\(format == .csv ? " rows" : "s")")
        }
    }

    /// One entry of a list: its scope, positions and identity fields.
    private struct Entry {
        var scope: SegmentationMeasurement.Scope
        var first: Int, second: Int
        var totals: SegmentationMeasurement.Totals
    }

    /// The lists, in the order they are written.
    private static let lists: [(key: String, scope: SegmentationMeasurement.Scope)] =
        [("objects", .object), ("categories", .category), ("object_overlaps", .objectOverlap), ("category_overlaps", .categoryOverlap)]

    /// Each entry of `scope`'s list in turn: structures from memory, pairs read back from their
    /// totals (`pairs`, read list after list); objects with their totals.
    private func forEachEntry(of scope: SegmentationMeasurement.Scope, in result: SegmentationMeasurement,
                              pairs: SegmentationMeasurement.OverlapRows, _ body: (Entry) throws -> Void) throws {
        switch scope {
        case .object:
            for position in 0..<result.objectCount {
                let totals = try result.objectTotals(position)
                try body(Entry(scope: scope, first: position, second: 0, totals: totals))
            }
        case .category:
            for (position, structure) in result.categories.enumerated() {
                try body(Entry(scope: scope, first: position, second: 0, totals: structure.totals))
            }
        case .objectOverlap, .categoryOverlap:
            while let pair = try pairs.next(scope: scope) {
                try body(Entry(scope: scope, first: pair.first, second: pair.second, totals: pair.totals))
            }
        }
    }

    /// The id and name of the structure at `position` in the list of `scope` (or of its pairs).
    private func identity(_ result: SegmentationMeasurement, _ scope: SegmentationMeasurement.Scope,
                          _ position: Int) -> (id: String, name: String) {
        if scope == .object || scope == .objectOverlap { return result.objectIdentity(position) }
        return (result.categories[position].id, result.categories[position].name)
    }

    private func writeJSON(_ result: SegmentationMeasurement, to output: FileOutput) throws {
        let json = JSONWriter(pretty: true, output: output)
        let units = MeasureUnits(spacing)
        try result.totalObjects()
        let rows = try result.slices(), pairs = try result.overlaps()
        try json.beginObject()
        try json.key("spacing")
        if let spacing {
            try json.beginArray(); try json.number(spacing.x); try json.number(spacing.y); try json.number(spacing.z); try json.endArray()
        } else {
            try json.null()
        }
        for (key, scope) in Self.lists {
            try json.key(key)
            try json.beginArray()
            try forEachEntry(of: scope, in: result, pairs: pairs) { entry in
                try json.beginObject()
                switch entry.scope {
                case .object:
                    let structure = try result.object(at: entry.first)
                    try json.key("object_id"); try json.string(structure.id)
                    try json.key("category_ids"); try json.beginArray()
                    for id in structure.categoryIDs { try json.string(id) }
                    try json.endArray()
                    try json.key("name"); try json.string(structure.name)
                case .category:
                    let structure = result.categories[entry.first]
                    try json.key("category_id"); try json.string(structure.id)
                    try json.key("objects"); try json.number(structure.objects)
                    try json.key("name"); try json.string(structure.name)
                case .objectOverlap, .categoryOverlap:
                    let first = identity(result, entry.scope, entry.first), second = identity(result, entry.scope, entry.second)
                    try json.key(entry.scope == .objectOverlap ? "object_ids" : "category_ids")
                    try json.beginArray(); try json.string(first.id); try json.string(second.id); try json.endArray()
                    try json.key("names")
                    try json.beginArray(); try json.string(first.name); try json.string(second.name); try json.endArray()
                }
                let totals = entry.totals
                try json.key("slice_count"); try json.number(totals.sliceCount)
                try json.key("first_index"); if let range = totals.indexRange { try json.number(range.lowerBound) } else { try json.null() }
                try json.key("last_index"); if let range = totals.indexRange { try json.number(range.upperBound) } else { try json.null() }
                try json.key("voxels"); try json.number(totals.voxels)
                if let volume = units.volume(totals.voxels) { try json.key("volume_ml"); try json.number(volume) }
                try json.key("slices")
                try json.beginArray()
                while let slice = try rows.nextRow(scope: entry.scope, first: entry.first, second: entry.second) {
                    try json.beginObject()
                    try json.key("index"); try json.number(slice.index)
                    try json.key("image_id"); try json.string(result.imageID(slice.image))
                    try json.key("pixels"); try json.number(slice.pixels)
                    if let area = units.area(slice.pixels) { try json.key("area_mm2"); try json.number(area) }
                    try json.endObject()
                }
                try json.endArray()
                try json.endObject()
            }
            try json.endArray()
        }
        try json.endObject()
        try json.endLine()
    }

    /// The CSV: the objects' list, then the categories' and the pairs' (with more than one
    /// thread, written meanwhile by a thread of their own to a temporary file, then appended).
    private func writeCSV(_ result: SegmentationMeasurement, to output: FileOutput) throws {
        var lines = MeasureCSVLines(result, units: MeasureUnits(spacing))
        try output.write(MeasureCSVLines.header)
        var later: SpooledOutput?
        if threading.count > 1 {
            let laterLines = lines
            later = try? SpooledOutput { spool, output in
                var lines = laterLines
                let summaries = try lines.writeLater(rows: try result.laterSlices(), to: output) { spool.isStopped }
                result.noteOverlapSummaries(objects: summaries.objects, categories: summaries.categories)
            }
        }
        var finished = false
        defer { if !finished { later?.stop() } }
        try lines.writeObjects(rows: try result.objectSlices(), to: output)
        finished = true
        if let later {
            try later.finish(appendingTo: output)
        } else {
            let summaries = try lines.writeLater(rows: try result.laterSlices(), to: output)
            result.noteOverlapSummaries(objects: summaries.objects, categories: summaries.categories)
        }
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
func csvField(_ text: String) -> String {
    guard text.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) else { return text }
    var quoted = "\""
    for character in text {
        if character == "\"" { quoted += "\"" }
        quoted.append(character)
    }
    return quoted + "\""
}
