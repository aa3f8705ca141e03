import AiCOCO
import ArgumentParser

struct Assemble: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build one AiCOCO document from JSON lines {\"section\":NAME,\"record\":{...}} (what `records` writes).",
        usage: "aicoco assemble [--pretty] [-o <file>] [<options>] [<file>]",
        discussion: """
        The lines may come in any order: the records are spilled to temporary files per section (in $TMPDIR, default /tmp), then read back as one document, validated (schema, rules, every reference) and written in the format's section order, in constant memory. Errors point at the input line. Nothing complete is written unless the whole input is valid.

        Examples:
          aicoco records output.json \\
            | aicoco assemble --pretty
          aicoco records big.json \\
            | grep -v '"section":"regressions"' \\
            | aicoco assemble > smaller.json
          cat images.ndjson meta.ndjson \\
            | aicoco assemble - | aicoco validate
        """
    )

    @OptionGroup var input: InputOptions

    @OptionGroup var destination: OutputOptions

    @Flag(help: "Indent the document by 2 spaces.")
    var pretty = false

    @Option(help: ArgumentHelp("Where to write the records of section rows (a tabular output's JSON-lines artifact); needed when the input has them.", valueName: "file"), completion: .file())
    var artifact: String?

    @Option(help: ArgumentHelp("Longest accepted line (e.g. 64M); a line is held whole while it is read.", valueName: "size"))
    var maxLineBytes = ByteCount(16 << 20)

    func run() throws {
        let maxLine = max(1, maxLineBytes.bytes)
        let output: Destination
        do { output = try destination.open() } catch { throw report(error, file: input.displayName) }
        defer { output.discard() }
        let writer = DocumentWriter(pretty: pretty, output: output.output)
        writer.json.allowsNonFinite = input.limitOptions.allowNan
        var options = DocumentParsing.Options(limits: input.limits, validate: true, memoryLimit: input.memoryLimit)
        options.allowNonFinite = input.limitOptions.allowNan
        let progress = input.makeProgress()
        let total = regularFileSize(input)
        let assembler = DocumentAssembler(parserOptions: options,
                                        maxLineBytes: maxLine, artifact: artifact)
        var last = 0
        do {
            try assembler.assemble(input.input, to: writer) { pass, bytes in
                last = bytes
                progress?.update(bytes: bytes, total: pass == 1 ? total : nil)
            }
            try output.commit()
        } catch let error as DocumentAssembler.ArtifactNeeded {
            progress?.finish(bytes: last, total: nil, succeeded: false)
            printError("aicoco assemble: \(error)")
            throw ExitCode(ExitStatus.cannotRead)
        } catch {
            progress?.finish(bytes: last, total: nil, succeeded: false)
            throw report(error, file: input.displayName)
        }
        progress?.finish(bytes: last, total: nil)
    }
}
