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

    /// Exit 0 when every file is counted, 1 when one is invalid, 2 when one cannot be read (the
    /// others are still counted), as `validate` does.
    func run() throws {
        let files = [input.displayName] + moreFiles
        var status: Int32 = 0
        for (number, file) in files.enumerated() {
            let code = count(file, separated: number > 0 && !json, named: files.count > 1)
            if code == ExitStatus.cannotRead || status == 0 { status = max(status, code) }
            if code == -1 { break }
        }
        if status > 0 { throw ExitCode(status) }
    }

    /// Counts one file and writes its report; the exit code it calls for (-1: standard output
    /// went away, stop quietly).
    func count(_ file: String, separated: Bool, named: Bool) -> Int32 {
        let progress = input.makeProgress()
        let total = progress == nil ? nil : regularFileSize(path: file)
        let start = now()
        var options = ParserOptions(limits: input.limits, memoryLimit: input.memoryLimit)
        options.recordsArtifact = artifact.source
        options.allowNonFinite = input.limitOptions.allowNan
        var parser = AiCOCOParser(visitor: SectionCounts(memoryLimit: input.memoryLimit), options: options)
        var counts: SectionCounts
        do {
            try parser.parse(AiCOCOInput(argument: file)) { progress?.update(bytes: $0, total: total) }
            counts = parser.visitor
            try counts.finish(form: parser.documentForm, nonFinite: parser.nonFiniteCounts)
        } catch {
            progress?.finish(bytes: parser.bytesFed, total: total, succeeded: false)
            return report(error, file: file).rawValue
        }
        let elapsed = now() - start
        let bytes = parser.bytesFed
        progress?.finish(bytes: bytes, total: total)
        let rate = elapsed > 0 ? Double(bytes) / elapsed / 1e6 : 0
        do {
            if json {
                try counts.writeJSON(file: named ? file : nil, bytes: bytes, elapsed: fixed(elapsed, 3),
                                     rate: fixed(rate, 1), to: writeData)
            } else {
                if separated { try writeData("\n") }
                try counts.writeText(file: file, bytes: bytes, elapsed: elapsed, rate: rate)
            }
        } catch is OutputClosed {
            return -1
        } catch {
            return report(error, file: file).rawValue
        }
        return 0
    }
}

extension SectionCounts {
    /// The text report of `stats` (without `--json`), to standard output.
    func writeText(file: String, bytes: Int, elapsed: Double, rate: Double) throws {
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
        }, separator: ", ", end: "", to: writeData)
        try writeData((any ? "\n" : head) + rest.joined(separator: "\n") + "\n")
    }
}

/// Writes `text` to standard output as it is (`printData` without the newline).
private func writeData(_ text: String) throws {
    guard !text.isEmpty else { return }
    try writeReport(text)
}
