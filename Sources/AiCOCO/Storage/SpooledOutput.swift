// A later part of an output written on a thread of its own, into a temporary file, while the
// calling thread writes the part before it; appended to the output once that part is done.

/// Bytes written by `body` on a thread of its own to a `FileOutput` over a temporary file (no
/// name on disk: it goes away on any end of the process), then appended to another output by
/// `finish(appendingTo:)`. Memory: the write buffer and a read buffer, whatever the bytes.
/// `body` must touch nothing the calling thread changes meanwhile.
package final class SpooledOutput: @unchecked Sendable {
    private let file: TemporaryFile
    private var body: ((SpooledOutput, FileOutput) throws -> Void)?
    private let monitor = Monitor(conditions: 1)
    private var done = false, stopped = false
    private var failure: Error?

    /// Starts `body` on a thread of its own (it may check `isStopped` now and then, to end early).
    /// Throws when no temporary file or no thread can be made.
    package init(_ body: @escaping (SpooledOutput, FileOutput) throws -> Void) throws {
        file = try TemporaryFile()
        self.body = body
        try startDetachedThread { self.run() }
    }

    /// Whether the calling thread gave up (see `stop()`): the body may end.
    package var isStopped: Bool { monitor.withLock { stopped } }

    private func run() {
        var failure: Error?
        do {
            let output = FileOutput(descriptor: file.descriptor)
            try body!(self, output)
            try output.flush()
        } catch let error as DocumentError where error.kind == .io && error.message.hasPrefix("cannot write: ") && error.errno != nil {
            // The spool's own writes (the body's others name their files): said as a temporary file's.
            failure = TemporaryFile.failure("cannot write a temporary file in", file.directory, error.errno!)
        } catch {
            failure = error
        }
        body = nil
        monitor.withLock {
            self.failure = failure
            done = true
            monitor.broadcast(0)
        }
    }

    private func wait() {
        monitor.withLock { while !done { monitor.wait(0) } }
    }

    /// Asks the body to end and waits for it (on an error of the calling thread: nothing is appended).
    package func stop() {
        monitor.withLock { stopped = true }
        wait()
    }

    /// Waits for the body, then appends what it wrote to `output`; throws the body's error.
    package func finish(appendingTo output: FileOutput) throws {
        wait()
        if let failure { throw failure }
        let size = 1 << 16
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        var offset = 0
        while true {
            let read = try file.read(at: offset, into: buffer)
            if read > 0 { try output.write(UnsafeRawBufferPointer(rebasing: buffer[0..<read])) }
            if read < size { return }
            offset += read
        }
    }
}
