/// How a record reader buffers.
public struct RecordReaderOptions: Sendable, Equatable {
    public var parser = ParserOptions()
    /// Most records waiting for the consumer. The parser never runs further ahead.
    public var capacity = 1024
    /// Most coordinate numbers held by waiting records (a single larger record still passes).
    public var coordinateBudget = 1 << 16
    /// Most problems kept in `problems` when validating (all are counted in `problemCount`).
    public var maxProblemsKept = 10_000

    public init(parser: ParserOptions = ParserOptions(), capacity: Int = 1024, coordinateBudget: Int = 1 << 16,
                maxProblemsKept: Int = 10_000) {
        self.parser = parser
        self.capacity = max(1, capacity)
        self.coordinateBudget = coordinateBudget
        self.maxProblemsKept = max(0, maxProblemsKept)
    }
}

/// Reads typed AiCOCO records from an input, in the order the file has them, through a
/// buffer of fixed capacity: the parser runs on its own thread and waits whenever the
/// buffer is full, so memory stays constant whatever the size of the input.
///
/// Pull records synchronously with `next()`, or asynchronously with `for try await`:
/// ```swift
/// let reader = AiCOCORecordReader(.file("series.json"))
/// while let record = try reader.next() { ... }
/// for try await record in AiCOCORecordReader(.file("series.json")).records { ... }
/// ```
/// With `options.parser.validate`, problems do not stop the reading: they are kept in
/// `problems` and the records concerned are left out; syntax errors and limits still throw.
public final class AiCOCORecordReader: @unchecked Sendable {
    private let channel: RecordChannel
    public let options: RecordReaderOptions

    /// Starts reading `input` on a new thread.
    public init(_ input: AiCOCOInput, options: RecordReaderOptions = RecordReaderOptions()) {
        self.options = options
        channel = RecordChannel(capacity: options.capacity, coordinateBudget: options.coordinateBudget,
                                maxProblemsKept: options.maxProblemsKept)
        let channel = self.channel
        spawnThread {
            do {
                let (reader, size) = try input.openReader()
                channel.setTotalBytes(size)
                try Self.produce(from: reader, into: channel, options: options)
            } catch {
                channel.finish(error: error)
            }
        }
    }

    /// Starts reading a document that arrives as an asynchronous sequence of byte chunks.
    public init<Chunks: AsyncSequence & Sendable>(chunks: Chunks, options: RecordReaderOptions = RecordReaderOptions())
    where Chunks.Element == [UInt8] {
        self.options = options
        channel = RecordChannel(capacity: options.capacity, coordinateBudget: options.coordinateBudget,
                                maxProblemsKept: options.maxProblemsKept)
        let channel = self.channel
        let queue = ChunkQueue(capacity: 4)
        let pump = Task {
            do {
                for try await chunk in chunks {
                    guard await queue.put(chunk) else { return }
                }
                queue.close(error: nil)
            } catch {
                queue.close(error: error)
            }
        }
        channel.onCancel = {
            pump.cancel()
            queue.cancel()
        }
        spawnThread {
            do {
                try Self.produce(from: queue, into: channel, options: options)
            } catch {
                channel.finish(error: error)
            }
        }
    }

    deinit {
        channel.cancel()
    }

    private static func produce(from reader: ChunkReader, into channel: RecordChannel,
                                options: RecordReaderOptions) throws {
        let collect: ((AiCOCOError) -> Void)? = options.parser.validate ? { channel.addProblem($0) } : nil
        let builder = RecordBuilder(maxCoordinates: options.parser.limits.maxCoordinatesPerRecord,
                                    collectProblem: collect) { record, coordinates in
            try channel.push(record, coordinates: coordinates)
        }
        var parser = AiCOCOParser(visitor: builder, options: options.parser)
        do {
            try parser.parse(reader: reader) { channel.setBytesRead($0) }
        } catch {
            // The records read before the error still reach the consumer, then the error.
            try? channel.publish()
            if let stop = parser.consumerError { throw stop }
            throw error
        }
        try channel.publish()
        channel.finish(error: nil)
    }

    /// The next record, waiting for the parser if needed; `nil` at the end of the document.
    /// Throws the error that ended the parse, with its place.
    public func next() throws -> AiCOCORecord? {
        try channel.pop()
    }

    /// The next record, suspending (not blocking) while the parser works.
    public func nextAsync() async throws -> AiCOCORecord? {
        try await withTaskCancellationHandler {
            try await channel.popAsync()
        } onCancel: {
            channel.cancel()
        }
    }

    /// The records as an asynchronous sequence.
    public var records: Records { Records(reader: self) }

    /// Stops the parse; `next()` then returns `nil`.
    public func cancel() {
        channel.cancel()
    }

    /// Bytes of input read so far (for progress reports).
    public var bytesRead: Int { channel.bytesRead }

    /// Size of the input when known (a regular file or bytes in memory).
    public var totalBytes: Int? { channel.totalBytes }

    /// Problems found so far when validating (at most `options.maxProblemsKept`; see `problemCount`).
    public var problems: [AiCOCOError] { channel.problems }

