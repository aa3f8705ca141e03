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

    /// Copies all of `input` into a new temporary file (to read standard input twice), as it is
    /// (compressed input stays compressed, and is inflated at each pass). With `document`, the
    /// first byte that is not whitespace must open a JSON object (or a gzip stream): anything
    /// else is a placed syntax error at once, before any copying.
    static func spill(_ input: DocumentSource, document: Bool = false,
                             progress: ((Int) -> Void)? = nil) throws -> TemporaryFile {
        let (reader, _) = try input.openReader(decompressing: false)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readChunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var checker = document ? DocumentStartCheck() : nil
        var file: TemporaryFile?
        var size = 0
        while true {
            let count = try reader.read(into: buffer)
            if count == 0 { break }
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            try checker?.check(bytes, name: input.displayName)
            if file == nil { file = try TemporaryFile() }
            try file!.write(bytes)
            size += count
            progress?(size)
        }
        let spilled = try file ?? TemporaryFile()
        try spilled.flush()
        return spilled
    }
}

/// An input that can be read more than once: a regular file as it is, anything else (standard
/// input, a pipe, a FIFO, a device) copied to a temporary file first, once its first bytes
/// look like a document (`TemporaryFile.spill(_:document:)`).
package final class RereadableInput {
    private let original: DocumentSource
    private let spilled: TemporaryFile?

    package init(_ input: DocumentSource, progress: ((Int) -> Void)? = nil) throws {
        original = input
        switch input {
        case .bytes:
            spilled = nil
        case .file(let path):
            // A FIFO, a pipe (/dev/fd/N of a process substitution) or a device cannot be opened
            // and read again: copied once, like standard input.
            var info = stat()
            if stat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG, (info.st_mode & S_IFMT) != S_IFDIR {
                spilled = try TemporaryFile.spill(input, document: true, progress: progress)
            } else {
                spilled = nil
            }
        case .standardInput, .fileDescriptor:
            let fd: Int32
            if case .fileDescriptor(let descriptor) = input { fd = descriptor } else { fd = 0 }
            var info = stat()
            if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, lseek(fd, 0, SEEK_CUR) == 0 {
                spilled = nil
            } else {
                spilled = try TemporaryFile.spill(input, document: true, progress: progress)
            }
        }
    }

    /// The input from its start, for one more pass.
    package func pass() throws -> DocumentSource {
        if let spilled { return try spilled.input() }
        switch original {
        case .standardInput, .fileDescriptor:
            let fd: Int32
            if case .fileDescriptor(let descriptor) = original { fd = descriptor } else { fd = 0 }
            if case .failure(let error) = nothingOrErrno({ lseek(fd, 0, SEEK_SET) }) {
                throw DocumentError.io("cannot seek in the input", error)
            }
            return .fileDescriptor(fd)
        default:
            return original
        }
    }

    /// Size in bytes when known.
    package var size: Int? {
        if let spilled { return spilled.size }
        return nil
    }
}

/// The first byte of a document that is not whitespace, checked as the bytes stream in.
struct DocumentStartCheck {
    private var done = false
    private var offset = 0
    private var line = 1
    private var lineStart = 0

    mutating func check(_ bytes: UnsafeRawBufferPointer, name: String) throws {
        guard !done else { return }
        for byte in bytes {
            switch byte {
            case 0x20, 0x09, 0x0D:
                break
            case 0x0A:
                line += 1
                lineStart = offset + 1
            case UInt8(ascii: "{"), 0x1F:  // An object, or a gzip stream's first byte.
                done = true
                return
            default:
                let shown = byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x" + String(byte, radix: 16, uppercase: true)
                throw DocumentError(kind: .syntax, message: "expected an AiCOCO document (a JSON object, '{'), found \(shown)",
                                  path: "$", location: SourceLocation(offset: offset, line: line, column: offset - lineStart + 1),
                                  file: name == "-" ? nil : name)
            }
            offset += 1
        }
    }
}
