import AiCOCO
import ArgumentParser

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count what an AiCOCO file holds: records per section, polygons, points, bboxes, speed.",
        usage: "aicoco stats [--json] [<options>] [<file> ...]",
        discussion: """
        Reads the file once through the event API (no record is built), in constant memory.

        Examples:
          aicoco stats output.json
          aicoco stats --json big.json | jq .points
          aicoco stats --json series/*.json \\
            | jq -r '[.file, .annotations] | @tsv'
          aicoco generate --bytes 200M | aicoco stats -
        """
    )

    @OptionGroup var input: InputOptions

    @Argument(help: ArgumentHelp("More AiCOCO files: each is counted in turn and its report written in argument order (a blank line between text reports; with --json, one object per line, each with its \"file\").", valueName: "file"), completion: .file())
    var moreFiles: [String] = []

    @OptionGroup var artifact: RecordsArtifactOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @OptionGroup var threading: ThreadOptions

    /// Exit 0 when every file is counted, 1 when one is invalid, 2 when one cannot be read (the
    /// others are still counted), as `validate` does. With several files and threads, files are
    /// counted at once and their reports written in argument order.
    func run() throws {
        let files = [input.displayName] + moreFiles
        let threads = threading.count
        let together = threads > 1 && files.count > 1 && files.allSatisfy(isRegularFileArgument)
        let command = UncheckedSendable(self)
        var status: Int32 = 0
        runInOrder(count: files.count, threads: together ? threads : 1, work: { number in
            let output = ReportOutput(buffered: together)
            let code = command.value.count(files[number], separated: number > 0 && !command.value.json,
                                           named: files.count > 1, output: output, showsProgress: !together,
                                           threads: together ? 1 : threads)
            return (code, output)
        }, emit: { number, result in
            var code = result.0
            do {
                try result.1.replay()
            } catch is FileOutput.Closed {
                code = -1
            } catch {
                code = report(error, file: files[number]).rawValue
            }
            if code == ExitStatus.cannotRead || status == 0 { status = max(status, code) }
            return code != -1
        })
        if status > 0 { throw ExitCode(status) }
    }

    /// Counts one file and writes its report to `output`; the exit code it calls for (-1:
    /// standard output went away, stop quietly).
    func count(_ file: String, separated: Bool, named: Bool, output: ReportOutput = .direct,
               showsProgress: Bool = true, threads: Int = 1) -> Int32 {
        let progress = showsProgress ? input.makeProgress() : nil
        let total = progress == nil ? nil : regularFileSize(path: file)
        let start = now()
        var options = DocumentParsing.Options(limits: input.limits, memoryLimit: input.memoryLimit)
        options.recordsArtifact = artifact.source
        options.allowNonFinite = input.limitOptions.allowNan
        var counts: SectionCounts
        let bytes: Int
        var split = threading.split
        split.threads = threads
        if threads > 1 {
            // One big file: its annotations split among the threads (same counts, same errors).
            var read = 0
            do {
                let result = try parseSplitting(DocumentSource(argument: file), visitor: SectionCounts(memoryLimit: input.memoryLimit),
                                                options: options, split: split) { bytes in
                    read = bytes
                    progress?.update(bytes: bytes, total: total)
                }
                counts = result.visitor
                bytes = result.bytesRead
                try counts.finish(form: result.documentForm, nonFinite: result.nonFiniteCounts)
            } catch {
                progress?.finish(bytes: read, total: total, succeeded: false)
                return report(error, file: file, to: output).rawValue
            }
        } else {
            var parser = DocumentParser(visitor: SectionCounts(memoryLimit: input.memoryLimit), options: options)
            do {
                try parser.parse(DocumentSource(argument: file)) { progress?.update(bytes: $0, total: total) }
                counts = parser.visitor
                try counts.finish(form: parser.documentForm, nonFinite: parser.nonFiniteCounts)
            } catch {
                progress?.finish(bytes: parser.bytesFed, total: total, succeeded: false)
                return report(error, file: file, to: output).rawValue
            }
            bytes = parser.bytesFed
        }
        let elapsed = now() - start
        progress?.finish(bytes: bytes, total: total)
        let rate = elapsed > 0 ? Double(bytes) / elapsed / 1e6 : 0
        do {
            if json {
                try counts.writeJSON(file: named ? file : nil, bytes: bytes, elapsed: fixed(elapsed, 3),
                                     rate: fixed(rate, 1), to: output.write)
            } else {
                if separated { try output.write("\n") }
                try counts.writeText(file: file, bytes: bytes, elapsed: elapsed, rate: rate, to: output)
            }
        } catch is FileOutput.Closed {
            return -1
        } catch {
            return report(error, file: file, to: output).rawValue
        }
        return 0
    }
}

extension SectionCounts {
    /// The text report of `stats` (without `--json`), to standard output.
    func writeText(file: String, bytes: Int, elapsed: Double, rate: Double, to output: ReportOutput) throws {
        var lines = [
            "file:         \(file)",
            "bytes:        \(bytes) (\(formatBytes(bytes)))",
            "kind:         " + (form.map { "\($0.described) (FLaVor \($0.flavorReleases))" } ?? "unknown"),
            "images:       \(images)",
            "annotations:  \(annotations)",
            "categories:   \(categories)",
            "regressions:  \(regressions)",
            "objects:      \(objects)",
            "polygons:     \(polygons)",
            "points:       \(points) coordinate pairs",
            "bboxes:       \(bboxes)",
            "meta:         \(metaCategoryIDs) category ids, \(metaRegressions) regressions"
                + (taskType.map { ", task \($0)" } ?? ""),
        ]
        if !metaNames.categories.isEmpty {
            lines.append("predicted:    " + metaNames.categories.joined(separator: ", "))
        }
        if !metaRegressionItems.isEmpty {
            let values = zip(metaRegressionItems, metaNames.regressions).map { item, regression in
                "\(regression?.name ?? item.regressionID) \(JSONText.number(item.value))" + (regression?.unit.map { " \($0)" } ?? "")
            }
            lines.append("regression values: " + values.joined(separator: ", "))
        }
        if tables > 0 || artifactRows != nil {
            lines.append("tables:       \(tables)")
            lines.append("tabular records: \(tabularRecords)" + (windowSize.map { ", window size \($0)" } ?? ""))
        }
        if nonFinite.total > 0 {
            lines.append("non-finite:   \(nonFinite.total) (NaN \(nonFinite.nan), Infinity \(nonFinite.infinity), -Infinity \(nonFinite.negativeInfinity))")
        }
        var rest: [String] = []
        if let span = imageSpan {
            rest.append("annotated images: \(span.images), index \(JSONText.number(span.minIndex))...\(JSONText.number(span.maxIndex)), \(span.fewest) to \(span.most) annotations each")
        }
        rest.append("elapsed:      \(fixed(elapsed, 3)) s, \(fixed(rate, 1)) MB/s")
        // "objects per category: A 3, B 2" on its own line, only when some object has a category.
        var head = lines.joined(separator: "\n") + "\n"
        var any = false
        try writeObjectsPerCategory("", item: { name, count in
            var piece = "\(name) \(count)"
            if !any {
                piece = head + "objects per category: " + piece
                head = ""
                any = true
            }
            return piece
        }, separator: ", ", end: "", to: output.write)
        try output.write((any ? "\n" : head) + rest.joined(separator: "\n") + "\n")
    }
}
