import AiCOCO
import ArgumentParser

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check an AiCOCO file: JSON syntax, the schema, the format's rules and every reference, in one pass.",
        discussion: """
        Exit 0 when valid, 1 when invalid, 2 when the file cannot be read.
        Text output: FILE:LINE:COLUMN: message (JSON path), one line per problem.

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

    @Option(help: "Most problems to print (all are counted).")
    var maxErrors = 100

    @Option(help: "text or json.")
    var format: Format = .text

    func run() throws {
        let progress = input.makeProgress()
        let total = progress == nil ? nil : regularFileSize(input)
        var collector = ProblemCollector(limit: max(0, maxErrors))
        var parser = AiCOCOParser(visitor: collector, options: ParserOptions(limits: input.limits, validate: true))
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
        switch format {
        case .text:
            for error in collector.kept { print(describe(error, file: input.displayName)) }
            if collector.total > collector.kept.count {
                print("... and \(collector.total - collector.kept.count) more")
            }
            printError(collector.total == 0 ? "\(input.displayName): valid"
                : "\(input.displayName): \(collector.total) problem\(collector.total == 1 ? "" : "s")")
        case .json:
            let errors = collector.kept.map { error in
                "{\"kind\":\"\(error.kind.rawValue)\",\"message\":\(JSONText.quoted(error.message)),\"path\":\(JSONText.quoted(error.path)),\"line\":\(error.location.line),\"column\":\(error.location.column),\"offset\":\(error.location.offset)}"
            }
            print("{\"valid\":\(collector.total == 0),\"file\":\(JSONText.quoted(input.displayName)),\"error_count\":\(collector.total),\"errors\":[\(errors.joined(separator: ","))],\"truncated\":\(collector.total > collector.kept.count),\"bytes\":\(parser.bytesFed)}")
        }
        if collector.total > 0 { throw ExitCode(ExitStatus.invalidInput) }
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
