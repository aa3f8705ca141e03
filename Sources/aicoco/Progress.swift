#if canImport(Glibc)
import Glibc
#endif

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

