import AiCOCO

/// Monotonic seconds.
func now() -> Double { monotonicSeconds() }

/// A one-line progress report on standard error: bytes, %, MB/s, ETA.
///
/// On a terminal it behaves like a well-mannered tool: nothing during the first second (short
/// runs and errors at opening print nothing), one line redrawn in place, erased when done, and
/// never when standard output is that same terminal (the data would be glued to it). When
/// standard error is not a terminal, it shows only with `--progress`, and its last line stays.
final class ProgressLine {
    private let start = now()
    private var last = 0.0
    private var shown = false
    private let onTerminal: Bool

    /// Seconds of work before anything is shown on a terminal.
    static let delay = 1.0

    /// A progress line when one should show: standard error is a terminal that is not also
    /// standard output, or `forced` (`--progress`) with standard error elsewhere.
    static func make(forced: Bool) -> ProgressLine? {
        if StandardStreams.errorIsTerminal {
            return StandardStreams.outputAndErrorShareTerminal ? nil : ProgressLine(onTerminal: true)
        }
        return forced ? ProgressLine(onTerminal: false) : nil
    }

    private init(onTerminal: Bool) {
        self.onTerminal = onTerminal
    }

    func update(bytes: Int, total: Int?, force: Bool = false) {
        let time = now()
        if onTerminal && time - start < Self.delay { return }
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
        text += onTerminal ? "\u{1B}[K" : "   "
        StandardStreams.writeError(text)
        shown = true
    }

    /// The work is over (`succeeded` false on an error): on a terminal the line is erased; else
    /// a last line is written on success, and only what was already shown ends on an error.
    func finish(bytes: Int, total: Int?, succeeded: Bool = true) {
        if onTerminal {
            if shown { printErrorRaw("\r\u{1B}[K") }
            return
        }
        if succeeded { update(bytes: bytes, total: total, force: true) }
        if shown { printError("") }
    }
}

/// Writes `text` to standard error as it is (no newline).
func printErrorRaw(_ text: String) {
    StandardStreams.writeError(text)
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

