import AiCOCO
import ArgumentParser

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check AiCOCO files: JSON syntax, the schema, the format's rules and every reference, in one pass each.",
        usage: "aicoco validate [--format text|json] [--strict] [<options>] [<file> ...]",
        discussion: """
        Each file is checked in turn and its report written to standard output, in order: in text, one line per problem (FILE:LINE:COLUMN: KIND error: message (JSON path)), then a verdict line (FILE: valid, or FILE: N problems); in JSON, one object per file and line. No file, or -, reads standard input.

        Exit 0 when every file is valid, 1 when one is invalid, 2 when one cannot be read (the others are still checked).

        Examples:
          aicoco validate output.json
          aicoco validate outputs/*.json
          aicoco validate --format json big.json | jq '.errors[0]'
          aicoco validate --max-errors 10 - < output.json
          aicoco validate --strict output.json
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: "The AiCOCO files to check, or - for standard input.", completion: .file())
    var files: [String] = []

    @OptionGroup var artifact: RecordsArtifactOptions

    @Flag(help: "Show a progress line on standard error even when it is not a terminal (on a terminal it shows after a second of work, unless standard output is that terminal).")
    var progress = false

    @OptionGroup(title: "Limits")
    var limitOptions: LimitOptions

    @Option(help: ArgumentHelp("Most problems to print per file (all are counted).", valueName: "count"))
    var maxErrors = Count(100)

    @Option(help: "The report's format.")
    var format: Format = .text

    @Flag(help: "Also apply the rules of FLaVor's own output models (pydantic, FLaVor 2.2.3) beyond the schema: integers in index, bbox and segmentation, no extra keys in records, table_ids in a hybrid output's meta. Problems of kind strict.")
    var strict = false

    @OptionGroup var threading: ThreadOptions

    /// With several files and threads, files are checked at once and their reports written in
    /// argument order.
    func run() throws {
        let files = self.files.isEmpty ? ["-"] : self.files
        let threads = threading.count
        let together = threads > 1 && files.count > 1 && files.allSatisfy(isRegularFileArgument)
        let command = UncheckedSendable(self)
        var status: Int32 = 0
        var failure: Error?
        runInOrder(count: files.count, threads: together ? threads : 1, work: { number in
            let output = ReportOutput(buffered: together)
            let code = Result {
                try command.value.check(files[number], output: output, showsProgress: !together, threads: together ? 1 : threads)
            }
            return (code, output)
        }, emit: { number, result in
            do {
                try result.1.replay()
                let code = try result.0.get()
                if code == ExitStatus.cannotRead || status == 0 { status = max(status, code) }
                return true
            } catch let error as ExitCode {
                failure = error
            } catch {
                failure = report(error, file: files[number])
            }
            return false
        })
        if let failure { throw failure }
        if status != 0 { throw ExitCode(status) }
    }

    /// Checks one file and writes its report to `output`; the exit code it calls for.
    func check(_ file: String, output: ReportOutput = .direct, showsProgress: Bool = true, threads: Int = 1) throws -> Int32 {
        let progress = showsProgress ? ProgressLine.make(forced: progress) : nil
        let total = progress == nil ? nil : regularFileSize(path: file)
        var collector = ProblemCollector(limit: maxErrors.value)
        var options = DocumentParsing.Options(limits: limitOptions.limits, validate: true, memoryLimit: limitOptions.memoryLimit.bytes)
        options.recordsArtifact = artifact.source
        options.strict = strict
        options.allowNonFinite = limitOptions.allowNan
        var split = threading.split
        split.threads = threads
        // One big file: its annotations checked by the threads; read again in order on any problem.
        if threads > 1, let (form, bytes) = try? checkSplitting(DocumentSource(argument: file), options: options, split: split,
                                                                progress: { progress?.update(bytes: $0, total: total) }) {
            progress?.finish(bytes: bytes, total: total)
            return try finishReport(collector, file: file, bytes: bytes, form: form, to: output)
        }
        var parser = DocumentParser(visitor: collector, options: options)
        var bytes = 0
        do {
            try parser.parse(DocumentSource(argument: file)) { read in
                bytes = read
                progress?.update(bytes: read, total: total)
            }
            collector = parser.visitor
        } catch let error as DocumentError where error.kind != .io {
            collector = parser.visitor
            collector.add(error)
        } catch {
            progress?.finish(bytes: bytes, total: total, succeeded: false)
            let code = report(error, file: file, to: output)
            let message = (error as? DocumentError)?.message ?? "\(error)"
            // An I/O error placed in another file is the records artifact's: the document itself
            // was read, its artifact was not.
            let artifact = (error as? DocumentError).flatMap { $0.kind == .io ? $0.file : nil }
            do {
                switch (format, artifact) {
                case (.text, nil): try output.printLine("\(file): cannot be read")
                case (.text, let artifact?): try output.printLine("\(file): its records artifact \(artifact) cannot be read")
                case (.json, nil):
                    try output.printLine("{\"valid\":false,\"file\":\(JSONText.quoted(file)),\"readable\":false,\"message\":\(JSONText.quoted(message))}")
                case (.json, let artifact?):
                    try output.printLine("{\"valid\":false,\"file\":\(JSONText.quoted(file)),\"readable\":true,\"artifact\":\(JSONText.quoted(artifact)),\"artifact_readable\":false,\"message\":\(JSONText.quoted(message))}")
                }
            } catch {
                throw report(error, file: file)
            }
            return code.rawValue
        }
        progress?.finish(bytes: bytes, total: total)
        return try finishReport(collector, file: file, bytes: parser.bytesFed, form: parser.documentForm, to: output)
    }

    /// Writes the report; the exit code it calls for.
    private func finishReport(_ collector: ProblemCollector, file: String, bytes: Int, form: DocumentForm?,
                              to output: ReportOutput) throws -> Int32 {
        do {
            try printReport(collector, file: file, bytes: bytes, form: form, to: output)
        } catch {
            throw report(error, file: file)
        }
        return collector.total > 0 ? ExitStatus.invalidInput : 0
    }

    func printReport(_ collector: ProblemCollector, file: String, bytes: Int, form: DocumentForm?,
                     to output: ReportOutput) throws {
        switch format {
        case .text:
            for error in collector.kept { try output.printLine(describe(error, file: file)) }
            if collector.total > collector.kept.count {
                try output.printLine("... and \(collector.total - collector.kept.count) more")
            }
            try output.printLine(collector.total == 0 ? "\(file): valid"
                : "\(file): \(collector.total) problem\(collector.total == 1 ? "" : "s")")
        case .json:
            let errors = collector.kept.map { error in
                (error.file.map { "{\"file\":\(JSONText.quoted($0))," } ?? "{") + "\"kind\":\"\(error.kind.rawValue)\",\"message\":\(JSONText.quoted(error.message)),\"path\":\(JSONText.quoted(error.path)),\"line\":\(error.location.line),\"column\":\(error.location.column),\"offset\":\(error.location.offset)}"
            }
            try output.printLine("{\"valid\":\(collector.total == 0),\"file\":\(JSONText.quoted(file)),\"error_count\":\(collector.total),\"errors\":[\(errors.joined(separator: ","))],\"truncated\":\(collector.total > collector.kept.count),\"bytes\":\(bytes),\"document\":\(form?.jsonText ?? "null")}")
        }
    }
}

/// Keeps the first `limit` problems and counts them all.
struct ProblemCollector: DocumentVisitor {
    let limit: Int
    var kept: [DocumentError] = []
    var total = 0

    init(limit: Int) { self.limit = limit }

    mutating func add(_ error: DocumentError) {
        total += 1
        if kept.count < limit { kept.append(error) }
    }

    mutating func visitProblem(_ error: DocumentError) throws {
        add(error)
    }
}
