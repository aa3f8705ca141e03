import AiCOCO
import ArgumentParser

struct Measure: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a segmentation: for each object and each category, the slices it spans, its area per slice and its volume.",
        usage: "aicoco measure [--spacing X,Y,Z] [--format csv|json] [<options>] [<file>]",
        discussion: """
        Areas are counted on the label volume the annotations paint, the one convert --to nifti writes: each annotation's contours filled exactly as cv2.fillPoly fills them, annotations in file order, a later one over an earlier one (so a lesion drawn inside the liver's outer contour takes its pixels from the liver). A category's area adds up its objects'. Volumes are in voxels (pixels over all slices); with --spacing, areas are also given in mm^2 and volumes in mL.

        One pass in bounded memory (a few slices, and the areas found), whatever the order of the sections, when the annotations of a slice come together as FLaVor writes them; slices whose annotations are apart are measured again by further passes. Standard input is first copied to a temporary file.

        CSV columns: scope (object or category), id, name (for an object, its categories' names), index (the slice's image index; empty on the structure's total row), image_id, pixels, area_mm2, voxels, volume_ml.

        Examples:
          aicoco measure --image-size 512x512 \\
            --spacing 0.7,0.7,5 \\
            Fixtures/flavor/flavor-seg3d-smooth.json
          aicoco measure --format json --image-size 512x512 \\
            series.json | jq '.categories[] | {name, volume_ml}'
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case csv, json
    }

    @OptionGroup var input: InputOptions

    @Option(help: ArgumentHelp("Voxel size in millimetres, e.g. 0.7,0.7,5: adds mm^2 and mL.", valueName: "X,Y,Z"))
    var spacing: Spacing?

    @Option(help: ArgumentHelp("Output format.", valueName: "format"))
    var format: Format = .csv

    @Option(help: ArgumentHelp("Width and height of images that do not say, e.g. 512x512.", valueName: "WxH"))
    var imageSize: ImageSize?

    func run() throws {
        let progress = input.makeProgress()
        let total = regularFileSize(input)
        let measure = SegmentationMeasure(imageSize: imageSize.map { (width: $0.width, height: $0.height) },
                                          parserOptions: input.parserOptions())
        var last = 0
        let result: SegmentationMeasurement
        do {
            let source = try RereadableInput(input.input) { progress?.update(bytes: $0, total: nil) }
            result = try measure.measure(passes: { try source.pass() }) { _, bytes in
                last = bytes
                progress?.update(bytes: bytes, total: total ?? source.size)
            }
            progress?.finish(bytes: last, total: total ?? source.size)
            let output = dataOutput()
            switch format {
            case .csv: try writeCSV(result, to: output)
            case .json: try writeJSON(result, to: output)
            }
            try output.flush()
        } catch {
            progress?.finish(bytes: last, total: nil, succeeded: false)
            throw report(error, file: input.displayName)
        }
        if !result.unknownImageIDs.isEmpty {
            printError("aicoco measure: left out the pixels of \(result.unknownImageIDs.count) images the file does not define (first: \(result.unknownImageIDs[0]))")
        }
        if result.slicesMeasuredAgain > 0 {
            printError("aicoco measure: the annotations of \(result.slicesMeasuredAgain) slices were apart in the file: \(result.passes) passes")
        }
    }

    private var squareMillimetres: Double? { spacing.map { $0.x * $0.y } }
    private var millilitres: Double? { spacing.map { $0.x * $0.y * $0.z / 1000 } }

    /// `pixels` in mm^2, to 1e-4 mm^2.
    private func area(_ pixels: Int) -> Double? { squareMillimetres.map { (Double(pixels) * $0 * 1e4).rounded() / 1e4 } }
    /// `voxels` in mL, to 1e-6 mL (a cubic millimetre is 1e-3 mL).
    private func volume(_ voxels: Int) -> Double? { millilitres.map { (Double(voxels) * $0 * 1e6).rounded() / 1e6 } }

    private func writeJSON(_ result: SegmentationMeasurement, to output: FileOutput) throws {
        let json = JSONWriter(pretty: true, output: output)
        try json.beginObject()
        try json.key("spacing")
        if let spacing {
            try json.beginArray(); try json.number(spacing.x); try json.number(spacing.y); try json.number(spacing.z); try json.endArray()
        } else {
            try json.null()
        }
        for (key, structures) in [("objects", result.objects), ("categories", result.categories)] {
            try json.key(key)
            try json.beginArray()
            for structure in structures {
                try json.beginObject()
                if key == "objects" {
                    try json.key("object_id"); try json.string(structure.id)
                    try json.key("category_ids"); try json.beginArray()
                    for id in structure.categoryIDs { try json.string(id) }
                    try json.endArray()
                } else {
                    try json.key("category_id"); try json.string(structure.id)
                    try json.key("objects"); try json.number(structure.objects)
                }
                try json.key("name"); try json.string(structure.name)
                try json.key("slice_count"); try json.number(structure.slices.count)
                try json.key("first_index"); if let range = structure.indexRange { try json.number(range.lowerBound) } else { try json.null() }
                try json.key("last_index"); if let range = structure.indexRange { try json.number(range.upperBound) } else { try json.null() }
                try json.key("voxels"); try json.number(structure.voxels)
                if let volume = volume(structure.voxels) { try json.key("volume_ml"); try json.number(volume) }
                try json.key("slices")
                try json.beginArray()
                for slice in structure.slices {
                    try json.beginObject()
                    try json.key("index"); try json.number(slice.index)
                    try json.key("image_id"); try json.string(slice.imageID)
                    try json.key("pixels"); try json.number(slice.pixels)
                    if let area = area(slice.pixels) { try json.key("area_mm2"); try json.number(area) }
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

    private func writeCSV(_ result: SegmentationMeasurement, to output: FileOutput) throws {
        var text = "scope,id,name,index,image_id,pixels,area_mm2,voxels,volume_ml\n"
        func flush() throws {
            try text.withUTF8 { try output.write(UnsafeRawBufferPointer($0)) }
            text.removeAll(keepingCapacity: true)
        }
        for (scope, structures) in [("object", result.objects), ("category", result.categories)] {
            for structure in structures {
                let head = "\(scope),\(csvField(structure.id)),\(csvField(structure.name)),"
                for slice in structure.slices {
                    text += head + "\(JSONText.number(slice.index)),\(csvField(slice.imageID)),\(slice.pixels),"
                    text += (area(slice.pixels).map { JSONText.number($0) } ?? "") + ",,\n"
                }
                text += head + ",,,,\(structure.voxels)," + (volume(structure.voxels).map { JSONText.number($0) } ?? "") + "\n"
                if text.utf8.count > 1 << 16 { try flush() }
            }
        }
        try flush()
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
    var quoted = "\""
    for character in text {
        if character == "\"" { quoted += "\"" }
        quoted.append(character)
    }
    return quoted + "\""
}
