import AiCOCO
import ArgumentParser

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw one slice's segmentation as an SVG picture: its polygons filled with their categories' colors, and a legend.",
        usage: "aicoco render --index N -o slice.svg [<options>] [<file>]",
        discussion: """
        The canvas is the image's size (from its width and height, else --image-size), black; each contour is drawn through the centres of its pixels, filled and outlined one pixel wide in the color of its object's first category (the category's color field, else a fixed palette by category order), so that it covers the pixels cv2.fillPoly fills; annotations are drawn in file order. The legend, top left, names the categories on the slice. A browser shows it (chromium --headless --screenshot=slice.png slice.svg makes a PNG). Two passes; standard input is first copied to a temporary file.

        Examples:
          aicoco render --index 20 --image-size 512x512 \\
            -o slice.svg Fixtures/flavor/flavor-seg3d-smooth.json
          aicoco render --index 0 --image-size 512x512 -o - \\
            Fixtures/flavor/flavor-seg2d.json > slice.svg
        """
    )

    @OptionGroup var input: InputOptions

    @Option(help: ArgumentHelp("The slice: the image whose index is N.", valueName: "N"))
    var index: Double

    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("The SVG file to write, or - for standard output.", valueName: "path"),
            completion: .file(extensions: ["svg"]))
    var output: String

    @Option(help: ArgumentHelp("Width and height of images that do not say, e.g. 512x512.", valueName: "WxH"))
    var imageSize: ImageSize?

    func run() throws {
        do {
            let source = try RereadableInput(input.input)
            let options = input.parserOptions()
            let catalog = try SegmentationCatalog(reading: try source.pass(), options: options)
            let matches = catalog.images.filter { $0.index == index }
            guard let image = matches.first else {
                let indices = catalog.images.map(\.index)
                let range = indices.isEmpty ? "the file has no images" : "indices run from \(JSONText.number(indices.min()!)) to \(JSONText.number(indices.max()!))"
                throw ValidationError("no image has index \(JSONText.number(index)): \(range)")
            }
            let width = image.width ?? imageSize?.width, height = image.height ?? imageSize?.height
            guard let width, let height else {
                throw ValidationError("image \(JSONText.quoted(image.id)) has no width/height (nor dicom Columns/Rows): give the size with --image-size WxH")
            }
            let reader = AiCOCORecordReader(try source.pass(), options: RecordReaderOptions(parser: options))
            var annotations: [AiAnnotation] = []
            while let record = try reader.next() {
                if case .annotation(let annotation) = record, annotation.imageID == image.id { annotations.append(annotation) }
            }
            let svg = SliceDrawing(catalog: catalog, image: image, width: width, height: height,
                                   annotations: annotations, title: "\(input.displayName), index \(JSONText.number(index))").svg()
            // A file is written whole or not at all (a temporary file beside it, renamed).
            let replacing = output == "-" ? nil : try ReplacingFile(path: output)
            let file = replacing?.output ?? dataOutput()
            var text = svg
            try text.withUTF8 { try file.write(UnsafeRawBufferPointer($0)) }
            if let replacing { try replacing.commit() } else { try file.flush() }
            if matches.count > 1 {
                printError("aicoco render: \(matches.count) images have index \(JSONText.number(index)); drew the first, \(image.id)")
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw report(error, file: input.displayName)
        }
    }
}

/// One slice's annotations as SVG.
struct SliceDrawing {
    let catalog: SegmentationCatalog
    let image: SegmentationCatalog.Image
    let width: Int, height: Int
    let annotations: [AiAnnotation]
    let title: String

    /// Colors for categories without a valid `color` (Tableau 20, by category order).
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                          "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
                          "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"]
    /// Objects without a known category.
    static let noCategory = "#ffffff"

    /// The color of category number `position`: its `color` when that is #RGB or #RRGGBB.
    func color(ofCategory position: Int) -> String {
        if let color = catalog.categories[position].color, Self.isHexColor(color) { return color.lowercased() }
        return Self.palette[position % Self.palette.count]
    }

    static func isHexColor(_ text: String) -> Bool {
        let digits = text.utf8.dropFirst()
        return text.first == "#" && (digits.count == 3 || digits.count == 6)
            && digits.allSatisfy { (48...57).contains($0) || (65...70).contains($0) || (97...102).contains($0) }
    }

    /// The category position of an object (its first category), if known.
    func categoryPosition(ofObject id: String) -> Int? {
        catalog.objectPosition(id).flatMap { catalog.objects[$0].categoryIDs.first }.flatMap { catalog.categoryPosition($0) }
    }

    func svg() -> String {
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)">
        <title>\(xmlEscaped(title))</title>
        <rect x="0" y="0" width="\(width)" height="\(height)" fill="#000000"/>

        """
        var present: [Int] = []
        var unlabelled = false
        for annotation in annotations {
            guard let polygons = annotation.segmentation else { continue }
            let position = categoryPosition(ofObject: annotation.objectID)
            if let position, !present.contains(position) { present.append(position) }
            if position == nil { unlabelled = true }
            let fill = position.map { color(ofCategory: $0) } ?? Self.noCategory
            out += "<g id=\"\(xmlEscaped(annotation.id))\" data-object-id=\"\(xmlEscaped(annotation.objectID))\" fill=\"\(fill)\" stroke=\"\(fill)\" stroke-width=\"1\" stroke-linejoin=\"round\" stroke-linecap=\"square\">\n"
            for polygon in polygons where polygon.count >= 2 {
                var d = ""
                var index = polygon.startIndex
                while index + 1 < polygon.endIndex {
                    d += (d.isEmpty ? "M" : " L") + "\(JSONText.number(polygon[index] + 0.5)) \(JSONText.number(polygon[index + 1] + 0.5))"
                    index += 2
                }
                out += "<path d=\"\(d) Z\"/>\n"
            }
            out += "</g>\n"
        }
        out += legend(present.sorted(), unlabelled: unlabelled)
        out += "</svg>\n"
        return out
    }

    /// Swatches and names, top left, over a translucent box.
    private func legend(_ positions: [Int], unlabelled: Bool) -> String {
        var entries = positions.map { (color(ofCategory: $0), catalog.categories[$0].name) }
        if unlabelled { entries.append((Self.noCategory, "(no category)")) }
        guard !entries.isEmpty else { return "" }
        let longest = entries.map { $0.1.count }.max() ?? 0
        var out = "<g id=\"legend\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect x=\"4\" y=\"4\" width=\(quoted(28 + 7 * longest)) height=\(quoted(8 + 16 * entries.count)) fill=\"#000000\" fill-opacity=\"0.6\" stroke=\"#ffffff\" stroke-opacity=\"0.5\"/>\n"
        for (row, entry) in entries.enumerated() {
            let y = 8 + 16 * row
            out += "<rect x=\"8\" y=\(quoted(y + 2)) width=\"12\" height=\"12\" fill=\"\(entry.0)\"/>"
            out += "<text x=\"24\" y=\(quoted(y + 12)) fill=\"#ffffff\">\(xmlEscaped(entry.1))</text>\n"
        }
        return out + "</g>\n"
    }

    private func quoted(_ value: Int) -> String { "\"\(value)\"" }
}

/// `text` with XML's special characters escaped (for text and attribute values).
func xmlEscaped(_ text: String) -> String {
    var out = ""
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(character)
        }
    }
    return out
}
