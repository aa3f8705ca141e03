import AiCOCO
import ArgumentParser

struct Records: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the records of an AiCOCO file as JSON lines (NDJSON), one per line, in constant memory.",
        usage: "aicoco records [--section <name> ...] [<options>] [<file>]",
        discussion: """
        With one --section, each line is a record of that section exactly as in the file (same keys and values, extra fields included). Otherwise every record of the chosen sections (all by default), each line naming its section, {"section":"images","record":{...}}, which `aicoco assemble` turns back into one document.

        The document is validated as it is read. On invalid input the lines of the records that end before the first problem are written (on a reference that can only be resolved at the end of the document, every record), then the problem, and the exit code is 1.

        Examples:
          aicoco records --section annotations \\
            output.json | jq -c .bbox
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
    var sections: [Section] = []

    @OptionGroup var threading: ThreadOptions

    func run() throws {
        let output = dataOutput()
        // A signal ends the output after a whole line (or before anything more is written).
        output.wholeLines = true
        let progress = input.makeProgress()
        var options = DocumentParsing.Options(limits: input.limits, validate: true, memoryLimit: input.memoryLimit)
        options.recordsArtifact = artifact.source
        options.allowNonFinite = input.limitOptions.allowNan
        let wanted = Set(sections)
        var split = threading.split
        split.threads = threading.count
        // One big file: its annotations rendered by the threads, written in order. On any problem,
        // what was written is the start of the one-thread output, and the file is read again in
        // order (below) for the rest, writing nothing twice.
        var skip = 0
        if split.threads > 1 {
            let total = progress == nil ? nil : regularFileSize(input)
            var read = 0
            do {
                let done = try writeRecordLinesSplitting(
                    input.input, options: RecordReader.Options(parser: options), envelope: wanted.count != 1,
                    sections: wanted, split: split, progress: { bytes in
                        read = bytes
                        progress?.update(bytes: bytes, total: total)
                    }, write: { try output.write($0) })
                if done == nil { try output.flush() }
                skip = done ?? -1
            } catch {
                progress?.finish(bytes: read, total: total, succeeded: false)
                if !(error is FileOutput.Closed) { try? output.flush() }
                throw report(error, file: input.displayName)
            }
            if skip < 0 { return progress?.finish(bytes: read, total: total) ?? () }
        }
        // Lines rendered as the input is parsed, in the batches the record reader delivers.
        let reader = RecordLines(input.input, options: RecordReader.Options(parser: options),
                                       envelope: wanted.count != 1, sections: wanted)
        do {
            var seen = 0
            var stopped = false
            while !stopped, try reader.next({ lines, records in
                let before = seen
                seen += records
                if let progress, before >> 8 != seen >> 8 {
                    progress.update(bytes: reader.bytesRead, total: reader.totalBytes)
                }
                // Stop at the first problem: what is written is the records that end before it.
                var lines = lines
                if reader.problemCount > 0 {
                    stopped = true
                    lines = UnsafeRawBufferPointer(rebasing: lines.prefix(reader.bytesBeforeFirstProblem))
                }
                // Bytes the split run wrote already.
                let skipped = min(skip, lines.count)
                skip -= skipped
                try output.write(UnsafeRawBufferPointer(rebasing: lines[skipped...]))
            }) {}
            try output.flush()
        } catch {
            reader.cancel()
            progress?.finish(bytes: reader.bytesRead, total: reader.totalBytes, succeeded: false)
            if !(error is FileOutput.Closed) { try? output.flush() }
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
