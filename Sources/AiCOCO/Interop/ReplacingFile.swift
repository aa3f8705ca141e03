// Writing a file whole or not at all: a temporary file beside it, renamed over it on success.
import Glibc

/// Writes `path` through a temporary file in the same directory, renamed over `path` by
/// `commit()`. Until then an existing file at `path` is untouched: the temporary file is removed
/// by `discard()`, when the object goes away, and on SIGINT, SIGTERM or SIGHUP (see
/// `TerminationCleanup`). A symbolic link at `path` is followed (the file it names is replaced,
/// the link stays); a FIFO, a device or a socket is refused, since a rename would replace it by a
/// regular file. A replaced file keeps its permission bits.
package final class ReplacingFile {
    /// Where to write the content.
    package let output: FileOutput
    package let path: String
    /// The file the rename replaces (`path`, or what a symbolic link there names).
    private let target: String
    private let temporaryPath: String
    private let slot: Int
    /// Permission bits for the file: those of the file replaced, else 0666 less the umask.
    private let mode: mode_t
    private var finished = false

    /// `compressed`: the content is written gzip-compressed.
    package init(path: String, capacity: Int = 1 << 18, compressed: Bool = false) throws {
        let (target, existingMode) = try Self.target(of: path)
        let directory: String
        let name: String
        if let slash = target.lastIndex(of: "/") {
            directory = slash == target.startIndex ? "/" : String(target[..<slash])
            name = String(target[target.index(after: slash)...])
        } else {
            directory = "."
            name = target
        }
        guard !name.isEmpty else { throw DocumentError.io("cannot write \(path): not a file name") }
        if let existingMode {
            mode = existingMode
        } else {
            let mask = umask(0)
            umask(mask)
            mode = 0o666 & ~mask
        }
        let created = try TerminationCleanup.creatingUnique(prefix: directory + "/." + name + ".aicoco-") {
            DocumentError.io("cannot create a temporary file in \(directory) for \(path)", $0)
        }
        temporaryPath = created.path
        slot = created.slot
        self.path = path
        self.target = target
        output = FileOutput(descriptor: created.descriptor, capacity: capacity, closesDescriptor: true)
        if compressed {
            do { try output.compressing() } catch { discard(); throw error }
        }
    }

    deinit { discard() }

    /// The file an output at `path` replaces (what a symbolic link there names) and, when it
    /// exists, its permission bits; throws for a directory, a FIFO, a device or a socket.
    static func target(of path: String) throws -> (path: String, mode: mode_t?) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return (path, nil) }
        var target = path
        if (info.st_mode & S_IFMT) == S_IFLNK {
            guard stat(path, &info) == 0, let resolved = realpath(path, nil) else { return (path, nil) }
            target = String(cString: resolved)
            free(resolved)
        }
        let kind = info.st_mode & S_IFMT
        if kind == S_IFDIR { throw DocumentError.io("cannot write \(path): it is a directory") }
        guard kind == S_IFREG else {
            let what = kind == S_IFIFO ? "a FIFO (named pipe)" : kind == S_IFCHR || kind == S_IFBLK ? "a device"
                : kind == S_IFSOCK ? "a socket" : "not a regular file"
            throw DocumentError.io("cannot write \(path): it is \(what); an output file is written whole through a "
                                 + "temporary file renamed over it, which would replace it: write to standard output "
                                 + "and redirect it instead (> \(path))")
        }
        return (target, info.st_mode & 0o7777)
    }

    /// Writes out what is buffered and puts the file in place.
    package func commit() throws {
        guard !finished else { return }
        do {
            try output.finishCompressing()
        } catch {
            discard()
            throw error
        }
        _ = fchmod(output.descriptor, mode)
        if case .failure(let error) = nothingOrErrno({ rename(temporaryPath, target) }) {
            discard()
            throw DocumentError.io("cannot write \(path)", error)
        }
        finished = true
        TerminationCleanup.unregister(slot)
    }

    /// Removes the temporary file; `path` stays as it was.
    package func discard() {
        guard !finished else { return }
        finished = true
        unlink(temporaryPath)
        TerminationCleanup.unregister(slot)
    }
}
