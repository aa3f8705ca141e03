import Synchronization

extension RecordReader {
    /// How a record reader reads.
    public struct Options: Sendable, Equatable {
        /// How the document is parsed (limits, validation, the records artifact).
        public var parser = DocumentParsing.Options()
        /// The parser is fed at most this many bytes at a time, and only when no record is waiting:
        /// the records waiting for the consumer all come from one slice of the input.
        public var sliceBytes = 64 << 10
        /// Most problems kept in `problems` when validating (all are counted in `problemCount`).
        public var maxProblemsKept = 10_000

        /// Options; `sliceBytes` is at least 1.
        public init(parser: DocumentParsing.Options = DocumentParsing.Options(), sliceBytes: Int = 64 << 10, maxProblemsKept: Int = 10_000) {
            self.parser = parser
            self.sliceBytes = max(1, sliceBytes)
            self.maxProblemsKept = max(0, maxProblemsKept)
        }
    }
}

/// Reads typed AiCOCO records from an input, in the order the file has them. The parser runs
/// on the caller's thread, inside `next()`: when no record is waiting, it reads the next slice
/// of the input (as ijson does), so memory stays bounded by a slice whatever the size of the
/// input, with no thread and no lock.
///
/// Pull records synchronously with `next()`, or asynchronously with `for try await` (the only
/// way to read an asynchronous sequence of chunks, `init(chunks:)`: no thread waits on it):
/// ```swift
/// let reader = RecordReader(.file("series.json"))
/// while let record = try reader.next() { ... }
/// for try await record in RecordReader(.file("series.json")).records { ... }
/// ```
/// With `options.parser.validate`, problems do not stop the reading: they are kept in
/// `problems` and the records concerned are left out; syntax errors and limits still throw.
/// A reader is used by one thread (or task) at a time; `cancel()` may come from any.
public final class RecordReader: @unchecked Sendable {
    /// How this reader reads.
    public let options: RecordReader.Options
    private let queue: RecordQueue
    private var parser: DocumentParser<RecordBuilder>
    /// The input, opened, fed a slice at a time, ended, its artifact read.
    private var session: ParseSession
    /// The asynchronous sequence the input's chunks come from (`init(chunks:)`): only
    /// `nextAsync()` reads it.
    private let fetcher: ChunkFetcher?
    private var failure: Error?
    private let cancelled = Atomic<Bool>(false)
    /// The input's size in bytes once it is opened, when known (a file, or bytes given whole).
    public var totalBytes: Int? { session.totalBytes }
    /// Where records go as JSON lines instead of the queue (`RecordLines`).
    let renderer: RecordLineRenderer?

    /// Reads `input` (opened at the first `next()`).
    public convenience init(_ input: DocumentSource, options: RecordReader.Options = RecordReader.Options()) {
        self.init(input, options: options, renderer: nil)
    }

    /// Reads `input`, its records rendered by `renderer` when there is one (`nextLines`).
    init(_ input: DocumentSource, options: RecordReader.Options, renderer: RecordLineRenderer?) {
        self.options = options
        self.renderer = renderer
        queue = RecordQueue(maxProblemsKept: options.maxProblemsKept)
        parser = Self.makeParser(queue: queue, options: options, renderer: renderer)
        session = ParseSession(input)
        fetcher = nil
    }

    /// Reads a document that arrives as an asynchronous sequence of byte chunks.
    public init<Chunks: AsyncSequence & Sendable>(chunks: Chunks, options: RecordReader.Options = RecordReader.Options())
    where Chunks.Element == [UInt8] {
        self.options = options
        queue = RecordQueue(maxProblemsKept: options.maxProblemsKept)
        renderer = nil
        parser = Self.makeParser(queue: queue, options: options, renderer: nil)
        session = ParseSession(suppliedFor: nil)
        fetcher = ChunkFetcher(chunks)
    }

    static func makeParser(queue: RecordQueue, options: RecordReader.Options,
                           renderer: RecordLineRenderer?) -> DocumentParser<RecordBuilder> {
        let collect: ((DocumentError) -> Void)? = options.parser.validate ? { queue.addProblem($0) } : nil
        let builder = RecordBuilder(maxCoordinates: options.parser.limits.maxCoordinatesPerRecord,
                                    collectProblem: collect, renderer: renderer) { record, _ in
            queue.append(record)
        }
        return DocumentParser(visitor: builder, options: options.parser)
    }

    /// With a renderer: reads until records have ended, then hands their lines and number to
    /// `body` (see `RecordLines.next`).
    func nextLines(_ body: (UnsafeRawBufferPointer, Int) throws -> Void) throws -> Bool {
        guard let renderer else { return false }
        while true {
            if cancelled.load(ordering: .relaxed) { return false }
            if renderer.delivered > 0 {
                try renderer.take(body)
                return true
            }
            if let failure = renderer.failure { throw failure }
            if let failure { throw failure }
            if session.isFinished { return false }
            advance()
        }
    }

