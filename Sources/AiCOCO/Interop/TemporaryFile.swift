// Anonymous temporary files (created, then unlinked at once) for spilling and second passes.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A temporary file with no name left on disk: it goes away with the process.
/// Write with `write`, then read it back from the start with `input` (or `pread`).
public final class TemporaryFile {
    public let descriptor: Int32
    private let output: FileOutput
    /// Bytes written so far.
    public private(set) var size = 0

    /// Creates the file in `$TMPDIR` (default `/tmp`).
    public init() throws {
        var directory = "/tmp"
        if let tmp = getenv("TMPDIR"), tmp[0] != 0 { directory = String(cString: tmp) }
        var template = Array((directory + "/aicoco-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw AiCOCOError.io("cannot create a temporary file in \(directory): \(String(cString: strerror(errno)))")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        descriptor = fd
        output = FileOutput(descriptor: fd, capacity: 1 << 20)
    }

    deinit { close(descriptor) }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try output.write(bytes)
        size += bytes.count
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes out what is buffered (call before reading).
    public func flush() throws { try output.flush() }

    /// The file from its start, as an input (flushes first). One reader at a time.
    public func input() throws -> AiCOCOInput {
        try flush()
        guard lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw AiCOCOError.io("cannot seek in a temporary file: \(String(cString: strerror(errno)))")
        }
        return .fileDescriptor(descriptor)
    }

    /// Reads up to `count` bytes at `offset` into `buffer`.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw AiCOCOError.io("cannot read a temporary file: \(String(cString: strerror(errno)))")
        }
    }

    /// Copies all of `input` into a new temporary file (to read standard input twice).
    public static func spill(_ input: AiCOCOInput, progress: ((Int) -> Void)? = nil) throws -> TemporaryFile {
        let file = try TemporaryFile()
        let (reader, _) = try input.openReader()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readChunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try reader.read(into: buffer)
            if count == 0 { break }
            try file.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            progress?(file.size)
        }
        try file.flush()
        return file
    }
}

/// An input that can be read more than once: a regular file as it is, anything else
/// (a pipe, standard input) spilled to a temporary file first.
public final class RereadableInput {
    private let original: AiCOCOInput
    private let spilled: TemporaryFile?

    public init(_ input: AiCOCOInput, progress: ((Int) -> Void)? = nil) throws {
        original = input
        switch input {
        case .file, .bytes:
            spilled = nil
        case .standardInput, .fileDescriptor:
            let fd: Int32
            if case .fileDescriptor(let descriptor) = input { fd = descriptor } else { fd = 0 }
            var info = stat()
            if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, lseek(fd, 0, SEEK_CUR) == 0 {
                spilled = nil
            } else {
                spilled = try TemporaryFile.spill(input, progress: progress)
            }
        }
    }

    /// The input from its start, for one more pass.
    public func pass() throws -> AiCOCOInput {
        if let spilled { return try spilled.input() }
        switch original {
        case .standardInput, .fileDescriptor:
            let fd: Int32
            if case .fileDescriptor(let descriptor) = original { fd = descriptor } else { fd = 0 }
            guard lseek(fd, 0, SEEK_SET) == 0 else {
                throw AiCOCOError.io("cannot seek in the input: \(String(cString: strerror(errno)))")
            }
            return .fileDescriptor(fd)
        default:
            return original
        }
    }

    /// Size in bytes when known.
    public var size: Int? {
        if let spilled { return spilled.size }
        return nil
    }
}
