// A file written and read at offsets (pwrite/pread), for volumes written slice by slice in any order.
import Glibc

/// A file read and written at offsets. Unwritten parts of a file grown with `setSize` read as zeros
/// (and take no disk space where the file system supports holes).
final class RandomAccessFile {
    let descriptor: Int32
    let name: String
    /// The `TerminationCleanup` slot of a file made with `init(besides:)` until it is renamed or removed.
    private var cleanupSlot: Int?

    /// Creates (or truncates) `path` for reading and writing.
    init(creating path: String) throws {
        switch valueOrErrno({ open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) }) {
        case .success(let fd): descriptor = fd
        case .failure(let error): throw DocumentError.io("cannot create \(path)", error)
        }
        name = path
    }

    /// A new file beside `path` (same directory, a hidden unique name), to be renamed onto `path`
    /// with `replace(_:)` once complete; `discard()` removes it, and so does a terminating signal
    /// (`TerminationCleanup`).
    init(besides requested: String) throws {
        let path = try ReplacingFile.target(of: requested).path
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let created = try TerminationCleanup.creatingUnique(prefix: directory + "." + base + ".aicoco-") {
            DocumentError.io("cannot create a file beside \(path)", $0)
        }
        descriptor = created.descriptor
        name = created.path
        cleanupSlot = created.slot
        _ = fchmod(descriptor, 0o644)
    }

    /// Renames this file (made with `init(besides:)`) onto `path` (what a symbolic link there names).
    func replace(_ requested: String) throws {
        let path = (try? ReplacingFile.target(of: requested).path) ?? requested
        if case .failure(let error) = nothingOrErrno({ rename(name, path) }) {
            throw DocumentError.io("cannot rename \(name) to \(path)", error)
        }
        if let cleanupSlot { TerminationCleanup.unregister(cleanupSlot) }
        cleanupSlot = nil
    }

    /// Removes this file's name.
    func discard() {
        _ = unlink(name)
        if let cleanupSlot { TerminationCleanup.unregister(cleanupSlot) }
        cleanupSlot = nil
    }

    /// A temporary file in `directory` (default `$TMPDIR`, else `/tmp`) with no name on disk, as
    /// `TemporaryFile` makes them.
    init(temporaryIn directory: String = temporaryDirectory()) throws {
        descriptor = try TemporaryFile.anonymousDescriptor(in: directory)
        name = "a temporary file in \(directory)"
    }

    deinit {
        close(descriptor)
        if cleanupSlot != nil { discard() }
    }

    /// Grows or shrinks the file to `size` bytes.
    func setSize(_ size: Int) throws {
        if case .failure(let error) = nothingOrErrno({ ftruncate(descriptor, off_t(size)) }) {
            throw DocumentError.io("cannot size \(name) to \(size) bytes", error)
        }
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        try pwriteFully(descriptor, bytes, at: offset, failure: { DocumentError.io("cannot write \(name)", $0) },
                        nothingWritten: DocumentError.io("cannot write \(name): nothing was written"))
    }

    /// Fills `buffer` from `offset`; what lies past the end of the file reads as zeros.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        let done = try preadFully(descriptor, into: buffer, at: offset, name: name)
        if done < buffer.count {
            (buffer.baseAddress! + done).initializeMemory(as: UInt8.self, repeating: 0, count: buffer.count - done)
        }
    }
}
