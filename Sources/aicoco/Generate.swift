import AiCOCO
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a realistic, seeded AiCOCO whole-series segmentation output of about the given size.",
        discussion: """
        The same options always give the same bytes. Memory stays constant whatever the size.

        Examples:
          aicoco generate --bytes 200M > series.json
          aicoco generate --bytes 2G --seed 7 --order \\
            meta,annotations,objects,categories,regressions,images \\
            > big.json
          aicoco generate --bytes 50k --pretty | aicoco stats
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

    @Flag(help: "Print a summary of what was generated (JSON) on standard error.")
    var summary = false

    func run() throws {
        let target = bytes.bytes
        let sections = order?.sections ?? AiCOCOSection.allCases
        signal(SIGPIPE, SIG_IGN)
        let output = FileOutput(descriptor: 1)
        var generator = AiCOCOGenerator(options: GeneratorOptions(targetBytes: target, seed: seed, pretty: pretty,
                                                                  order: sections))
        do {
            let result = try generator.generate { try output.write($0) }
            try output.flush()
            if summary {
                printError("{\"images\":\(result.images),\"annotations\":\(result.annotations),\"categories\":\(result.categories),\"regressions\":\(result.regressions),\"objects\":\(result.objects),\"polygons\":\(result.polygons),\"points\":\(result.points),\"bboxes\":\(result.bboxes),\"bytes\":\(result.bytes)}")
            }
        } catch {
            throw report(error, file: "-")
        }
    }
}
