// Writing a file whole or not at all: a temporary file beside it, renamed over it on success.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `path` through a temporary file in the same directory, renamed over `path` by
/// `commit()`. Until then an existing file at `path` is untouched: the temporary file is removed
/// by `discard()`, when the object goes away, and on SIGINT, SIGTERM or SIGHUP (a handler removes
/// it, then the process ends by the signal, as it would have). One at a time per process.
public final class ReplacingFile {
    /// Where to write the content.
    public let output: FileOutput
    public let path: String
    private let temporaryPath: String
    private var finished = false

    /// `compressed`: the content is written gzip-compressed.
    public init(path: String, capacity: Int = 1 << 18, compressed: Bool = false) throws {
        let directory: String
        let name: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
            name = String(path[path.index(after: slash)...])
        } else {
            directory = "."
            name = path
        }
        guard !name.isEmpty else { throw AiCOCOError.io("cannot write \(path): not a file name") }
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw AiCOCOError.io("cannot write \(path): it is a directory")
        }
        // The signals stay blocked from before the file has a name until the handler that removes
        // it is in place (install unblocks them): a signal in between would leave the name behind.
        var previous = sigset_t()
        SignalCleanup.block(saving: &previous)
        var template = Array((directory + "/." + name + ".aicoco-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            pthread_sigmask(SIG_SETMASK, &previous, nil)
            throw AiCOCOError.io("cannot create a temporary file in \(directory) for \(path): \(reason)")
        }
        temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        self.path = path
        output = FileOutput(descriptor: fd, capacity: capacity, closesDescriptor: true)
        SignalCleanup.install(removing: temporaryPath)
        if compressed { try output.compressing() }
    }

    deinit { discard() }

    /// Writes out what is buffered and puts the file in place (with the permissions a new file
    /// gets: 0666 less the umask).
    public func commit() throws {
        guard !finished else { return }
        try output.finishCompressing()
        let mask = umask(0)
        umask(mask)
        _ = fchmod(output.descriptor, 0o666 & ~mask)
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            discard()
            throw AiCOCOError.io("cannot write \(path): \(reason)")
        }
        finished = true
        SignalCleanup.uninstall()
    }

    /// Removes the temporary file; `path` stays as it was.
    public func discard() {
        guard !finished else { return }
        finished = true
        unlink(temporaryPath)
        SignalCleanup.uninstall()
    }
}

/// The signal handler's view of the temporary file: a path in memory that is never freed, so
/// that the handler only calls async-signal-safe functions (unlink, signal, raise).
private enum SignalCleanup {
    static let capacity = Int(PATH_MAX) + 1
    nonisolated(unsafe) static let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)
    nonisolated(unsafe) static var armed: sig_atomic_t = 0
    static let signals = [SIGINT, SIGTERM, SIGHUP]

    /// Blocks the signals the handler catches; the mask before is left in `previous`.
    static func block(saving previous: inout sigset_t) {
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals { sigaddset(&set, number) }
        pthread_sigmask(SIG_BLOCK, &set, &previous)
    }

    static func install(removing path: String) {
        let bytes = Array(path.utf8CString.prefix(capacity))
        for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        buffer[capacity - 1] = 0
        armed = 1
        for number in signals {
            signal(number) { received in
                if SignalCleanup.armed != 0 { unlink(SignalCleanup.buffer) }
                signal(received, SIG_DFL)
                raise(received)
            }
        }
        // Blocked since before the file was created, or by a parent (the mask is inherited): from
        // now on they reach the handler, a pending one at once.
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals { sigaddset(&set, number) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    static func uninstall() {
        armed = 0
        for number in signals { signal(number, SIG_DFL) }
    }
}
