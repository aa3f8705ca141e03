import AiCOCO
import ArgumentParser

struct Filter: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a smaller, valid AiCOCO document: only some categories, objects, images or image indexes.",
        usage: "aicoco filter [<criteria>] [-o <file>] [<options>] [<file>]",
        discussion: """
        Objects are kept by --category (a category name; a supercategory's name selects its children too) or --object (id); images by --image (id) or --index (a range of image index: 10...20 keeps 10 to 20, 10:20 keeps 10 to 19 as a Python slice does; 10..., 10:, ...20, :20 or 7; the form 10..<20 is read too, quoted). Each option is repeatable (any match keeps); object and image criteria combine (both must hold). An annotation stays when its object and its image stay; with image criteria an object stays only if one of its annotations does. Referenced categories (and their supercategories) stay; regressions and meta are kept whole. Sections keep the input's order.

        Two or three passes in constant memory; standard input is copied to a temporary file first (in $TMPDIR, default /tmp). The document is validated on the first pass: on a problem, nothing is written.

        Examples:
          aicoco filter --category Liver \\
            series.json | aicoco stats -
          aicoco filter --index 10...20 --category Liver \\
            --category Spleen big.json > slices.json
          aicoco filter --object aWKiiWcgLTUVcM9WoiByk \\
            --pretty series.json
        """
    )

    @OptionGroup var input: InputOptions

    @OptionGroup var destination: OutputOptions

    @Option(name: .customLong("category"), help: ArgumentHelp("Keep objects of the category with this name.", valueName: "name"))
    var categories: [String] = []

    @Option(name: .customLong("object"), help: ArgumentHelp("Keep the object with this id.", valueName: "id"))
    var objects: [String] = []

    @Option(name: .customLong("image"), help: ArgumentHelp("Keep the image with this id.", valueName: "id"))
    var images: [String] = []

    @Option(name: .customLong("index"), help: ArgumentHelp("Keep images whose index is in this range (10...20 both ends in, 10:20 as a Python slice, 10..., ...20, 7).", valueName: "range"))
    var indexes: [IndexRange] = []

    @Flag(help: "Indent by 2 spaces.")
    var pretty = false

    func run() throws {
        var criteria = DocumentFilter.Criteria(categoryNames: Set(categories), objectIDs: Set(objects), imageIDs: Set(images))
        criteria.indexRanges = indexes.map(\.range)
        let output: Destination
        do { output = try destination.open() } catch { throw report(error, file: input.displayName) }
        defer { output.discard() }
        let writer = DocumentWriter(pretty: pretty, output: output.output)
        writer.json.allowsNonFinite = input.limitOptions.allowNan
        let progress = input.makeProgress()
        let total = regularFileSize(input)
        var options = DocumentParsing.Options(limits: input.limits, memoryLimit: input.memoryLimit)
        options.allowNonFinite = input.limitOptions.allowNan
        let filter = DocumentFilter(criteria: criteria, parserOptions: options)
        var last = 0
        do {
            let source = try RereadableInput(input.input, options: options) { progress?.update(bytes: $0, total: nil) }
            let summary = try filter.filter(passes: { try source.pass() }, to: writer) { _, bytes in
                last = bytes
                progress?.update(bytes: bytes, total: total ?? source.size)
            }
            try output.commit()
            progress?.finish(bytes: last, total: total ?? source.size)
            if !summary.unknownCategoryNames.isEmpty {
                printError("aicoco filter: no category is named " + summary.unknownCategoryNames.map { "\"\($0)\"" }.joined(separator: ", "))
            }
            if progress != nil {
                let counts = Section.allCases.filter { !$0.isSingleObject && summary.read[$0] != nil }.map {
                    "\($0.rawValue) \(summary.kept[$0] ?? 0)/\(summary.read[$0] ?? 0)"
                }
                printError("aicoco filter: kept " + counts.joined(separator: ", ") + " in \(summary.passes) passes")
            }
        } catch {
            throw failure(error, progress: progress, bytes: last, file: input.displayName,
                          known: DocumentFilter.NothingMatched.self, status: ExitStatus.invalidInput) { "\(input.displayName): \($0)" }
        }
    }
}
