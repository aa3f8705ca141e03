import AiCOCO
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

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

    func run() throws {
        var status: Int32 = 0
        for file in files.isEmpty ? ["-"] : files {
            let code = try check(file)
            if code == ExitStatus.cannotRead || status == 0 { status = max(status, code) }
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// Checks one file and writes its report; the exit code it calls for.
    func check(_ file: String) throws -> Int32 {
        let progress = ProgressLine.make(forced: progress)
        let total = progress == nil ? nil : regularFileSize(path: file)
        var collector = ProblemCollector(limit: maxErrors.value)
        var options = ParserOptions(limits: limitOptions.limits, validate: true, memoryLimit: limitOptions.memoryLimit.bytes)
        options.recordsArtifact = artifact.source
        options.strict = strict
        options.allowNonFinite = limitOptions.allowNan
        var parser = DocumentParser(visitor: collector, options: options)
        var bytes = 0
        do {
            try parser.parse(AiCOCOInput(argument: file)) { read in
                bytes = read
                progress?.update(bytes: read, total: total)
            }
            collector = parser.visitor
        } catch let error as AiCOCOError where error.kind != .io {
            collector = parser.visitor
            collector.add(error)
        } catch {
            progress?.finish(bytes: bytes, total: total, succeeded: false)
            let code = report(error, file: file)
            let message = (error as? AiCOCOError)?.message ?? "\(error)"
            // An I/O error placed in another file is the records artifact's: the document itself
            // was read, its artifact was not.
            let artifact = (error as? AiCOCOError).flatMap { $0.kind == .io ? $0.file : nil }
            do {
                switch (format, artifact) {
                case (.text, nil): try printData("\(file): cannot be read")
                case (.text, let artifact?): try printData("\(file): its records artifact \(artifact) cannot be read")
                case (.json, nil):
                    try printData("{\"valid\":false,\"file\":\(JSONText.quoted(file)),\"readable\":false,\"message\":\(JSONText.quoted(message))}")
                case (.json, let artifact?):
                    try printData("{\"valid\":false,\"file\":\(JSONText.quoted(file)),\"readable\":true,\"artifact\":\(JSONText.quoted(artifact)),\"artifact_readable\":false,\"message\":\(JSONText.quoted(message))}")
                }
            } catch {
                throw report(error, file: file)
            }
            return code.rawValue
        }
        progress?.finish(bytes: bytes, total: total)
        do {
            try printReport(collector, file: file, bytes: parser.bytesFed, form: parser.documentForm)
        } catch {
            throw report(error, file: file)
        }
        return collector.total > 0 ? ExitStatus.invalidInput : 0
    }

    func printReport(_ collector: ProblemCollector, file: String, bytes: Int, form: AiCOCODocumentForm?) throws {
        switch format {
        case .text:
            for error in collector.kept { try printData(describe(error, file: file)) }
            if collector.total > collector.kept.count {
                try printData("... and \(collector.total - collector.kept.count) more")
            }
            try printData(collector.total == 0 ? "\(file): valid"
                : "\(file): \(collector.total) problem\(collector.total == 1 ? "" : "s")")
        case .json:
            let errors = collector.kept.map { error in
                (error.file.map { "{\"file\":\(JSONText.quoted($0))," } ?? "{") + "\"kind\":\"\(error.kind.rawValue)\",\"message\":\(JSONText.quoted(error.message)),\"path\":\(JSONText.quoted(error.path)),\"line\":\(error.location.line),\"column\":\(error.location.column),\"offset\":\(error.location.offset)}"
            }
            try printData("{\"valid\":\(collector.total == 0),\"file\":\(JSONText.quoted(file)),\"error_count\":\(collector.total),\"errors\":[\(errors.joined(separator: ","))],\"truncated\":\(collector.total > collector.kept.count),\"bytes\":\(bytes),\"document\":\(form?.jsonText ?? "null")}")
        }
    }
}

/// Keeps the first `limit` problems and counts them all.
struct ProblemCollector: DocumentVisitor {
    let limit: Int
    var kept: [AiCOCOError] = []
    var total = 0

    init(limit: Int) { self.limit = limit }

    mutating func add(_ error: AiCOCOError) {
        total += 1
        if kept.count < limit { kept.append(error) }
    }

    mutating func visitProblem(_ error: AiCOCOError) throws {
        add(error)
    }
}