    /// Records put into the buffer and taken out so far.
    var bufferTraffic: (pushed: Int, popped: Int) { channel.traffic }

    /// Number of problems found so far when validating.
    public var problemCount: Int { channel.problemCount }

    /// `for try await record in reader.records`.
    public struct Records: AsyncSequence, Sendable {
        public typealias Element = AiCOCORecord
        let reader: AiCOCORecordReader

        public struct AsyncIterator: AsyncIteratorProtocol {
            let reader: AiCOCORecordReader
            public mutating func next() async throws -> AiCOCORecord? {
                try await reader.nextAsync()
            }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: reader) }
    }
}

extension AiCOCOParser {
    /// The error the visitor threw, if the visitor is what stopped the parse.
    var consumerError: Error? { engineDelegateError }
}

/// The consumer stopped reading.
struct ReaderCancelled: Error {}

/// The bounded hand-off between the parser thread and the consumer.
final class RecordChannel: @unchecked Sendable {
    private let monitor = Monitor(conditions: 2)
    private static let notEmpty = 0
    private static let notFull = 1
    private let capacity: Int
    private let coordinateBudget: Int
    private var ring: [AiCOCORecord?]
    private var ringCoordinates: [Int]
    private var head = 0
    private var count = 0
    private var coordinatesQueued = 0
    private var finished = false
    private var cancelled = false
    private var failure: Error?
    private var consumerWaiting = false
    private var producerWaiting = false
    private var producerNeeds = (records: 0, coordinates: 0, room: 0)
    private var asyncWaiter: CheckedContinuation<AiCOCORecord?, Error>?
    private var _bytesRead = 0
    private var _totalBytes: Int?
    private var _problems: [AiCOCOError] = []
    private var _problemCount = 0
    private var pushed = 0
    private var popped = 0
    var onCancel: (@Sendable () -> Void)?

    private let maxProblemsKept: Int

    init(capacity: Int, coordinateBudget: Int, maxProblemsKept: Int = 10_000) {
        self.capacity = capacity
        self.coordinateBudget = coordinateBudget
        self.maxProblemsKept = maxProblemsKept
        ring = Array(repeating: nil, count: capacity)
        ringCoordinates = Array(repeating: 0, count: capacity)
    }

    // The producer hands records over in batches, so that the consumer is woken once per
    // batch, not once per record. Only the producer thread touches the batch.
    private var batch: [(record: AiCOCORecord?, coordinates: Int)] = []
    private var batchCoordinates = 0
    private var batchLimit: Int { max(1, capacity / 8) }

    /// Adds a record; it reaches the consumer with its batch.
    func push(_ record: consuming AiCOCORecord, coordinates: Int) throws {
        batch.append((record, coordinates))
        batchCoordinates += coordinates
        if batch.count >= batchLimit || batchCoordinates >= max(1, coordinateBudget / 8) {
            try publish()
        }
    }

    /// Hands the batch to the consumer, waiting while that would put more than `capacity`
    /// records between parser and consumer (the batch being filled counts too).
    func publish() throws {
        guard !batch.isEmpty else { return }
        var waiter: CheckedContinuation<AiCOCORecord?, Error>?
        var first: AiCOCORecord?
        let room = capacity - batchLimit + 1
        try monitor.withLock {
            while !cancelled && count > 0
                && (count + batch.count > room || coordinatesQueued + batchCoordinates > coordinateBudget) {
                producerWaiting = true
                producerNeeds = (batch.count, batchCoordinates, room)
                monitor.wait(Self.notFull)
                producerWaiting = false
            }
            if cancelled { throw ReaderCancelled() }
            var index = 0
            if let pending = asyncWaiter {
                asyncWaiter = nil
                waiter = pending
                first = batch[0].record.take()
                index = 1
                pushed += 1
                popped += 1
            }
            // Records are moved, never copied (a copy retains every string and array inside).
            while index < batch.count {
                let slot = (head + count) % capacity
                ring[slot] = batch[index].record.take()
                ringCoordinates[slot] = batch[index].coordinates
                count += 1
                pushed += 1
                coordinatesQueued += batch[index].coordinates
                index += 1
            }
            if consumerWaiting { monitor.signal(Self.notEmpty) }
        }
        batch.removeAll(keepingCapacity: true)
        batchCoordinates = 0
        if let waiter, let first { waiter.resume(returning: first) }
    }

    /// Takes the first record; call with the lock held and `count > 0`.
    private func dequeue() -> AiCOCORecord {
        let record = ring[head].take()!
        coordinatesQueued -= ringCoordinates[head]
        head = (head + 1) % capacity
        count -= 1
        popped += 1
        // Wake the producer only once its whole batch fits.
        if producerWaiting
            && (count == 0 || (count + producerNeeds.records <= producerNeeds.room
                               && coordinatesQueued + producerNeeds.coordinates <= coordinateBudget)) {
            monitor.signal(Self.notFull)
        }
        return record
    }

