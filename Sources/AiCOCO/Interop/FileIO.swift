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

/// Writes bytes to a file descriptor with `write(2)`, through a flat buffer: an append that
/// fits is a copy and a count (`write`, `write(byte:)`, `write(decimal:)`, `write(number:)`),
/// so writers of many short pieces (spill runs, `aicoco measure`'s CSV) need no block of their
/// own; a write larger than the buffer goes straight out.
public final class FileOutput {
    /// The file descriptor written to.
    public let descriptor: Int32
    private let ownsDescriptor: Bool
    /// `capacity` bytes, the first `count` of them waiting to be written (and `numberRoom` more,
    /// where a number that may not fit is formatted).
    private let buffer: UnsafeMutablePointer<UInt8>
    private var count = 0
    private let capacity: Int
    /// Room a number may need (`writeJSONNumber`'s 25 bytes, and a sign).
    private static let numberRoom = 32
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
        self.capacity = max(capacity, 1)
        buffer = .allocate(capacity: self.capacity + Self.numberRoom)
    }

    /// Creates (or truncates) `path` for writing.
    public init(path: String, capacity: Int = 1 << 16) throws {
        switch valueOrErrno({ open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }) {
        case .success(let fd): descriptor = fd
        case .failure(let error): throw DocumentError.io("cannot create \(path)", error)
        }
        ownsDescriptor = true
        self.capacity = max(capacity, 1)
        buffer = .allocate(capacity: self.capacity + Self.numberRoom)
    }

    deinit {
        try? flush()
        if ownsDescriptor { close(descriptor) }
        buffer.deallocate()
    }

    /// Writes `bytes` (through the buffer; large writes go straight out). Throws `FileOutput.Closed` when the reader has gone.
    @inline(__always)
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        let size = bytes.count
        guard count + size <= capacity else { return try writeOverflowing(bytes) }
        if size > 0 { UnsafeMutableRawPointer(buffer + count).copyMemory(from: bytes.baseAddress!, byteCount: size) }
        count += size
    }

    /// Writes `bytes`.
    @inline(__always)
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes `bytes[range]`.
    @inline(__always)
    package func write(_ bytes: [UInt8], _ range: Range<Int>) throws {
        try bytes.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    /// Writes `text` as UTF-8.
    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Writes one byte.
    @inline(__always)
    package func write(byte: UInt8) throws {
        if count == capacity { try makeRoom() }
        buffer[count] = byte
        count += 1
    }

    /// Writes `value` in decimal.
    @inline(__always)
    package func write(decimal value: Int) throws {
        guard value.magnitude < 1 << 53 else { return try write(String(value)) }
        try write(number: Double(value))
    }

    /// Writes a finite `value` as JSON writes it (`formatJSONNumber`).
    @inline(__always)
    package func write(number value: Double) throws {
        guard count + Self.numberRoom <= capacity else { return try writeOverflowing(number: value) }
        count += writeJSONNumber(value, to: buffer + count)
    }

    /// Writes out what the buffer holds.
    public func flush() throws {
        guard count > 0 else { return }
        if wholeLines { return try writeLines(all: true) }
        let size = count
        count = 0
        try writeAll(UnsafeRawBufferPointer(start: buffer, count: size))
    }

    /// `write` of bytes that do not fit in what is left of the buffer.
    @inline(never)
    private func writeOverflowing(_ bytes: UnsafeRawBufferPointer) throws {
        guard wholeLines else {
            try flush()
            if bytes.count >= capacity { return try writeAll(bytes) }
            UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            count = bytes.count
            return
        }
        // Lines: a buffer that ends on a newline goes out whole; otherwise it is filled and
        // written up to its last newline, as many times as it takes.
        if count > 0 && buffer[count - 1] == 0x0A { try writeLines(all: true) }
        var rest = bytes
        while count + rest.count > capacity {
            let taken = capacity - count
            UnsafeMutableRawPointer(buffer + count).copyMemory(from: rest.baseAddress!, byteCount: taken)
            count = capacity
            rest = UnsafeRawBufferPointer(rebasing: rest[taken...])
            try writeLines(all: false)
        }
        if !rest.isEmpty { UnsafeMutableRawPointer(buffer + count).copyMemory(from: rest.baseAddress!, byteCount: rest.count) }
        count += rest.count
    }

    /// `write(number:)` when the buffer may not have room for it: formatted past the buffer's
    /// end (its spare `numberRoom` bytes), then written as bytes.
    @inline(never)
    private func writeOverflowing(number value: Double) throws {
        let spare = buffer + capacity
        try write(UnsafeRawBufferPointer(start: spare, count: writeJSONNumber(value, to: spare)))
    }

    /// Makes room for a byte in a full buffer.
    @inline(never)
    private func makeRoom() throws {
        if wholeLines { try writeLines(all: false) } else { try flush() }
    }

    /// Writes the buffer up to its last newline (all of it when `all`, or when it has none),
    /// with the terminating signals held back until what is written ends on a newline.
    private func writeLines(all: Bool) throws {
        var end = count
        if !all, let newline = lastNewline() { end = newline + 1 }
        if heldMask == nil {
            var set = sigset_t(), previous = sigset_t()
            sigemptyset(&set)
            for number in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM] { sigaddset(&set, number) }
            pthread_sigmask(SIG_BLOCK, &set, &previous)
            heldMask = previous
        }
        do {
            try writeAll(UnsafeRawBufferPointer(start: buffer, count: end))
        } catch {
            releaseSignals()
            throw error
        }
        if buffer[end - 1] == 0x0A { releaseSignals() }
        count -= end
        if count > 0 { UnsafeMutableRawPointer(buffer).copyMemory(from: buffer + end, byteCount: count) }
    }

    /// Where the last newline in the buffer is, if it holds one: 8 bytes at a time from the end.
    private func lastNewline() -> Int? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        var end = count
        while end >= 8 {
            let word = UnsafeRawPointer(buffer + end - 8).loadUnaligned(as: UInt64.self) ^ (ones &* 0x0A)
            if (word &- ones) & ~word & (ones &* 0x80) != 0 { break }  // A byte of the word is a newline.
            end -= 8
        }
        while end > 0 {
            end -= 1
            if buffer[end] == 0x0A { return end }
        }
        return nil
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
