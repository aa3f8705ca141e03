import AiCOCO
import AiCOCOGen
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

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
        """
    )

    @Option(help: ArgumentHelp("Approximate size of the output, e.g. 200M, 2G, 50k or a number of bytes.", valueName: "size"))
    var bytes: ByteCount

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 1

    @Flag(help: "Indent by 2 spaces, one value per line (like Python's json.dump(indent=2)).")
    var pretty = false

    @Option(help: ArgumentHelp("Section order: the six section names, comma-separated (see the examples).", valueName: "sections"))
    var order: SectionOrder?

    @Option(help: "The shape of the output: noisy, smooth, detection or long.")
    var shape: GeneratorOptions.Shape = .noisy

    @Flag(help: "Print a summary of what was generated (JSON) on standard error.")
    var summary = false

    @OptionGroup var destination: OutputOptions

    func run() throws {
        let target = bytes.bytes
        let sections = order?.sections ?? GeneratorOptions.imageSections
        let output: Destination
        do { output = try destination.open() } catch { throw report(error, file: "-") }
        defer { output.discard() }
        var generator = AiCOCOGenerator(options: GeneratorOptions(targetBytes: target, seed: seed, pretty: pretty,
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

extension GeneratorOptions.Shape: ExpressibleByArgument {}
