// The hand-over of annotation batches from the parser thread to the caller, up to four ahead.
import AiCOCO
import CAiCOCOABI

/// Thrown on the parser thread when the caller closed the reader.
struct ReaderClosed: Error {}

/// How a reader's passes parse: batch size, parser options, the catalog when resolving, and
/// how a big file's annotations are split among threads (without resolving or validating).
struct BatchSettings: @unchecked Sendable {
    let batchValues: Int
    let options: DocumentParsing.Options
    let catalog: ResolutionCatalog?
    var split: SplitOptions
    /// Stretches of at most 1 MiB: at most two a thread are held ahead of the caller.
    var maxStretchBytes = 1 << 20

    /// `threads` 0 or less: the cores; `splitBytes` > 0: any input split in stretches of that size.
    init(batchValues: Int, options: DocumentParsing.Options, catalog: ResolutionCatalog?, threads: Int, splitBytes: Int) {
        self.batchValues = batchValues
        self.options = options
        self.catalog = catalog
        split = SplitOptions(threads: threads > 0 ? threads : availableCoreCount())
        if splitBytes > 0 {
            split.stretchBytes = splitBytes
            split.minimumBytes = 0
            maxStretchBytes = splitBytes
        }
    }
}

/// A parser thread and the batches it has ready. The caller's thread takes batches with `next`;
/// the parser thread waits while `depth` batches are ready and not taken: it runs ahead of a
/// caller busy with a batch (it parses stretches too when split), instead of stopping at each
/// hand-over until the caller comes back for the next batch.
final class BatchChannel: @unchecked Sendable {
    /// Batches held ready at most (their coordinates are 2 MiB each at the default size).
    static let depth = 4
    /// Its one condition: the batches or the state changed.
    private let monitor = Monitor(conditions: 1)
    /// The batches ready, oldest first (at most `depth`: taking the first moves the others).
    private var ready: [aicoco_batch] = []
    private var finished = false
    private var failure: Error?
    private var closed = false
    private var thread: JoinableThread?
    /// The pass ended without a batch: the catalog came after the annotations (read it again).
    private(set) var needsRereading = false
    /// Written by the parser thread only (read there at hand-over).
    var bytesRead = 0
    /// Annotations handed over in this pass (the parser thread's).
    private(set) var annotationsHandedOver = 0
    /// The workers' parts' columns, handed over and kept.
    let spareParts = SpareParts()
    private(set) var totalBytes: Int64
    let settings: BatchSettings

    init(settings: BatchSettings) {
        self.settings = settings
        totalBytes = -1
        ready.reserveCapacity(Self.depth)
        CoordinatePool.shared.open()
    }

    deinit {
        for batch in ready { freeBatch(batch) }
        CoordinatePool.shared.close()
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        try monitor.withLock(body)
    }

    /// Parser thread: waits while `depth` batches are ready, then hands `builder`'s over.
    func handOver(_ builder: inout BatchColumns) throws {
        try locked {
            while ready.count >= Self.depth && !closed { monitor.wait(0) }
            if closed { throw ReaderClosed() }
        }
        // Filled out of the lock (the other columns are copied): this thread alone adds
        // batches, so there is still room when it is done.
        var batch = aicoco_batch()
        builder.take(into: &batch, catalog: settings.catalog)
        batch.bytes_read = Int64(bytesRead)
        batch.total_bytes = totalBytes
        annotationsHandedOver += Int(batch.count)
        locked {
            ready.append(batch)
            monitor.broadcast(0)
        }
    }

    /// Parser thread: the input is read (`error` nil) or stopped by `error`; `rereading`: the
    /// pass read only the catalog.
    func finish(_ error: Error?, rereading: Bool = false) {
        locked {
            finished = true
            failure = error
            needsRereading = rereading && error == nil
            monitor.broadcast(0)
        }
    }

    /// Caller: the next batch, nil at the end; throws what stopped the parse.
    func next() throws -> aicoco_batch? {
        try locked {
            while ready.isEmpty && !finished { monitor.wait(0) }
            if !ready.isEmpty {
                let batch = ready.removeFirst()
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

extension BatchChannel {
    /// Starts a pass over `input` on a thread of its own, once the previous pass's thread has
    /// ended (the first pass, or the second when the first asked for `needsRereading`).
    func startPass(_ input: DocumentSource) {
        thread?.join()
        thread = nil
        locked {
            finished = false
            needsRereading = false
            failure = nil
        }
        bytesRead = 0
        annotationsHandedOver = 0
        totalBytes = ProgressThrottle(nil, nil, input: input).total
        let settings = settings
        start { [self] in
            let builder = { BatchColumns(batchValues: max(settings.batchValues, 1)) }
            var visitor = BatchVisitor(builder: builder(), channel: self, catalog: settings.catalog)
            var failure: Error?
            do {
                var whole: Bool?
                if settings.catalog == nil {
                    whole = try parseSplittingInOrder(input, visitor: &visitor, options: settings.options,
                                                      split: settings.split, maxStretchBytes: settings.maxStretchBytes) {
                        self.bytesRead = $0
                    }
                }
                if whole == false {
                    // Read again in order, after the annotations already handed over.
                    visitor.builder.release()
                    visitor = BatchVisitor(builder: builder(), channel: self, catalog: nil, skip: annotationsHandedOver)
                }
                if whole != true {
                    // Read again after a stopped split, the bytes read go on from where the split was.
                    var parser = DocumentParser(visitor: visitor, options: settings.options)
                    defer { visitor = parser.visitor }
                    try parser.parse(input) { self.bytesRead = max(self.bytesRead, $0) }
                    self.bytesRead = max(self.bytesRead, parser.bytesFed)
                    if parser.visitor.needsRereading { try settings.catalog?.freeze() }
                }
            } catch {
                failure = error
            }
            // The annotations read before an error are delivered first; when resolving, a last
            // batch (maybe empty) brings the meta record read after the last annotation.
            var rest = visitor.builder
            if failure != nil { rest.dropUnfinished() }
            let rereading = visitor.needsRereading
            if !(failure is ReaderClosed) && !rereading && (!rest.isEmpty || settings.catalog != nil) {
                do { try self.handOver(&rest) } catch { if failure == nil { failure = error } }
            }
            rest.release()
            self.finish(failure is ReaderClosed ? nil : failure, rereading: rereading)
        }
    }
}
