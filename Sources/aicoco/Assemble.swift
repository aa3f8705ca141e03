import AiCOCO
import ArgumentParser

struct Assemble: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build one AiCOCO document from JSON lines {\"section\":NAME,\"record\":{...}} (what `records` writes).",
        discussion: """
        The lines may come in any order: the records are spilled to temporary files per
        section, then read back as one document, validated (schema, rules, every reference)
        and written in the format's section order, in constant memory. Errors point at the
        input line. Nothing complete is written unless the whole input is valid.

        Examples:
          aicoco records Fixtures/extras.json | aicoco assemble --pretty
          aicoco records big.json | grep -v '"section":"regressions"' | aicoco assemble > smaller.json
          cat images.ndjson annotations.ndjson meta.ndjson | aicoco assemble - | aicoco validate
        """
    )

    @OptionGroup var input: InputOptions

    @Flag(help: "Indent the document by 2 spaces.")
    var pretty = false

    @Option(help: "Longest accepted line, in bytes (e.g. 64M); a line is held whole while it is read.")
    var maxLineBytes = "16M"

    func run() throws {
        guard let maxLine = parseByteCount(maxLineBytes), maxLine > 0 else {
            throw ValidationError("--max-line-bytes: not a size: \(maxLineBytes)")
        }
        let output = dataOutput()
        let writer = AiCOCOWriter(pretty: pretty, output: output)
        let progress = input.makeProgress()
        let total = regularFileSize(input)
        let assembler = AiCOCOAssembler(parserOptions: ParserOptions(limits: input.limits, validate: true),
                                        maxLineBytes: maxLine)
        var last = 0
        do {
            try assembler.assemble(input.input, to: writer) { pass, bytes in
                last = bytes
                progress?.update(bytes: bytes, total: pass == 1 ? total : nil)
            }
        } catch {
            progress?.finish(bytes: last, total: nil)
            throw report(error, file: input.displayName)
        }
        progress?.finish(bytes: last, total: nil)
    }
}
