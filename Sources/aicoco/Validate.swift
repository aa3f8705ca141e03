import AiCOCO
import ArgumentParser

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check an AiCOCO file: JSON syntax, the schema, the format's rules and every reference, in one pass.",
        usage: "aicoco validate [--format text|json] [<options>] [<file>]",
        discussion: """
        Exit 0 when valid, 1 when invalid, 2 when the file cannot be read. Text output: FILE:LINE:COLUMN: message (JSON path), one line per problem.

        Examples:
          aicoco validate Fixtures/detection.json
          aicoco validate --format json big.json | jq '.errors[0]'
          aicoco validate --max-errors 10 - < output.json
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @OptionGroup var input: InputOptions

    @OptionGroup var artifact: RecordsArtifactOptions

    @Option(help: ArgumentHelp("Most problems to print (all are counted).", valueName: "count"))
    var maxErrors = Count(100)

    @Option(help: "The report's format.")
    var format: Format = .text

    func run() throws {
        let progress = input.makeProgress()
        let total = progress == nil ? nil : regularFileSize(input)
        var collector = ProblemCollector(limit: maxErrors.value)
        var options = ParserOptions(limits: input.limits, validate: true, memoryLimit: input.memoryLimit)
        options.recordsArtifact = artifact.source
        var parser = AiCOCOParser(visitor: collector, options: options)
        var bytes = 0
        do {
            try parser.parse(input.input) { read in
                bytes = read
                progress?.update(bytes: read, total: total)
            }
            collector = parser.visitor
        } catch let error as AiCOCOError where error.kind != .io {
            collector = parser.visitor
            collector.add(error)
        } catch {
            progress?.finish(bytes: bytes, total: total)
            throw report(error, file: input.displayName)
        }
        progress?.finish(bytes: bytes, total: total)
        do {
            try printReport(collector, bytes: parser.bytesFed)
        } catch {
            throw report(error, file: input.displayName)
        }
        if collector.total > 0 { throw ExitCode(ExitStatus.invalidInput) }
    }

    func printReport(_ collector: ProblemCollector, bytes: Int) throws {
        switch format {
        case .text:
            for error in collector.kept { try printData(describe(error, file: input.displayName)) }
            if collector.total > collector.kept.count {
                try printData("... and \(collector.total - collector.kept.count) more")
            }
            printError(collector.total == 0 ? "\(input.displayName): valid"
                : "\(input.displayName): \(collector.total) problem\(collector.total == 1 ? "" : "s")")
        case .json:
            let errors = collector.kept.map { error in
                (error.file.map { "{\"file\":\(JSONText.quoted($0))," } ?? "{") + "\"kind\":\"\(error.kind.rawValue)\",\"message\":\(JSONText.quoted(error.message)),\"path\":\(JSONText.quoted(error.path)),\"line\":\(error.location.line),\"column\":\(error.location.column),\"offset\":\(error.location.offset)}"
            }
            try printData("{\"valid\":\(collector.total == 0),\"file\":\(JSONText.quoted(input.displayName)),\"error_count\":\(collector.total),\"errors\":[\(errors.joined(separator: ","))],\"truncated\":\(collector.total > collector.kept.count),\"bytes\":\(bytes)}")
        }
    }
}

/// Keeps the first `limit` problems and counts them all.
struct ProblemCollector: AiCOCOVisitor {
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
