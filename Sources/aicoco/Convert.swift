import AiCOCO
import ArgumentParser

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert an AiCOCO file to standard COCO detection/segmentation JSON (pycocotools' COCO), or its segmentation to a NIfTI-1 label volume.",
        usage: "aicoco convert --to coco|nifti [-o <file>] [<options>] [<file>]",
        discussion: """
        Integer ids (1, 2, ... in file order) with the AiCOCO ids kept in "aicoco_id"; one COCO annotation per category of the annotation's object; the object's confidence as "score"; meta under info.aicoco_meta. The size of each image comes from its width and height fields (or dicom Columns and Rows), else from --image-size.

        --to coco: each annotation's contours are filled as cv2.fillPoly fills them (FLaVor's points are pixel centres), clipped to the image, and written so that pycocotools' annToMask gives exactly those pixels: --segmentation polygon (default) traces them along the pixels' outer corners, --segmentation rle writes pycocotools' compressed RLE. area is the pixel count, bbox [x, y, w, h] the pixels' box, iscrowd as in the file. Boxes-only annotations become rectangle polygons.

        --to nifti: one slice per image (sorted by index), a category's class index as its voxel value (its position in categories: FLaVor's Background, class 0, is 0; see --values), each annotation's contours filled exactly as cv2.fillPoly fills them, later annotations over earlier ones (--overlap, --multi-label). --reference scan.nii.gz gives the size and the affine of the scan. The input is validated first; the value table goes beside the volume as JSON (labels.nii.gz -> labels.labels.json) with the affine. Slices are written in place as their annotations come, in a slice memory of 24 MiB or --memory-limit; .nii.gz is compressed with zlib from a temporary file.

        One pass in constant memory: the converted annotations wait in a temporary file (in $TMPDIR, default /tmp) until the whole input is read and valid; an invalid input writes nothing.

        Examples:
          aicoco convert --to coco --image-size 512x512 \\
            series.json > coco.json
          aicoco convert --to nifti --image-size 512x512 \\
            --spacing 0.7,0.7,5 -o labels.nii.gz \\
            series.json
          aicoco generate --bytes 50M \\
            | aicoco convert --to coco --image-size 512x512 - \\
            | jq '.annotations | length'
        """
    )

    enum Target: String, ExpressibleByArgument, CaseIterable {
        case coco
        case nifti
    }

    @OptionGroup var input: InputOptions

    @OptionGroup var destination: OutputOptions

    @Option(help: ArgumentHelp("Output format.", valueName: "format"))
    var to: Target

    @Option(help: ArgumentHelp("Width and height of images that do not say, e.g. 512x512.", valueName: "WxH"))
    var imageSize: ImageSize?

    @Flag(help: "Indent by 2 spaces.")
    var pretty = false

    @Option(help: ArgumentHelp("COCO segmentation of annotations with contours: polygons along the pixels' outer corners, or pycocotools' compressed RLE (both read back to the contours' pixels).", valueName: "polygon|rle"))
    var segmentation: COCOConverter.SegmentationForm = .polygon

    @OptionGroup var threading: ThreadOptions

    @OptionGroup(title: "NIfTI (--to nifti)")
    var nifti: NiftiOptions

    func run() throws {
        if to == .nifti { return try convertToNifti() }
        let size = imageSize.map { (width: $0.width, height: $0.height) }
        let output: Destination
        do { output = try destination.open() } catch { throw report(error, file: input.displayName) }
        defer { output.discard() }
        let json = JSONWriter(pretty: pretty, output: output.output)
        let progress = input.makeProgress()
        let total = regularFileSize(input)
        var converter = COCOConverter(parserOptions: input.parserOptions(memoryLimit: input.memoryLimit), imageSize: size, pretty: pretty,
                                      segmentation: segmentation)
        converter.split = threading.split
        var last = 0
        do {
            let summary = try converter.convert(input.input, to: json) { bytes in
                last = bytes
                progress?.update(bytes: bytes, total: total)
            }
            try json.endLine()
            try json.flush()
            try output.commit()
            progress?.finish(bytes: last, total: total)
            if progress != nil || summary.skippedNoCategory + summary.skippedNoGeometry + summary.skippedOutsideImage > 0 {
                printError("aicoco convert: \(summary.images) images, \(summary.categories) categories, \(summary.annotations) COCO annotations"
                    + (summary.skippedNoCategory > 0 ? "; skipped \(summary.skippedNoCategory) annotations whose object has no category" : "")
                    + (summary.skippedNoGeometry > 0 ? "; skipped \(summary.skippedNoGeometry) annotations with neither bbox nor polygon" : "")
                    + (summary.skippedOutsideImage > 0 ? "; skipped \(summary.skippedOutsideImage) annotations whose contours have no pixel inside their image" : ""))
            }
        } catch {
            progress?.finish(bytes: last, total: nil, succeeded: false)
            throw report(error, file: input.displayName)
        }
    }
}

extension COCOConverter.SegmentationForm: ExpressibleByArgument {}
