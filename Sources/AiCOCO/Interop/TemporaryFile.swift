// Anonymous temporary files (no name on disk at any time they could be left behind) for
// spilling and second passes.
import Glibc

/// A temporary file with no name left on disk: it goes away with the process, whether it
/// ends normally, on an error, or on a signal (SIGINT, SIGTERM, even SIGKILL).
/// Write with `write` (buffered, appends) or `write(_:at:)`, read with `read(at:into:)` or `input`.
final class TemporaryFile {
    let descriptor: Int32
    /// The directory the file lives in (`$TMPDIR`, else `/tmp`), named in every error.
    let directory: String
    private var output: FileOutput?
    private let bufferCapacity: Int
    /// Bytes written so far (the file's size).
    private(set) var size = 0

    /// Creates the file in `directory` (default: `$TMPDIR`, else `/tmp`), with a write
    /// buffer of `bufferCapacity` bytes allocated on the first buffered write.
    init(directory: String = temporaryDirectory(), bufferCapacity: Int = 1 << 16) throws {
        self.directory = directory
        self.bufferCapacity = bufferCapacity
        descriptor = try Self.anonymousDescriptor(in: directory)
    }

    deinit { close(descriptor) }

    /// A file in `directory` that has no name on disk, open for reading and writing (what every
    /// temporary file is made of, `RandomAccessFile(temporaryIn:)`'s too).
    static func anonymousDescriptor(in directory: String) throws -> Int32 {
        #if os(Linux)
        // O_TMPFILE: the file never has a name.
        // O_TMPFILE is __O_TMPFILE | O_DIRECTORY, a macro Swift does not import.
        switch valueOrErrno({ open(directory, 0o20000000 | O_DIRECTORY | O_RDWR | O_CLOEXEC, 0o600) }) {
        case .success(let anonymous): return anonymous
        case .failure(.notSupported), .failure(.isDirectory), .failure(.invalidArgument): break
        case .failure(let error): throw failure("cannot create a temporary file in", directory, error)
        }
        #endif
        // Fallback: mkstemp then unlink, with the signals that end the process blocked in
        // between, so that the name cannot outlive the process.
        var blocked = sigset_t(), previous = sigset_t()
        sigemptyset(&blocked)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&blocked, signal) }
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        let fd: Int32
        switch makeUniqueFile(prefix: directory + "/aicoco-") {
        case .success(let created):
            fd = created.descriptor
            unlink(created.path)
        case .failure(let error): throw failure("cannot create a temporary file in", directory, error)
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    /// An I/O error naming the directory and how to choose another one.
    static func failure(_ what: String, _ directory: String, _ error: Errno) -> DocumentError {
        var failure = DocumentError.io("\(what) \(directory) (the temporary directory): \(error); "
                                     + "set TMPDIR to a writable directory with free space")
        failure.errno = error
        return failure
    }

    /// The error for a temporary file that reads back shorter than it was written.
    func cutShort() -> DocumentError {
        .io("a temporary file in \(directory) (the temporary directory) was cut short; set TMPDIR to another directory")
    }

    /// Appends `bytes` through the write buffer (a copy when they fit in it: spill runs are
    /// written a record at a time).
    @inline(__always)
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        let output = self.output ?? startWriting()
        do {
            try output.write(bytes)
        } catch let error as DocumentError {
            throw rewrap(error)
        }
        size += bytes.count
    }

    /// The write buffer, made for the first buffered write (again after `finishWriting`).
    @inline(never)
    private func startWriting() -> FileOutput {
        let output = FileOutput(descriptor: descriptor, capacity: bufferCapacity)
        self.output = output
        return output
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes `bytes` at `offset` directly (unbuffered); the size grows to cover them.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        try pwriteFully(descriptor, bytes, at: offset, failure: { Self.failure("cannot write a temporary file in", directory, $0) },
                        nothingWritten: cutShort())
        size = max(size, offset + bytes.count)
    }

    /// Empties the file (its disk space is given back).
    func truncate() throws {
        try flush()
        if case .failure(let error) = nothingOrErrno({ ftruncate(descriptor, 0) }).flatMap({ nothingOrErrno { lseek(descriptor, 0, SEEK_SET) } }) {
            throw Self.failure("cannot truncate a temporary file in", directory, error)
        }
        size = 0
    }

    /// Writes out what is buffered (call before reading).
    func flush() throws {
        do {
            try output?.flush()
        } catch let error as DocumentError {
            throw rewrap(error)
        }
    }

    private func rewrap(_ error: DocumentError) -> DocumentError {
        guard error.kind == .io else { return error }
        if let errno = error.errno { return Self.failure("cannot write a temporary file in", directory, errno) }
        return .io("cannot write a temporary file in \(directory) (the temporary directory): \(error.message); "
                   + "set TMPDIR to a writable directory with free space")
    }

    /// Writes out what is buffered and frees the write buffer (until the next buffered write).
    func finishWriting() throws {
        try flush()
        output = nil
    }

    /// The file from its start, as an input (flushes first). One reader at a time.
    func input() throws -> DocumentSource {
        try flush()
        if case .failure(let error) = nothingOrErrno({ lseek(descriptor, 0, SEEK_SET) }) {
            throw Self.failure("cannot seek in a temporary file in", directory, error)
        }
        return .fileDescriptor(descriptor)
    }

    /// Reads up to `buffer.count` bytes at `offset` into `buffer` (fewer only at the end).
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try preadFully(descriptor, into: buffer, at: offset) { Self.failure("cannot read a temporary file in", directory, $0) }
    }
}

extension DocumentSource {
    /// Whether the input can be read again from its start: bytes, a regular file (or a
    /// directory, refused when opened), standard input or a descriptor that is a regular file
    /// at its start. Not a FIFO, a pipe (/dev/fd/N of a process substitution) or a device.
    var canBeReadAgain: Bool {
        var info = stat()
        switch self {
        case .bytes:
            return true
        case .file(let path):
            return !(stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG && (info.st_mode & S_IFMT) != S_IFDIR)
        case .standardInput, .fileDescriptor:
            let fd = descriptor
            return fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && lseek(fd, 0, SEEK_CUR) == 0
        }
    }

    /// The input from its start again (a descriptor is rewound).
    func rewound() throws -> DocumentSource {
        switch self {
        case .standardInput, .fileDescriptor:
            if case .failure(let error) = nothingOrErrno({ lseek(descriptor, 0, SEEK_SET) }) {
                throw DocumentError.io("cannot seek in the input", error)
            }
            return .fileDescriptor(descriptor)
        default:
            return self
        }
    }

    private var descriptor: Int32 {
        if case .fileDescriptor(let descriptor) = self { return descriptor }
        return 0
    }
}
