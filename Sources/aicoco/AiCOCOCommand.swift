import AiCOCO
import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

@main
struct AiCOCOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aicoco",
        abstract: "Read, check and reshape AiCOCO files (Taiwan AILabs FLaVor inference output) in constant memory.",
        discussion: """
        FILE is a path, or - (or nothing) for standard input. Data goes to standard output,
        errors and progress to standard error. Exit codes: 0 success, 1 invalid input,
        2 the input could not be read or the call is wrong.
        """,
        subcommands: [Stats.self, Validate.self, Generate.self, Records.self, Assemble.self, Convert.self, Filter.self]
    )
}

/// Exit codes shared by every subcommand.
enum ExitStatus {
    static let invalidInput: Int32 = 1
    static let cannotRead: Int32 = 2
}

/// Prints `error` to standard error as `FILE:LINE:COLUMN: kind error: message (path)`,
/// and returns the exit code it calls for.
func report(_ error: Error, file: String) -> ExitCode {
    if error is OutputClosed { return .success }
    if let error = error as? AiCOCOError {
        if error.kind == .io {
            printError("aicoco: \(error.message)")
            return ExitCode(ExitStatus.cannotRead)
        }
        printError(describe(error, file: file))
        return ExitCode(ExitStatus.invalidInput)
    }
    printError("aicoco: \(error)")
    return ExitCode(ExitStatus.cannotRead)
}

func describe(_ error: AiCOCOError, file: String) -> String {
    "\(file):\(error.location.line):\(error.location.column): \(error.kind.rawValue) error: \(error.message) (\(error.path))"
}

func printError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}

/// Options every reading subcommand shares.
struct InputOptions: ParsableArguments {
    @Argument(help: "The AiCOCO file to read, or - for standard input.")
    var file: String?

    @Flag(help: "Show a progress line on standard error (default: only when it is a terminal).")
    var progress = false

    @Option(help: "Most coordinate numbers one annotation may hold.")
    var maxRecordCoordinates = ParserLimits().maxCoordinatesPerRecord

    @Option(help: "Deepest nesting of arrays and objects.")
    var maxDepth = ParserLimits().maxDepth

    @Option(help: "Longest string, in bytes.")
    var maxStringBytes = ParserLimits().maxStringBytes

    @Option(help: "Longest number literal, in bytes.")
    var maxNumberBytes = ParserLimits().maxNumberBytes

    @Option(help: "Longest stretch of input without a complete token, in bytes (at least --max-string-bytes + 1024).")
    var maxTokenBytes = ParserLimits().maxTokenBytes

    @Option(help: "Largest record without its coordinates (strings, ids, extra fields), in bytes.")
    var maxRecordBytes = ParserLimits().maxRecordBytes

    var input: AiCOCOInput { AiCOCOInput(argument: file) }
    var displayName: String { file ?? "-" }

    var limits: ParserLimits {
        var limits = ParserLimits()
        limits.maxCoordinatesPerRecord = maxRecordCoordinates
        limits.maxDepth = maxDepth
        limits.maxStringBytes = maxStringBytes
        limits.maxNumberBytes = maxNumberBytes
        limits.maxRecordBytes = maxRecordBytes
        limits.maxTokenBytes = max(maxTokenBytes, maxStringBytes + 1024)
        return limits
    }

    /// A progress reporter when asked for, or when standard error is a terminal.
    func makeProgress() -> ProgressLine? {
        (progress || isatty(2) != 0) ? ProgressLine() : nil
    }
}

/// Monotonic seconds.
func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// A one-line progress report on standard error: bytes, %, MB/s, ETA.
final class ProgressLine {
    private let start = now()
    private var last = 0.0
    private var shown = false

    func update(bytes: Int, total: Int?, force: Bool = false) {
        let time = now()
        guard force || time - last >= 0.25 else { return }
        last = time
        let elapsed = max(time - start, 1e-9)
        let rate = Double(bytes) / elapsed / 1e6
        var text = "\r\(formatBytes(bytes))"
        if let total, total > 0 {
            let fraction = Double(bytes) / Double(total)
            text += " / \(formatBytes(total)) \(fixed(fraction * 100, 1))%"
            if rate > 0 {
                let remaining = Double(total - bytes) / 1e6 / rate
                text += " \(fixed(rate, 1)) MB/s ETA \(fixed(remaining, 0)) s"
            }
        } else {
            text += " \(fixed(rate, 1)) MB/s"
        }
        text += "   "
        text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
        shown = true
    }

    func finish(bytes: Int, total: Int?) {
        update(bytes: bytes, total: total, force: true)
        if shown { printError("") }
    }
}

func formatBytes(_ bytes: Int) -> String {
    if bytes >= 1 << 30 { return fixed(Double(bytes) / Double(1 << 30), 2) + " GiB" }
    if bytes >= 1 << 20 { return fixed(Double(bytes) / Double(1 << 20), 1) + " MiB" }
    if bytes >= 1 << 10 { return fixed(Double(bytes) / Double(1 << 10), 1) + " KiB" }
    return "\(bytes) B"
}

/// `value` with `digits` decimals.
func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "0" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(Int64(rounded))
    if digits > 0 {
        var fraction = Int64(((abs(rounded) - Double(Int64(abs(rounded)))) * scale).rounded())
        if fraction >= Int64(scale) { fraction = Int64(scale) - 1 }
        var digitsText = String(fraction)
        while digitsText.count < digits { digitsText = "0" + digitsText }
        if rounded < 0 && Int64(rounded) == 0 { text = "-0" }
        text += "." + digitsText
    }
    return text
}

/// Parses sizes like `200M`, `2G`, `1500000`, `64k`.
func parseByteCount(_ text: String) -> Int? {
    let lower = text.lowercased()
    let units: [(String, Int)] = [("gib", 1 << 30), ("mib", 1 << 20), ("kib", 1 << 10),
                                  ("gb", 1_000_000_000), ("mb", 1_000_000), ("kb", 1_000),
                                  ("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10), ("b", 1)]
    for (suffix, factor) in units where lower.hasSuffix(suffix) {
        let number = lower.dropLast(suffix.count)
        if let value = Double(number), value >= 0 { return Int(value * Double(factor)) }
        return nil
    }
    return Int(lower)
}

/// Standard output for data, with SIGPIPE ignored so that a reader going away (`| head`)
/// shows up as `OutputClosed` instead of killing the process.
func dataOutput() -> FileOutput {
    signal(SIGPIPE, SIG_IGN)
    return FileOutput(descriptor: 1, capacity: 1 << 18)
}

/// Size of the input when it is a regular file (for progress), else nil.
func regularFileSize(_ options: InputOptions) -> Int? {
    var info = stat()
    let status: Int32
    if let path = options.file, path != "-" { status = stat(path, &info) } else { status = fstat(0, &info) }
    guard status == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    return Int(info.st_size)
}
