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
          aicoco generate --bytes 2G --seed 7 --order meta,annotations,objects,categories,regressions,images > big.json
          aicoco generate --bytes 50k --pretty | aicoco stats
        """
    )

    @Option(help: "Approximate size of the output, e.g. 200M, 2G, 50k or a number of bytes.")
    var bytes: String

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 1

    @Flag(help: "Indent by 2 spaces, one value per line (like Python's json.dump(indent=2)).")
    var pretty = false

    @Option(help: "Section order, comma-separated, e.g. meta,annotations,objects,categories,regressions,images.")
    var order: String?

    @Flag(help: "Print a summary of what was generated (JSON) on standard error.")
    var summary = false

    func run() throws {
        guard let target = parseByteCount(bytes) else {
            throw ValidationError("--bytes: not a size: \(bytes)")
        }
        var sections = AiCOCOSection.allCases
        if let order {
            sections = []
            for name in order.split(separator: ",") {
                guard let section = AiCOCOSection(rawValue: String(name).trimmingSpaces()) else {
                    throw ValidationError("--order: unknown section \(name)")
                }
                sections.append(section)
            }
            guard Set(sections).count == 6, sections.count == 6 else {
                throw ValidationError("--order must name each of the six sections once")
            }
        }
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

extension String {
    func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
