// Reads at given offsets of a file (pread) and counts the cores the process may use
// (sched_getaffinity): what the parallel readers need from the C library.
import Glibc

/// The cores this process may run on (its CPU affinity, as `nproc` counts them), at least 1.
public func availableCoreCount() -> Int {
    #if os(Linux)
    // sched_getaffinity is a GNU extension the Glibc module does not show: looked up by name.
    typealias GetAffinity = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sched_getaffinity") {
        let getAffinity = unsafeBitCast(symbol, to: GetAffinity.self)
        var mask = [UInt64](repeating: 0, count: 16)  // 1024 CPUs, glibc's cpu_set_t
        let status = mask.withUnsafeMutableBytes { getAffinity(0, $0.count, $0.baseAddress!) }
        let count = mask.reduce(0) { $0 + $1.nonzeroBitCount }
        if status == 0, count > 0 { return count }
    }
    #endif
    return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}

/// A regular file read at offsets of its own choosing, by several threads at once.
final class PositionalFile: @unchecked Sendable {
    private let descriptor: Int32
    let name: String
    /// Size when opened.
    let size: Int

    /// Opens `path`; nil when it is not a regular file (a pipe, a device), told by its path
    /// first: opening a FIFO to look would take its writer (whose next write then fails), and
    /// the read in order that follows would wait for another writer forever.
    init?(path: String) throws {
        var named = stat()
        guard stat(path, &named) == 0, (named.st_mode & S_IFMT) == S_IFREG else { return nil }
        let fd: Int32
        switch valueOrErrno({ open(path, O_RDONLY | O_CLOEXEC) }) {
        case .success(let opened): fd = opened
        case .failure(let error): throw DocumentError.io("cannot open \(path)", error)
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return nil
        }
        descriptor = fd
        name = path
        size = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
        try preadFully(descriptor, into: buffer, at: offset, name: name)
    }

    /// The bytes in `range` (clipped to the file).
    func bytes(_ range: Range<Int>) throws -> [UInt8] {
        let count = max(0, min(range.upperBound, size) - range.lowerBound)
        // Not zeroed first (the split's guesses read a MiB from each end of the file): only the
        // bytes read are kept.
        return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = try self.read(into: UnsafeMutableRawBufferPointer(buffer), at: range.lowerBound)
        }
    }

    /// Calls `body` with `range` of the file block by block (at most `blockBytes` each, one
    /// buffer reused) while it returns true; false when it stopped early or the file was short.
    func readBlocks(_ range: Range<Int>, blockBytes: Int = 256 << 10,
                    _ body: (UnsafeBufferPointer<UInt8>) throws -> Bool) throws -> Bool {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockBytes, alignment: 16)
        defer { buffer.deallocate() }
        var offset = range.lowerBound
        while offset < range.upperBound {
            let want = min(blockBytes, range.upperBound - offset)
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: offset)
            guard count == want else { return false }
            let block = UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)
            guard try body(block) else { return false }
            offset += count
        }
        return true
    }
}

/// Reads `buffer.count` bytes of `descriptor` from `offset` (pread, retried on interrupts); fewer
/// only at the end of the file. Returns how many were read; errors name the file `name`.
func preadFully(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, name: String) throws -> Int {
    try preadFully(descriptor, into: buffer, at: offset) { DocumentError.io("cannot read \(name)", $0) }
}

/// `preadFully(_:into:at:name:)` with the error a failed call makes given by `failure`.
func preadFully(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int,
                failure: (Errno) -> DocumentError) throws -> Int {
    var done = 0
    while done < buffer.count {
        switch valueOrErrno({ pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done)) }) {
        case .success(0): return done
        case .success(let read): done += read
        case .failure(let error): throw failure(error)
        }
    }
    return done
}

/// Writes all of `bytes` to `descriptor` at `offset` (pwrite, retried on interrupts and short
/// writes); `failure` makes the error of a failed call, `nothingWritten` that of a call that
/// wrote nothing.
func pwriteFully(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int,
                 failure: (Errno) -> DocumentError, nothingWritten: @autoclosure () -> DocumentError) throws {
    var done = 0
    while done < bytes.count {
        switch valueOrErrno({ pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done)) }) {
        case .success(let count) where count > 0: done += count
        case .success: throw nothingWritten()
        case .failure(let error): throw failure(error)
        }
    }
}
