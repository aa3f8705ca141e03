// The hand-over of annotation batches from the parser thread to the caller, one batch ahead.
import AiCOCO
import CAiCOCOABI

/// Thrown on the parser thread when the caller closed the reader.
struct ReaderClosed: Error {}

/// A parser thread and the batch it has ready. The caller's thread takes batches with `next`;
/// the parser thread waits while a batch is ready and not taken, so at most two batches exist.
final class BatchChannel: @unchecked Sendable {
    /// Its one condition: the batch or the state changed.
    private let monitor = Monitor(conditions: 1)
    private var ready: aicoco_batch?
    private var finished = false
    private var failure: Error?
    private var closed = false
    private var thread: JoinableThread?
    /// Written by the parser thread only (read there at hand-over).
    var bytesRead = 0
    let totalBytes: Int64

    init(totalBytes: Int64) {
        self.totalBytes = totalBytes
    }

    deinit {
        if let ready { freeBatch(ready) }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        try monitor.withLock(body)
    }

    /// Parser thread: waits until the previous batch was taken, then hands `builder`'s over.
    func handOver(_ builder: inout BatchColumns) throws {
        var batch = aicoco_batch()
        try locked {
            while ready != nil && !closed { monitor.wait(0) }
            if closed { throw ReaderClosed() }
            builder.take(into: &batch)
            batch.bytes_read = Int64(bytesRead)
            batch.total_bytes = totalBytes
            ready = batch
            monitor.broadcast(0)
        }
    }

    /// Parser thread: the input is read (`error` nil) or stopped by `error`.
    func finish(_ error: Error?) {
        locked {
            finished = true
            failure = error
            monitor.broadcast(0)
        }
    }

    /// Caller: the next batch, nil at the end; throws what stopped the parse.
    func next() throws -> aicoco_batch? {
        try locked {
            while ready == nil && !finished { monitor.wait(0) }
            if let batch = ready {
                ready = nil
                monitor.broadcast(0)
                return batch
            }
            if let failure { throw failure }
            return nil
        }
    }

    /// Starts `body` on a thread of its own.
    func start(_ body: @escaping @Sendable () -> Void) {
        do {
            thread = try JoinableThread(body)
        } catch {
            finish(error)
        }
    }

    /// Caller: stops the parser thread (at its next hand-over) and waits for it.
    func close() {
        locked {
            closed = true
            monitor.broadcast(0)
        }
        thread?.join()
        thread = nil
    }
}

/// Starts parsing `input` into batches of about `batchValues` numbers on a thread (with the
/// catalog's records when `catalog`).
func openAnnotationBatches(_ input: DocumentSource, batchValues: Int, catalog: Bool, options: DocumentParsing.Options,
                           totalBytes: Int64) -> BatchChannel {
    let channel = BatchChannel(totalBytes: totalBytes)
    channel.start {
        let visitor = BatchVisitor(builder: BatchColumns(batchValues: max(batchValues, 1)), channel: channel,
                                   catalog: catalog)
        var parser = DocumentParser(visitor: visitor, options: options)
        var failure: Error?
        do {
            try parser.parse(input) { channel.bytesRead = $0 }
            channel.bytesRead = parser.bytesFed
        } catch {
            failure = error
        }
        // The annotations read before an error are delivered first.
        var rest = parser.visitor.builder
        if !(failure is ReaderClosed) && !rest.isEmpty {
            do { try channel.handOver(&rest) } catch { if failure == nil { failure = error } }
        }
        rest.release()
        channel.finish(failure is ReaderClosed ? nil : failure)
    }
    return channel
}
