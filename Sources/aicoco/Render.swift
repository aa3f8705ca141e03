import AiCOCO
import ArgumentParser

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw one slice's segmentation as an SVG picture: its polygons filled with their categories' colors, and a legend.",
        usage: "aicoco render --index N -o slice.svg [<options>] [<file>]",
        discussion: """
        The canvas is the image's size (from its width and height, else --image-size), black; each contour is drawn through the centres of its pixels, filled and outlined one pixel wide in the color of its object's first category (the category's color field, else a fixed palette by category order), so that it covers the pixels cv2.fillPoly fills; annotations are drawn in file order. Annotations without a segmentation (a detection output) have their boxes (bbox) drawn as outlines, 2 pixels wide. The legend, top left, names the categories on the slice. A browser shows it (chromium --headless --screenshot=slice.png slice.svg makes a PNG).\n\n        Two passes in constant memory: the first validates the document (on a problem nothing is written, exit 1), the second draws each annotation of the slice as it is read. The file is written whole or not at all (a temporary file beside it, renamed on success). Standard input is first copied to a temporary file.

        Examples:
          aicoco render --index 20 --image-size 512x512 \\
            -o slice.svg series.json
          aicoco render --index 0 --image-size 512x512 -o - \\
            image.json > slice.svg
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
        var replacing: ReplacingFile?
        do {
            var options = input.parserOptions(memoryLimit: input.memoryLimit)
            let source = try RereadableInput(input.input, options: options)
            // The first pass validates: on a problem, nothing is written.
            options.validate = true
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
            // The second pass draws each annotation of the slice as it is read (constant memory),
            // into a temporary file beside the output, renamed over it at the end.
            let file: FileOutput
            if output == "-" {
                file = dataOutput()
            } else {
                StandardStreams.ignoreBrokenPipe()
                replacing = try ReplacingFile(path: output)
                file = replacing!.output
            }
            var drawing = SliceDrawing(catalog: catalog, image: image, width: width, height: height,
                                       title: "\(input.displayName), index \(JSONText.number(index))", output: file)
            try drawing.begin()
            let reader = RecordReader(try source.pass(), options: RecordReader.Options(parser: input.parserOptions()))
            let key = RecordID(image.id)
            while let record = try reader.next() {
                if case .annotation(let annotation) = record, annotation.imageKey == key { try drawing.draw(annotation) }
            }
            try drawing.end()
            if let replacing { try replacing.commit() } else { try file.flush() }
            if matches.count > 1 {
                printError("aicoco render: \(matches.count) images have index \(JSONText.number(index)); drew the first, \(image.id)")
            }
            if drawing.nonFinite > 0 {
                printError("aicoco render: left out \(drawing.nonFinite) contours or boxes with a NaN or infinite coordinate")
            }
            if drawing.boxes > 0 && drawing.polygons == 0 {
                printError("aicoco render: the slice has no segmentation: drew its \(drawing.boxes) boxes (bbox) as outlines")
            }
        } catch let error as ValidationError {
            replacing?.discard()
            throw error
        } catch {
            replacing?.discard()
            throw report(error, file: input.displayName)
        }
    }
}

/// One slice's annotations as SVG, written as they come: the canvas, each annotation's
/// contours (filled) or boxes (outlined), then the legend.
struct SliceDrawing {
    let catalog: SegmentationCatalog
    let image: SegmentationCatalog.Image
    let width: Int, height: Int
    let title: String
    let output: FileOutput
    /// Categories drawn (positions), and whether an object without one was.
    private var present: Set<Int> = []
    private var unlabelled = false
    /// Contours and boxes drawn.
    private(set) var polygons = 0
    private(set) var boxes = 0
    /// Contours and boxes left out for a non-finite coordinate (read with `--allow-nan`).
    private(set) var nonFinite = 0

    init(catalog: SegmentationCatalog, image: SegmentationCatalog.Image, width: Int, height: Int, title: String, output: FileOutput) {
        self.catalog = catalog
        self.image = image
        self.width = width
        self.height = height
        self.title = title
        self.output = output
    }

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

    private func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try output.write(UnsafeRawBufferPointer($0)) }
    }

    func begin() throws {
        try write("""
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)">
        <title>\(xmlEscaped(title))</title>
        <rect x="0" y="0" width="\(width)" height="\(height)" fill="#000000"/>

        """)
    }

    /// Draws one annotation: its contours through the centres of their pixels, filled; or,
    /// without a segmentation, its boxes outlined.
    mutating func draw(_ annotation: Annotation) throws {
        let polygons = annotation.segmentation
        let boxes = polygons == nil ? annotation.bbox ?? [] : []
        guard polygons != nil || !boxes.isEmpty else { return }
        let position = categoryPosition(ofObject: annotation.objectID)
        if let position { present.insert(position) } else { unlabelled = true }
        let tint = position.map { color(ofCategory: $0) } ?? Self.noCategory
        let fill = polygons == nil ? "none" : tint
        let stroke = polygons == nil ? "2" : "1"
        var out = "<g id=\"\(xmlEscaped(annotation.id))\" data-object-id=\"\(xmlEscaped(annotation.objectID))\" fill=\"\(fill)\" stroke=\"\(tint)\" stroke-width=\"\(stroke)\" stroke-linejoin=\"round\" stroke-linecap=\"square\">\n"
        for polygon in polygons ?? Polygons() where polygon.count >= 2 {
            guard polygon.allSatisfy(\.isFinite) else { nonFinite += 1; continue }
            out += "<path d=\""
            var index = polygon.startIndex
            var first = true
            while index + 1 < polygon.endIndex {
                out += (first ? "M" : " L") + "\(JSONText.number(polygon[index] + 0.5)) \(JSONText.number(polygon[index + 1] + 0.5))"
                first = false
                index += 2
                if out.utf8.count > 1 << 16 {
                    try write(out)
                    out = ""
                }
            }
            out += " Z\"/>\n"
            self.polygons += 1
        }
        for box in boxes {
            guard [box.x1, box.y1, box.x2, box.y2].allSatisfy(\.isFinite) else { nonFinite += 1; continue }
            out += "<rect x=\"\(JSONText.number(box.x1))\" y=\"\(JSONText.number(box.y1))\" width=\"\(JSONText.number(box.x2 - box.x1))\" height=\"\(JSONText.number(box.y2 - box.y1))\"/>\n"
            self.boxes += 1
        }
        out += "</g>\n"
        try write(out)
    }

    /// The legend (swatches and names, top left, over a translucent box) and the end.
    func end() throws {
        var entries = present.sorted().map { (color(ofCategory: $0), catalog.categories[$0].name) }
        if unlabelled { entries.append((Self.noCategory, "(no category)")) }
        var out = ""
        if !entries.isEmpty {
            let longest = entries.map { $0.1.count }.max() ?? 0
            out += "<g id=\"legend\" font-family=\"sans-serif\" font-size=\"12\">\n"
            out += "<rect x=\"4\" y=\"4\" width=\(quoted(28 + 7 * longest)) height=\(quoted(8 + 16 * entries.count)) fill=\"#000000\" fill-opacity=\"0.6\" stroke=\"#ffffff\" stroke-opacity=\"0.5\"/>\n"
            for (row, entry) in entries.enumerated() {
                let y = 8 + 16 * row
                out += "<rect x=\"8\" y=\(quoted(y + 2)) width=\"12\" height=\"12\" fill=\"\(entry.0)\"/>"
                out += "<text x=\"24\" y=\(quoted(y + 12)) fill=\"#ffffff\">\(xmlEscaped(entry.1))</text>\n"
            }
            out += "</g>\n"
        }
        try write(out + "</svg>\n")
    }

    private func quoted(_ value: Int) -> String { "\"\(value)\"" }
}

/// `text` with XML's special characters escaped (for text and attribute values), scalar by
/// scalar: an `&` followed by a combining mark is one `Character`, but still an ampersand.
func xmlEscaped(_ text: String) -> String {
    escaped(text) { scalar in
        switch scalar {
        case "&": "&amp;"
        case "<": "&lt;"
        case ">": "&gt;"
        case "\"": "&quot;"
        case "'": "&apos;"
        case "\t", "\n", "\r": nil
        case "\u{0}"..."\u{1F}", "\u{FFFE}", "\u{FFFF}": "\u{FFFD}" // XML 1.0 forbids them
        default: nil
        }
    }
}
