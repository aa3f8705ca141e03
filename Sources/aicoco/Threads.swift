import AiCOCO
import ArgumentParser

/// `--threads`: how many cores one run may use.
struct ThreadOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Threads to read with: several files at once, and the long arrays of one big file split among them (default: the cores this process may use; 1 reads on one core). Results are the same bytes whatever the number.", valueName: "count"))
    var threads: ThreadCount?

    /// For tests and the fuzzer: split files of any size into stretches of this many bytes.
    @Option(name: .customLong("split-bytes"), help: .hidden)
    var splitBytes: ByteCount?

    /// The number asked for, or the cores the process may use.
    var count: Int { max(1, threads?.value ?? availableCoreCount()) }

    /// How one file is split among the threads.
    var split: SplitOptions {
        var split = SplitOptions(threads: count)
        if let splitBytes {
            split.stretchBytes = max(1, splitBytes.bytes)
            split.minimumBytes = 0
        }
        return split
    }
}

/// A `--threads` count: 1 or more (0 is refused, as a negative count is).
struct ThreadCount: ExpressibleByArgument, Sendable, Equatable {
    var value: Int
    init?(argument: String) {
        guard let value = Int(argument), value >= 1 else { return nil }
        self.value = value
    }
}

/// Where one file's report goes: straight to standard output and error, or, when several files
/// are read at once, kept whole and written later in argument order.
final class ReportOutput: @unchecked Sendable {
    /// nil: written at once.
    private var pieces: [(toError: Bool, text: String)]?

    /// `buffered`: keep what is written until `replay()`.
    init(buffered: Bool) {
        pieces = buffered ? [] : nil
    }

    /// The report's output written at once (one file, or one thread).
    static var direct: ReportOutput { ReportOutput(buffered: false) }

    /// Writes `text` to standard output as it is; `FileOutput.Closed` when the reader went away.
    func write(_ text: String) throws {
        guard !text.isEmpty else { return }
        if pieces != nil { return pieces!.append((false, text)) }
        try writeReport(text)
    }

    /// Writes a line to standard output.
    func printLine(_ text: String) throws {
        try write(text + "\n")
    }

    /// Writes a line to standard error.
    func printErrorLine(_ text: String) {
        if pieces != nil { return pieces!.append((true, text)) }
        printError(text)
    }

    /// Writes what was kept, in the order it came; throws as `write` does.
    func replay() throws {
        guard let kept = pieces else { return }
        pieces = nil
        for piece in kept {
            if piece.toError { printError(piece.text) } else { try write(piece.text) }
        }
    }
}

/// A command's parsed options, handed to the threads that read its files (which only read them).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Whether `file` names a regular file, which threads may read at once (standard input, a FIFO
/// or a device is read by one reader, so files are then read one after another).
func isRegularFileArgument(_ file: String) -> Bool {
    file != "-" && regularFileSize(path: file) != nil
}
