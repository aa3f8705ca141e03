import AiCOCO
import ArgumentParser

@main
struct AiCOCOCommand: ParsableCommand {
    static let version = "0.2.0"

    static let configuration = CommandConfiguration(
        commandName: "aicoco",
        abstract: "Read, check and reshape AiCOCO files (Taiwan AILabs FLaVor inference output) in constant memory.",
        discussion: """
        FILE is a path, or - (or nothing) for standard input. Data goes to standard output, errors and progress to standard error. Exit codes: 0 success, 1 invalid input, 2 the input could not be read, the output could not be written, or the call is wrong.
        """,
        version: version,
        subcommands: [Stats.self, Validate.self, Generate.self, Records.self, Assemble.self, Convert.self, Filter.self, Measure.self, Render.self]
    )

    /// Parses and runs like ArgumentParser's own `main()`, except that a usage error exits 2
    /// (not 64), as every other wrong call does, and that help and messages that cannot be
    /// written make the exit status 2.
    static func main() {
        // Before anything sets a handler: which terminating signals the process inherited as
        // ignored (nohup), so that they stay ignored.
        TerminationCleanup.noteInheritedDispositions()
        TerminationCleanup.unblockInherited()
        InputNotices.send { printError("aicoco: warning: " + $0) }
        refuseHelpOfUnknownSubcommand()
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            finish(error, type: Self.self)
        }
        do {
            try command.run()
        } catch {
            finish(error, type: type(of: command))
        }
        exitProcess(0)
    }

    /// `aicoco help NAME` for a NAME that is no subcommand: ArgumentParser shows the overview and
    /// exits 0; this says what is wrong and exits 2, as any other wrong call does.
    private static func refuseHelpOfUnknownSubcommand() {
        let arguments = CommandLine.arguments.dropFirst()
        guard arguments.first == "help", let name = arguments.dropFirst().first, !name.hasPrefix("-") else { return }
        let names = configuration.subcommands.map { $0._commandName }
        guard !names.contains(name) else { return }
        printError("aicoco: no subcommand is named \"\(name)\"; the subcommands are \(names.joined(separator: ", ")) (aicoco --help)")
        exitProcess(ExitStatus.cannotRead)
    }

    /// Prints what `error` calls for (help and the version go to standard output, the rest to
    /// standard error, with `type`'s usage for a usage error) and exits.
    private static func finish(_ error: Error, type: ParsableCommand.Type) -> Never {
        var code = exitCode(for: error)
        var message = type.fullMessage(for: error)
        if type != Self.self {
            // A usage error thrown by `run()` names the subcommand alone; parsing's name it whole.
            let name = type._commandName
            message = message.replacing("See '\(name) --help'", with: "See 'aicoco \(name) --help'")
        }
        if code == .validationFailure { code = ExitCode(ExitStatus.cannotRead) }
        if code == .success {
            do {
                if !message.isEmpty { try StandardStreams.writeOutput(message + "\n") }
            } catch {
                printError("aicoco: cannot write standard output: \(error)")
                code = ExitCode(ExitStatus.cannotRead)
            }
        } else if !message.isEmpty {
            printError(message)
        }
        exitProcess(code.rawValue)
    }
}

/// Exit codes shared by every subcommand.
enum ExitStatus {
    static let invalidInput: Int32 = 1
    /// Unreadable input, unwritable output, or a wrong call (usage error).
    static let cannotRead: Int32 = 2
}

/// Prints `error` to standard error (or to `output`, kept for later) as
/// `FILE:LINE:COLUMN: kind error: message (path)`, and returns the exit code it calls for.
func report(_ error: Error, file: String, to output: ReportOutput = .direct) -> ExitCode {
    if error is FileOutput.Closed { return .success }
    if let error = error as? DocumentError {
        if error.kind == .io {
            output.printErrorLine("aicoco: \(error.message)")
            return ExitCode(ExitStatus.cannotRead)
        }
        output.printErrorLine(describe(error, file: file))
        return ExitCode(ExitStatus.invalidInput)
    }
    output.printErrorLine("aicoco: \(error)")
    return ExitCode(ExitStatus.cannotRead)
}

/// The end of a subcommand that failed after reading `bytes`: the progress line ends as failed,
/// and `error` is printed with the exit code it calls for: the subcommand's own `Known` error as
/// `message` words it, with `status`; any other as `report` does.
func failure<Known: Error>(_ error: Error, progress: ProgressLine?, bytes: Int, file: String,
                           known: Known.Type, status: Int32, message: (Known) -> String) -> ExitCode {
    progress?.finish(bytes: bytes, total: nil, succeeded: false)
    guard let error = error as? Known else { return report(error, file: file) }
    printError(message(error))
    return ExitCode(status)
}

func describe(_ error: DocumentError, file: String) -> String {
    "\(error.file ?? file):\(error.location.line):\(error.location.column): \(error.kind.rawValue) error: \(error.message) (\(error.path))"
}

func printError(_ text: String) {
    StandardStreams.writeError(text + "\n")
}