    /// The next record, reading more of the input if none is waiting; `nil` at the end of the
    /// document. Throws the error that ended the parse, with its place, once the records read
    /// before it have been taken. A reader of an asynchronous sequence (`init(chunks:)`) is read
    /// with `nextAsync()` or `records` instead: this throws, rather than block a thread on it.
    public func next() throws -> Record? {
        if fetcher != nil { throw DocumentError.io("this reader reads an asynchronous sequence: take its records with nextAsync() or `for try await` over records") }
        while true {
            if cancelled.load(ordering: .relaxed) { return nil }
            if let record = queue.pop() { return record }
            if let failure { throw failure }
            if session.isFinished { return nil }
            advance()
        }
    }

    /// The next record; reads an asynchronous source without blocking (awaiting its chunks).
    public func nextAsync() async throws -> Record? {
        while true {
            if Task.isCancelled { cancel() }
            if cancelled.load(ordering: .relaxed) { return nil }
            if let record = queue.pop() { return record }
            if let failure { throw failure }
            if session.isFinished { return nil }
            if let fetcher, session.needsInput {
                do {
                    if let chunk = try await fetcher.next() { session.supply(chunk) } else { session.endSupply() }
                } catch {
                    failure = error
                    continue
                }
            }
            advance()
        }
    }

    /// Takes the parse one step (feeds the parser at most one slice); an error that ends it is
    /// kept in `failure`, thrown once the records read before it have been taken.
    private func advance() {
        do {
            _ = try session.step(&parser, sliceBytes: options.sliceBytes)
        } catch {
            failure = error
        }
    }

    /// The records as an asynchronous sequence.
    public var records: Records { Records(reader: self) }

    /// Stops the reading; `next()` then returns `nil`.
    public func cancel() {
        cancelled.store(true, ordering: .relaxed)
    }

    /// Bytes of input read so far, for progress reports: of the input as stored, like
    /// `totalBytes` (compressed bytes for a gzip input, so that it never passes the total).
    public var bytesRead: Int { session.compressedInput?.compressedBytesRead ?? parser.bytesFed }

    /// Problems found so far when validating (at most `options.maxProblemsKept`; see `problemCount`).
    public var problems: [DocumentError] { queue.problems }

    /// Number of problems found so far when validating.
    public var problemCount: Int { queue.problemCount }

    /// Records put into the queue and taken out so far.
    var bufferTraffic: (pushed: Int, popped: Int) { (queue.pushed, queue.popped) }

    /// `for try await record in reader.records`.
    public struct Records: AsyncSequence, Sendable {
        /// A record, in file order.
        public typealias Element = Record
        let reader: RecordReader

        /// Pulls records from the reader.
        public struct AsyncIterator: AsyncIteratorProtocol {
            let reader: RecordReader
            /// The next record, or `nil` at the end.
            public mutating func next() async throws -> Record? {
                try await reader.nextAsync()
            }
        }

        /// An iterator over the reader's records.
        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: reader) }
    }
}

/// Finished records waiting for the consumer, and the problems found (one thread at a time).
final class RecordQueue {
    private var records: [Record?] = []
    private var head = 0
    private(set) var pushed = 0
    private(set) var popped = 0
    private(set) var problems: [DocumentError] = []
    private(set) var problemCount = 0
    private let maxProblemsKept: Int

    init(maxProblemsKept: Int) { self.maxProblemsKept = maxProblemsKept }

    func append(_ record: consuming Record) {
        records.append(record)
        pushed += 1
    }

    func pop() -> Record? {
        guard head < records.count else { return nil }
        // Moved out, not copied (a copy retains every string and array inside).
        let record = records[head].take()
        head += 1
        popped += 1
        if head == records.count {
            records.removeAll(keepingCapacity: true)
            head = 0
        }
        return record
    }

    func addProblem(_ error: DocumentError) {
        problemCount += 1
        if problems.count < maxProblemsKept { problems.append(error) }
    }
}

/// The chunks of an asynchronous sequence, one at a time.
final class ChunkFetcher: @unchecked Sendable {
    private let fetch: () async throws -> [UInt8]?

    init<Chunks: AsyncSequence & Sendable>(_ chunks: Chunks) where Chunks.Element == [UInt8] {
        let box = IteratorBox(chunks.makeAsyncIterator())
        fetch = { try await box.next() }
    }

    func next() async throws -> [UInt8]? { try await fetch() }

    private final class IteratorBox<Iterator: AsyncIteratorProtocol>: @unchecked Sendable where Iterator.Element == [UInt8] {
        var iterator: Iterator
        init(_ iterator: Iterator) { self.iterator = iterator }
        func next() async throws -> [UInt8]? { try await iterator.next() }
    }
}
