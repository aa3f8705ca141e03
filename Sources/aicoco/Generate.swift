import AiCOCO
import AiCOCOGen
import ArgumentParser

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a seeded AiCOCO output of about the given size, shaped like real FLaVor output.",
        discussion: """
        The same options always give the same bytes. Memory stays constant whatever the size.

        Shapes: noisy (the default: whole-series segmentation from a model with speckled borders, \
        about 1,500 annotations and 80 slices per MB, most contours of 1 or 2 points), smooth (one \
        contour of about 40 points per annotation), detection (bboxes only, objects with a confidence \
        and two regressions), long (synthetic: few annotations with contours of thousands of points).

        Examples:
          aicoco generate --bytes 200M > series.json
          aicoco generate --bytes 2G --seed 7 --order \\
            meta,annotations,objects,categories,regressions,images \\
            > big.json
          aicoco generate --bytes 50k --pretty | aicoco stats
          aicoco generate --bytes 100M --shape detection > boxes.json
          aicoco generate --records 10M \\
            --artifact records_big.jsonl > tabular.json

        With --records, a tabular output (tables, categories or regressions, meta.window_size): its \
        records go to the JSON-lines file --artifact names, the document to standard output, with a \
        records.href that names the artifact's file name (validate looks for it beside the document).
        """
    )

    @Option(help: ArgumentHelp("Approximate size of the output, e.g. 200M, 2G, 50k or a number of bytes.", valueName: "size"))
    var bytes: ByteCount?

    @Option(help: ArgumentHelp("A tabular output with this many records (e.g. 60, 500k, 10M) instead of an image output.", valueName: "count"))
    var records: RecordCount?

    @Option(help: ArgumentHelp("Where the records of a tabular output go (default records.jsonl).", valueName: "file"), completion: .file())
    var artifact: String?

    @Option(help: ArgumentHelp("The task of a tabular output: classification or regression.", valueName: "task"))
    var task: TabularGenerator.Options.Task = .classification

    @Option(help: ArgumentHelp("Rows per record of a tabular output.", valueName: "count"))
    var windowSize = Count(3)

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 1

    @Flag(help: "Indent by 2 spaces, one value per line (like Python's json.dump(indent=2)).")
    var pretty = false

    @Option(help: ArgumentHelp("Section order: the six section names, comma-separated (see the examples).", valueName: "sections"))
    var order: SectionOrder?

    @Option(help: "The shape of the output: noisy, smooth, detection or long.")
    var shape: DocumentGenerator.Options.Shape = .noisy

    @Flag(help: "Print a summary of what was generated (JSON) on standard error.")
    var summary = false

    @OptionGroup var destination: OutputOptions

    func validate() throws {
        if bytes == nil && records == nil { throw ValidationError("give --bytes SIZE (an image output) or --records COUNT (a tabular output)") }
        if bytes != nil && records != nil { throw ValidationError("--bytes and --records exclude each other") }
        if records == nil && artifact != nil { throw ValidationError("--artifact goes with --records") }
        if windowSize.value < 1 { throw ValidationError("--window-size must be at least 1") }
    }

    func run() throws {
        if let records {
            return try generateTabular(records: records.value)
        }
        let target = bytes!.bytes
        let sections = order?.sections ?? DocumentGenerator.Options.imageSections
        let output: Destination
        do { output = try destination.open() } catch { throw report(error, file: "-") }
        defer { output.discard() }
        var generator = DocumentGenerator(options: DocumentGenerator.Options(targetBytes: target, seed: seed, pretty: pretty,
                                                                            order: sections, shape: shape))
        do {
            let result = try generator.generate { try output.output.write($0) }
            try output.commit()
            if summary {
                printError("{\"images\":\(result.images),\"annotations\":\(result.annotations),\"categories\":\(result.categories),\"regressions\":\(result.regressions),\"objects\":\(result.objects),\"polygons\":\(result.polygons),\"points\":\(result.points),\"bboxes\":\(result.bboxes),\"bytes\":\(result.bytes)}")
            }
        } catch {
            throw report(error, file: "-")
        }
    }
}

extension DocumentGenerator.Options.Shape: ExpressibleByArgument {}

extension Generate {
    func generateTabular(records: Int) throws {
        let path = artifact ?? "records.jsonl"
        let name = String(path.split(separator: "/", omittingEmptySubsequences: false).last ?? "records.jsonl")
        let options = TabularGenerator.Options(records: records, seed: seed, task: task, windowSize: windowSize.value,
                                              artifactName: name)
        let output: Destination
        do { output = try destination.open() } catch { throw report(error, file: "-") }
        defer { output.discard() }
        do {
            // Whole or not at all, like the document: an interrupted run leaves both as they were.
            let artifactFile = try ReplacingFile(path: path, capacity: 1 << 20)
            defer { artifactFile.discard() }
            let reference = try TabularGenerator(options: options).generate(
                artifact: { try artifactFile.output.write($0) }, document: { try output.output.write($0) })
            try artifactFile.commit()
            try output.commit()
            if summary {
                printError("{\"records\":\(reference.rows),\"artifact_bytes\":\(reference.bytes),\"artifact\":\(JSONText.quoted(path))}")
            }
        } catch {
            throw report(error, file: path)
        }
    }
}

/// A count with an optional decimal suffix: `500`, `500k`, `10M`, `1G`.
struct RecordCount: ExpressibleByArgument, Sendable, Equatable {
    var value: Int

    init?(argument: String) {
        var text = Substring(argument)
        var factor = 1
        switch text.last {
        case "k", "K": factor = 1_000
        case "M": factor = 1_000_000
        case "G": factor = 1_000_000_000
        default: break
        }
        if factor > 1 { text.removeLast() }
        guard let number = Int(text), number >= 0 else { return nil }
        let (value, overflow) = number.multipliedReportingOverflow(by: factor)
        guard !overflow else { return nil }
        self.value = value
    }
}

extension TabularGenerator.Options.Task: ExpressibleByArgument {}
