// What the command-line tool needs of the C library: its standard streams, the terminal,
// the clock, file sizes and the exit.
import Glibc

/// The process's standard output and standard error, written unbuffered and whole.
package enum StandardStreams {
    /// Makes a reader going away (`| head`) an error of the write (`Errno.brokenPipe`)
    /// instead of a SIGPIPE that ends the process.
    package static func ignoreBrokenPipe() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// Writes `text` whole to standard output (SIGPIPE ignored); throws the `Errno` of a
    /// failed write.
    package static func writeOutput(_ text: String) throws(Errno) {
        ignoreBrokenPipe()
        try writeAll(text, to: 1)
    }

    /// Writes `text` to standard error as it is; a failure is not reported (there is nowhere to).
    package static func writeError(_ text: String) {
        try? writeAll(text, to: 2)
    }

    private static func writeAll(_ text: String, to descriptor: Int32) throws(Errno) {
        var text = text
        let result = text.withUTF8 { bytes -> Result<Void, Errno> in
            var offset = 0
            while offset < bytes.count {
                switch valueOrErrno({ write(descriptor, bytes.baseAddress! + offset, bytes.count - offset) }) {
                case .success(let written): offset += written
                case .failure(let error): return .failure(error)
                }
            }
            return .success(())
        }
        try result.get()
    }

    /// Whether standard error is a terminal.
    package static var errorIsTerminal: Bool { isatty(2) != 0 }

    /// Whether standard output and standard error are the same terminal.
    package static var outputAndErrorShareTerminal: Bool {
        guard isatty(1) != 0, isatty(2) != 0 else { return false }
        var first = stat(), second = stat()
        guard fstat(1, &first) == 0, fstat(2, &second) == 0 else { return true }
        return first.st_rdev == second.st_rdev
    }
}

/// Monotonic seconds (`CLOCK_MONOTONIC`), for durations.
package func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Size of `path` (standard input for nil or `-`) when it is a regular file, else nil.
package func regularFileSize(path: String?) -> Int? {
    var info = stat()
    let status: Int32
    if let path, path != "-" { status = stat(path, &info) } else { status = fstat(0, &info) }
    guard status == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    return Int(info.st_size)
}

/// Ends the process at once with `status` (no unwinding, as C's `exit`).
package func exitProcess(_ status: Int32) -> Never {
    exit(status)
}
