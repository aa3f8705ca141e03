// Reading and writing file descriptors in chunks (`read(2)`, buffered `write(2)`).
import Glibc

/// Reads a file or a file descriptor in chunks with `read(2)`.
final class FileInput {
    let descriptor: Int32
    private let ownsDescriptor: Bool
    let name: String

    /// Opens `path` for reading.
    init(path: String) throws {
        switch valueOrErrno({ open(path, O_RDONLY | O_CLOEXEC) }) {
        case .success(let fd): descriptor = fd
        case .failure(let error): throw DocumentError.io("cannot open \(path)", error)
        }
        ownsDescriptor = true
        name = path
    }

    /// Reads from an open descriptor (e.g. standard input); it is not closed.
    init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        ownsDescriptor = false
        self.name = name
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// Size of the file when it is a regular file (not a pipe).
    var regularFileSize: Int? {
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// Reads up to `buffer.count` bytes; 0 at the end of the input.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        switch valueOrErrno({ Glibc.read(descriptor, buffer.baseAddress, buffer.count) }) {
        case .success(let count): return count
        case .failure(let error): throw DocumentError.io("cannot read \(name)", error)
        }
    }
}

/// Writes bytes to a file descriptor with `write(2)`, through a buffer.
public final class FileOutput {
    /// The file descriptor written to.
    public let descriptor: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    private let capacity: Int
    /// When set, what reaches the descriptor ends on a newline whenever a signal can end the
    /// process: a full buffer goes out up to its last newline (the rest is kept) with the signals
    /// that end a process held back while it is written; a line longer than the buffer keeps
    /// them held back until its newline is written. For outputs of lines (`aicoco records`).
    public var wholeLines = false
    /// The signal mask before the signals were held back, while they are.
    private var heldMask: sigset_t?

    /// Writes to an open descriptor (e.g. standard output), closed at the end only when
    /// `closesDescriptor` says so.
    public init(descriptor: Int32, capacity: Int = 1 << 16, closesDescriptor: Bool = false) {
        self.descriptor = descriptor
        ownsDescriptor = closesDescriptor
        self.capacity = capacity
        buffer.reserveCapacity(capacity)
    }

    /// Creates (or truncates) `path` for writing.
    public init(path: String, capacity: Int = 1 << 16) throws {
        switch valueOrErrno({ open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }) {
        case .success(let fd): descriptor = fd
        case .failure(let error): throw DocumentError.io("cannot create \(path)", error)
        }
        ownsDescriptor = true
        self.capacity = capacity
        buffer.reserveCapacity(capacity)
    }

    deinit {
        try? flush()
        if ownsDescriptor { close(descriptor) }
    }

    /// Writes `bytes` (through the buffer; large writes go straight out). Throws `FileOutput.Closed` when the reader has gone.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if wholeLines {
            buffer.append(contentsOf: bytes)
            if buffer.count >= capacity { try writeLines(all: false) }
            return
        }
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Writes `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes `text` as UTF-8.
    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Writes out what the buffer holds.
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        if wholeLines { return try writeLines(all: true) }
        defer { buffer.removeAll(keepingCapacity: true) }
        try buffer.withUnsafeBytes { try writeAll($0) }
    }

    /// Writes the buffer up to its last newline (all of it when `all`, or when it has none),
    /// with the terminating signals held back until what is written ends on a newline.
    private func writeLines(all: Bool) throws {
        var end = buffer.count
        if !all, let newline = buffer.lastIndex(of: 0x0A) { end = newline + 1 }
        if heldMask == nil {
            var set = sigset_t(), previous = sigset_t()
            sigemptyset(&set)
            for number in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM] { sigaddset(&set, number) }
            pthread_sigmask(SIG_BLOCK, &set, &previous)
            heldMask = previous
        }
        do {
            try buffer.withUnsafeBytes { try writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<end])) }
        } catch {
            releaseSignals()
            throw error
        }
        if buffer[end - 1] == 0x0A { releaseSignals() }
        buffer.removeFirst(end)
    }

    /// Lets held-back signals through (a pending one acts now, after a whole line).
    private func releaseSignals() {
        guard var previous = heldMask else { return }
        heldMask = nil
        pthread_sigmask(SIG_SETMASK, &previous, nil)
    }

    /// From now on, what is written is gzip-compressed (`finishCompressing()` ends the stream).
    func compressing(level: Int32 = 6) throws {
        try flush()
        compressor = try GzipWriter(level: level) { [unowned self] in try self.writeDescriptor($0) }
    }

    /// Flushes, and ends the gzip stream begun by `compressing()` (if any).
    func finishCompressing() throws {
        try flush()
        try compressor?.finish()
        compressor = nil
    }

    private var compressor: GzipWriter?

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        if let compressor { return try compressor.write(bytes) }
        try writeDescriptor(bytes)
    }

    private func writeDescriptor(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            switch valueOrErrno({ Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset) }) {
            case .success(let written): offset += written
            case .failure(.brokenPipe): throw FileOutput.Closed()
            case .failure(let error): throw DocumentError.io("cannot write", error)
            }
        }
    }
}

extension FileOutput {
    /// The reader of our output went away (a closed pipe, as with `| head`).
    public struct Closed: Error, Sendable {
        /// The error.
        public init() {}
    }
}

extension DocumentError {
    static func io(_ message: String) -> DocumentError {
        DocumentError(kind: .io, message: message, path: "$", location: SourceLocation(offset: 0, line: 1, column: 1))
    }
}
