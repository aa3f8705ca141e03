import AiCOCO
import ArgumentParser

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert an AiCOCO file to standard COCO detection/segmentation JSON (pycocotools' COCO).",
        discussion: """
        Integer ids (1, 2, ... in file order) with the AiCOCO ids kept in "aicoco_id";
        one COCO annotation per category of the annotation's object; bbox [x, y, w, h]
        (from the polygons when the AiCOCO bbox is null); area from the polygons; the
        object's confidence as "score"; meta under info.aicoco_meta. Image width/height
        come from the image's width/height (or dicom Columns/Rows) fields, else --image-size.
        Two passes in constant memory; standard input is first copied to a temporary file.

        Examples:
          aicoco convert --to coco --image-size 512x512 Fixtures/segmentation-series.json > coco.json
          aicoco convert --to coco --image-size 512x512 big.json | python3 -c 'import sys; from pycocotools.coco import COCO; ...'
          aicoco generate --bytes 50M | aicoco convert --to coco --image-size 512x512 --progress - | jq '.annotations | length'
        """
    )

    enum Target: String, ExpressibleByArgument, CaseIterable {
        case coco
    }

    @OptionGroup var input: InputOptions

    @Option(help: "Output format (coco).")
    var to: Target

    @Option(help: ArgumentHelp("Width and height of images that do not say, e.g. 512x512.", valueName: "WxH"))
    var imageSize: String?

    @Flag(help: "Indent by 2 spaces.")
    var pretty = false

    func run() throws {
        var size: (Int, Int)?
        if let imageSize {
            let parts = imageSize.lowercased().split(separator: "x")
            guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0 else {
                throw ValidationError("--image-size: expected WxH, e.g. 512x512, not \(imageSize)")
            }
            size = (width, height)
        }
        let output = dataOutput()
        let json = JSONWriter(pretty: pretty, output: output)
        let progress = input.makeProgress()
        let total = regularFileSize(input)
        let converter = COCOConverter(parserOptions: ParserOptions(limits: input.limits), imageSize: size, pretty: pretty)
        var last = 0
        do {
            let source = try RereadableInput(input.input) { progress?.update(bytes: $0, total: nil) }
            let summary = try converter.convert(passes: { try source.pass() }, to: json) { _, bytes, _ in
                last = bytes
                progress?.update(bytes: bytes, total: total ?? source.size)
            }
            try json.endLine()
            try output.flush()
            progress?.finish(bytes: last, total: total ?? source.size)
            if progress != nil || summary.skippedNoCategory + summary.skippedNoGeometry > 0 {
                printError("aicoco convert: \(summary.images) images, \(summary.categories) categories, \(summary.annotations) COCO annotations"
                    + (summary.skippedNoCategory > 0 ? "; skipped \(summary.skippedNoCategory) annotations whose object has no category" : "")
                    + (summary.skippedNoGeometry > 0 ? "; skipped \(summary.skippedNoGeometry) annotations with neither bbox nor polygon" : ""))
            }
        } catch {
            progress?.finish(bytes: last, total: nil)
            throw report(error, file: input.displayName)
        }
    }
}