    func pop() throws -> AiCOCORecord? {
        try monitor.withLock {
            while count == 0 && !finished && !cancelled {
                consumerWaiting = true
                monitor.wait(Self.notEmpty)
                consumerWaiting = false
            }
            if count > 0 { return dequeue() }
            if let failure, !cancelled { throw failure }
            return nil
        }
    }

    func popAsync() async throws -> AiCOCORecord? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<AiCOCORecord?, Error>) in
            enum Outcome { case record(AiCOCORecord), end, failed(Error), wait }
            let outcome: Outcome = monitor.withLock {
                if count > 0 { return .record(dequeue()) }
                if finished || cancelled {
                    if let failure, !cancelled { return .failed(failure) }
                    return .end
                }
                asyncWaiter = continuation
                return .wait
            }
            switch outcome {
            case .record(let record): continuation.resume(returning: record)
            case .end: continuation.resume(returning: nil)
            case .failed(let error): continuation.resume(throwing: error)
            case .wait: break
            }
        }
    }

    func finish(error: Error?) {
        let waiter: CheckedContinuation<AiCOCORecord?, Error>? = monitor.withLock {
            finished = true
            if failure == nil, !(error is ReaderCancelled) { failure = error }
            monitor.broadcast(Self.notEmpty)
            defer { asyncWaiter = nil }
            return asyncWaiter
        }
        if let waiter {
            if let error, !(error is ReaderCancelled) {
                waiter.resume(throwing: error)
            } else {
                waiter.resume(returning: nil)
            }
        }
    }

    func cancel() {
        let (waiter, hook): (CheckedContinuation<AiCOCORecord?, Error>?, (@Sendable () -> Void)?) = monitor.withLock {
            cancelled = true
            monitor.broadcast(Self.notFull)
            monitor.broadcast(Self.notEmpty)
            defer { asyncWaiter = nil }
            return (asyncWaiter, onCancel)
        }
        waiter?.resume(returning: nil)
        hook?()
    }

    func setBytesRead(_ bytes: Int) { monitor.withLock { _bytesRead = bytes } }
    func setTotalBytes(_ bytes: Int?) { monitor.withLock { _totalBytes = bytes } }
    var bytesRead: Int { monitor.withLock { _bytesRead } }
    var totalBytes: Int? { monitor.withLock { _totalBytes } }

    func addProblem(_ error: AiCOCOError) {
        monitor.withLock {
            _problemCount += 1
            if _problems.count < maxProblemsKept { _problems.append(error) }
        }
    }

    var problems: [AiCOCOError] { monitor.withLock { _problems } }

    /// Records handed over through the buffer and taken out of it (for tests of the bound).
    var traffic: (pushed: Int, popped: Int) { monitor.withLock { (pushed, popped) } }
    var problemCount: Int { monitor.withLock { _problemCount } }
}

/// Byte chunks from an asynchronous sequence, read by the parser thread.
final class ChunkQueue: ChunkReader, @unchecked Sendable {
    private let monitor = Monitor(conditions: 1)
    private let capacity: Int
    private var chunks: [[UInt8]] = []
    private var current: [UInt8] = []
    private var position = 0
    private var closed = false
    private var cancelled = false
    private var failure: Error?
    private var spaceWaiter: CheckedContinuation<Bool, Never>?

    init(capacity: Int) { self.capacity = capacity }

    /// Adds a chunk, suspending while the queue is full; false once the reader is gone.
    func put(_ chunk: [UInt8]) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let accepted: Bool? = monitor.withLock {
                if cancelled { return false }
                if chunks.count < capacity {
                    chunks.append(chunk)
                    monitor.signal(0)
                    return true
                }
                spaceWaiter = continuation
                pendingChunk = chunk
                return nil
            }
            if let accepted { continuation.resume(returning: accepted) }
        }
    }

    private var pendingChunk: [UInt8]?

    func close(error: Error?) {
        monitor.withLock {
            closed = true
            failure = error
            monitor.signal(0)
        }
    }

    func cancel() {
        let waiter: CheckedContinuation<Bool, Never>? = monitor.withLock {
            cancelled = true
            monitor.signal(0)
            defer { spaceWaiter = nil }
            return spaceWaiter
        }
        waiter?.resume(returning: false)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if position == current.count {
            let next: [UInt8]? = try monitor.withLock {
                var resume: CheckedContinuation<Bool, Never>?
                defer { resume?.resume(returning: true) }
                while chunks.isEmpty && !closed && !cancelled { monitor.wait(0) }
                if cancelled { throw ReaderCancelled() }
                if chunks.isEmpty {
                    if let failure { throw failure }
                    return nil
                }
                let chunk = chunks.removeFirst()
                if let waiter = spaceWaiter, let pending = pendingChunk {
                    chunks.append(pending)
                    pendingChunk = nil
                    spaceWaiter = nil
                    resume = waiter
                }
                return chunk
            }
            guard let next else { return 0 }
            current = next
            position = 0
            if current.isEmpty { return try read(into: buffer) }
        }
        let count = min(buffer.count, current.count - position)
        current.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + position, byteCount: count)
        }
        position += count
        return count
    }
}