/// Options every reading subcommand shares.
struct InputOptions: ParsableArguments {
    @Argument(help: "The AiCOCO file to read, or - for standard input.", completion: .file())
    var file: String?

    @Flag(help: "Show a progress line on standard error even when it is not a terminal (on a terminal it shows after a second of work, unless standard output is that terminal).")
    var progress = false

    @OptionGroup(title: "Limits")
    var limitOptions: LimitOptions

    /// `--memory-limit` in bytes.
    var memoryLimit: Int { limitOptions.memoryLimit.bytes }

    var input: DocumentSource { DocumentSource(argument: file) }
    var displayName: String { file ?? "-" }
    var limits: DocumentParsing.Limits { limitOptions.limits }

    /// Parser options of the limits, `--memory-limit` (unless `memoryLimit` says otherwise)
    /// and `--allow-nan`: every subcommand that takes `--memory-limit` honours it this way.
    func parserOptions(memoryLimit: Int? = nil) -> DocumentParsing.Options {
        var options = DocumentParsing.Options(limits: limits, memoryLimit: memoryLimit ?? self.memoryLimit)
        options.allowNonFinite = limitOptions.allowNan
        return options
    }

    /// A progress reporter when asked for, or when standard error is a terminal.
    func makeProgress() -> ProgressLine? {
        ProgressLine.make(forced: progress)
    }
}

/// Where a tabular output's records artifact is (`validate`, `stats`, `records`).
struct RecordsArtifactOptions: ParsableArguments {
    @Option(name: .customLong("records"), help: ArgumentHelp(
        "The JSON-lines records artifact of a tabular output (default: the file its records.href names, beside FILE).",
        valueName: "file"), completion: .file())
    var recordsFile: String?

    var source: RecordsArtifactSource { recordsFile.map { .file($0) } ?? .besideDocument }
}

/// The parser's limits (`DocumentParsing.Limits`), as options; their defaults are the library's.
struct LimitOptions: ParsableArguments {
    private static let library = DocumentParsing.Limits()

    @Option(help: .count("Most coordinate numbers one annotation may hold.")) var maxRecordCoordinates = Count(library.maxCoordinatesPerRecord)
    @Option(help: .count("Deepest nesting of arrays and objects (at most 10000).")) var maxDepth = Count(library.maxDepth)
    @Option(help: .size("Longest string (e.g. 8M).")) var maxStringBytes = ByteCount(library.maxStringBytes)
    @Option(help: .size("Longest number literal.")) var maxNumberBytes = ByteCount(library.maxNumberBytes)
    @Option(help: .size("Longest stretch of input without a complete token (at least --max-string-bytes + 1024)."))
    var maxTokenBytes = ByteCount(library.maxTokenBytes)
    @Option(help: .size("Largest record without its coordinates (strings, ids, extra fields).")) var maxRecordBytes = ByteCount(library.maxRecordBytes)

    @Option(help: .size("Memory for the tables that grow with the number of records (ids, references, catalogs); past it they spill to temporary files in TMPDIR, with the same results."))
    var memoryLimit = ByteCount(DocumentParsing.Options.defaultMemoryLimit)

    @Flag(name: .customLong("allow-nan"), help: "Read NaN, Infinity and -Infinity as numbers, as Python's json.loads does (Python's json.dumps writes them for non-finite floats, e.g. in FLaVor's records artifacts), and write them back as they came.")
    var allowNan = false

    var limits: DocumentParsing.Limits {
        var limits = DocumentParsing.Limits()
        limits.maxCoordinatesPerRecord = maxRecordCoordinates.value
        limits.maxDepth = maxDepth.value
        limits.maxStringBytes = maxStringBytes.bytes
        limits.maxNumberBytes = maxNumberBytes.bytes
        limits.maxRecordBytes = maxRecordBytes.bytes
        limits.maxTokenBytes = max(maxTokenBytes.bytes, maxStringBytes.bytes + 1024)
        return limits
    }
}

/// Standard output for data, with SIGPIPE ignored so that a reader going away (`| head`)
/// shows up as `FileOutput.Closed` instead of killing the process.
func dataOutput() -> FileOutput {
    StandardStreams.ignoreBrokenPipe()
    return FileOutput(descriptor: 1, capacity: 1 << 18)
}

/// Size of the input when it is a regular file (for progress), else nil.
func regularFileSize(_ options: InputOptions) -> Int? {
    regularFileSize(path: options.file)
}

/// Prints a line of a report to standard output; throws (exit 2 through `report`) when it
/// cannot be written, or `FileOutput.Closed` when the reader went away.
func printData(_ text: String) throws {
    try writeReport(text + "\n")
}

/// Writes `text` whole to standard output, as it is (`printData` without the newline).
func writeReport(_ text: String) throws {
    do {
        try StandardStreams.writeOutput(text)
    } catch .brokenPipe {
        throw FileOutput.Closed()
    } catch {
        throw ReportNotWritten(reason: "\(error)")
    }
}

/// Standard output could not be written.
struct ReportNotWritten: Error, CustomStringConvertible {
    let reason: String
    var description: String { "cannot write standard output: \(reason)" }
}
