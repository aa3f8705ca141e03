import AiCOCO
import ArgumentParser

struct Records: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the records of an AiCOCO file as JSON lines (NDJSON), one per line, in constant memory.",
        usage: "aicoco records [--section <name> ...] [<options>] [<file>]",
        discussion: """
        With one --section, each line is a record of that section exactly as in the file (same keys and values, extra fields included). Otherwise every record of the chosen sections (all by default), each line naming its section, {"section":"images","record":{...}}, which `aicoco assemble` turns back into one document.

        The document is validated as it is read. On a problem, the lines of the records that end before it stay, and the exit code is 1.

        Examples:
          aicoco records --section annotations \\
            Fixtures/detection.json | jq -c .bbox
          aicoco records --section images \\
            --section objects series.json \\
            | jq -r .section | sort | uniq -c
          aicoco records big.json | head -n 1
          aicoco records series.json | aicoco assemble > copy.json
        """
    )

    @OptionGroup var input: InputOptions

    @OptionGroup var artifact: RecordsArtifactOptions

    @Option(name: .customLong("section"), help: ArgumentHelp("Only records of this section; repeatable.", valueName: "section"))
    var sections: [AiCOCOSection] = []

    func run() throws {
        let wanted = Set(sections)
        let output = dataOutput()
        let lines = AiCOCORecordLineWriter(envelope: wanted.count != 1, output: output)
        let progress = input.makeProgress()
        var options = ParserOptions(limits: input.limits, validate: true, memoryLimit: input.memoryLimit)
        options.recordsArtifact = artifact.source
        let reader = AiCOCORecordReader(input.input, options: RecordReaderOptions(parser: options))
        do {
            var seen = 0
            while let record = try reader.next() {
                seen += 1
                if let progress, seen & 255 == 0 { progress.update(bytes: reader.bytesRead, total: reader.totalBytes) }
                // Stop at the first problem: what is written is what came before it.
                if reader.problemCount > 0 { break }
                if !wanted.isEmpty && !wanted.contains(record.section) { continue }
                try lines.write(record)
            }
            try lines.flush()
        } catch {
            reader.cancel()
            progress?.finish(bytes: reader.bytesRead, total: reader.totalBytes, succeeded: false)
            if !(error is OutputClosed) { try? lines.flush() }
            throw report(error, file: input.displayName)
        }
        progress?.finish(bytes: reader.bytesRead, total: reader.totalBytes)
        if reader.problemCount > 0 {
            reader.cancel()
            printError(describe(reader.problems[0], file: input.displayName))
            throw ExitCode(ExitStatus.invalidInput)
        }
    }
}
