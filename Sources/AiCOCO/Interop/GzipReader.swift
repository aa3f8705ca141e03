// gzip input through zlib: inflated on a thread of its own, handed to the reader buffer by buffer.
import CZlib
import Synchronization
import Glibc

/// The first two bytes of every gzip member.
let gzipMagic: (UInt8, UInt8) = (0x1F, 0x8B)

/// Whether an input that starts with `bytes` (its first two, or all of a shorter one) is gzip:
/// the magic bytes, or the first of them alone (a gzip file cut after one byte: no JSON text
/// starts with 0x1F).
func startsLikeGzip(_ bytes: some Collection<UInt8>) -> Bool {
    var bytes = bytes.prefix(2).makeIterator()
    guard bytes.next() == gzipMagic.0 else { return false }
    let second = bytes.next()
    return second == nil || second == gzipMagic.1
}

/// Reads a gzip input (one member or several, concatenated) as the text it holds, in constant
/// memory: a thread inflates into a few buffers ahead of the reader (a small input is inflated
/// by the reader itself). A stream cut short or corrupt is a `DocumentError` of kind
/// `.compression` that names the compressed offset; its location is the end of the decompressed
/// text delivered before it (line 0 until a parser places it: `placedInDecompressedText`).
final class GzipReader: ChunkReader {
    private let handOff: InflateHandOff?
    /// For a small input, no thread: the reader inflates into its one buffer itself.
    private let inline: (inflater: GzipInflater, buffer: UnsafeMutableRawBufferPointer)?
    private var inlineEnd: DocumentError?? = nil
    /// The buffer in hand (index into the hand-off) and how much of it was read.
    private var held: Int?
    private var heldCount = 0
    private var heldPosition = 0

    /// Compressed inputs of at most this size (when known) are inflated without a thread.
    static let inlineSize = 1 << 20
    /// The input's name, for notices.
    private let name: String
    private var noticed = false

    /// Inflates `source` (named `name`), whose first bytes `prefix` were already read from it,
    /// and whose size, when known, is `size`.
    init(source: ChunkReader, prefix: [UInt8], size: Int? = nil, name: String = "the input") throws {
        self.name = name
        let inflater = GzipInflater(source: source, prefix: prefix)
        if let size, size <= Self.inlineSize {
            handOff = nil
            inline = (inflater, .allocate(byteCount: InflateHandOff.bufferSize, alignment: 16))
        } else {
            let handOff = InflateHandOff(inflater: inflater)
            self.handOff = handOff
            inline = nil
            try startDetachedThread { handOff.inflateAll() }
        }
    }

    deinit {
        handOff?.cancel()
        inline?.buffer.deallocate()
    }

    /// Compressed bytes read from the source so far (for progress).
    var compressedBytesRead: Int {
        guard let handOff else { return inline!.inflater.compressed }
        return handOff.monitor.withLock { handOff.compressedRead }
    }

    private func filled(_ index: Int) -> UnsafeMutableRawBufferPointer { handOff?.buffers[index] ?? inline!.buffer }

    /// The next filled buffer (index, count), nil at the end; throws the failure that ended the input.
    private func take() throws -> (Int, Int)? {
        guard let inline else {
            let taken = try handOff!.take()
            if taken == nil { notice(trailingZeros: handOff!.trailingZeros) }
            return taken
        }
        while true {
            if let end = inlineEnd {
                if let end { throw end }
                notice(trailingZeros: inline.inflater.trailingZeros)
                return nil
            }
            let outcome = inline.inflater.fill(inline.buffer)
            if outcome.ended { inlineEnd = .some(outcome.failure) }
            if outcome.count > 0 { return (0, outcome.count) }
        }
    }

    private func release() { handOff?.release() }

    /// Zeros after the last member are padding (a tape, a block device): gzip ignores them with
    /// a warning, and so does this (once, through `InputNotices`).
    private func notice(trailingZeros: Int) {
        guard trailingZeros > 0, !noticed else { return }
        noticed = true
        InputNotices.post("\(name): decompression OK, \(trailingZeros) trailing zero byte\(trailingZeros == 1 ? "" : "s") ignored")
    }

    /// After the text read so far turned out wrong: inflates (and drops) up to `limit` more bytes
    /// to see whether the compressed stream is corrupt, which would explain it; that failure, or nil.
    func failureAhead(limit: Int = 64 << 20) -> DocumentError? {
        if held != nil {
            held = nil
            release()
        }
        var skipped = 0
        while skipped < limit {
            do {
                guard let (_, count) = try take() else { return nil }
                skipped += count
                release()
            } catch let error as DocumentError {
                return error.kind == .compression ? error : nil
            } catch {
                return nil
            }
        }
        return nil
    }

    /// Hands the next inflated buffer (or what is left of the one in hand) to `body`, without a
    /// copy; false at the end.
    func readInPlace(_ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        if held == nil {
            guard let (index, count) = try take() else { return false }
            held = index
            heldCount = count
            heldPosition = 0
        }
        let index = held!, start = heldPosition
        held = nil
        defer { release() }
        try body(UnsafeRawBufferPointer(rebasing: filled(index)[start..<heldCount]))
        return true
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if held == nil {
            guard let (index, count) = try take() else { return 0 }
            held = index
            heldCount = count
            heldPosition = 0
        }
        let index = held!
        let count = min(buffer.count, heldCount - heldPosition)
        buffer.baseAddress!.copyMemory(from: filled(index).baseAddress! + heldPosition, byteCount: count)
        heldPosition += count
        if heldPosition == heldCount {
            held = nil
            release()
        }
        return count
    }
}

/// The buffers between the inflating thread and the reader (a ring: the reader takes them in the
/// order they were filled), and how the inflating ended. Shared state is touched with the lock held;
/// a buffer's bytes belong to the inflater until published and to the reader until released.
private final class InflateHandOff: @unchecked Sendable {
    static let bufferCount = 4
    static let bufferSize = 256 << 10
    static let inputSize = 128 << 10

    let monitor = Monitor(conditions: 2)
    private static let published = 0, released = 1
    let buffers: [UnsafeMutableRawBufferPointer]
    private var counts = [Int](repeating: 0, count: bufferCount)
    private var first = 0
    private var full = 0
    private var ended = false
    private var failure: DocumentError?
    private var cancelled = false
    var compressedRead = 0
    /// The inflater's `trailingZeros`, once it has ended.
    private(set) var trailingZeros = 0

    private let inflater: GzipInflater

    init(inflater: GzipInflater) {
        self.inflater = inflater
        buffers = (0..<Self.bufferCount).map { _ in
            UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
        }
    }

    deinit { for buffer in buffers { buffer.deallocate() } }

    // MARK: The reader's side

    /// Waits for the next filled buffer: its index and byte count, nil at the end; throws how the
    /// inflating failed once every buffer filled before is read.
    func take() throws -> (Int, Int)? {
        try monitor.withLock {
            while full == 0 && !ended { monitor.wait(Self.published) }
            if full > 0 { return (first, counts[first]) }
            if let failure { throw failure }
            return nil
        }
    }

    /// The buffer `take()` gave is read: the inflater may fill it again.
    func release() {
        monitor.withLock {
            first = (first + 1) % Self.bufferCount
            full -= 1
            monitor.signal(Self.released)
        }
    }

    /// The reader went away: the inflater stops at its next buffer.
    func cancel() {
        monitor.withLock {
            cancelled = true
            monitor.signal(Self.released)
        }
    }

    // MARK: The inflater's side

    /// Waits for a free buffer; nil when the reader went away.
    private func nextFree() -> Int? {
        monitor.withLock {
            while full == Self.bufferCount && !cancelled { monitor.wait(Self.released) }
            return cancelled ? nil : (first + full) % Self.bufferCount
        }
    }

    private func publish(_ index: Int, count: Int, compressed: Int) {
        monitor.withLock {
            counts[index] = count
            full += 1
            compressedRead = compressed
            monitor.signal(Self.published)
        }
    }

    private func end(_ failure: DocumentError?) {
        monitor.withLock {
            self.failure = failure
            trailingZeros = inflater.trailingZeros
            ended = true
            monitor.signal(Self.published)
        }
    }

    /// The inflating thread's work: every member of the source, until its end, a failure, or
    /// the reader's going away.
    func inflateAll() {
        while let index = nextFree() {
            let outcome = inflater.fill(buffers[index])
            if outcome.count > 0 { publish(index, count: outcome.count, compressed: inflater.compressed) }
            if outcome.ended { return end(outcome.failure) }
        }
        end(nil)
    }
}

extension FileInput {
    /// This input as a reader of the text it holds: inflated (`GzipReader`) when it starts with
    /// gzip's magic bytes, else read as it is. A regular file is peeked at without moving its offset.
    func decompressing() throws -> ChunkReader {
        var peeked: [UInt8] = [0, 0]
        var count = 0
        if let size = regularFileSize {
            let at = lseek(descriptor, 0, SEEK_CUR)
            if at >= 0 {
                count = peeked.withUnsafeMutableBytes { max(0, pread(descriptor, $0.baseAddress, 2, at)) }
                return Self.isGzip(peeked, count: count) ? try GzipReader(source: self, prefix: [], size: size, name: name) : self
            }
        }
        return try decompressingReader(self, name: name)
    }

    private static func isGzip(_ peeked: [UInt8], count: Int) -> Bool {
        startsLikeGzip(peeked.prefix(count))
    }
}

/// `source` as a reader of the text it holds: its first two bytes read, then inflated
/// (`GzipReader`) when they are gzip's magic bytes, else served again before the rest.
func decompressingReader(_ source: ChunkReader, name: String) throws -> ChunkReader {
    var peeked: [UInt8] = [0, 0]
    var count = 0
    while count < 2 {
        let read = try peeked.withUnsafeMutableBytes {
            try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[count...]))
        }
        if read == 0 { break }
        count += read
    }
    let prefix = Array(peeked[0..<count])
    if startsLikeGzip(prefix) {
        return try GzipReader(source: source, prefix: prefix, name: name)
    }
    return count == 0 ? source : PrefixedReader(prefix, then: source)
}

/// A few bytes already read, then the rest of the input.
final class PrefixedReader: ChunkReader {
    private var prefix: [UInt8]
    private let rest: ChunkReader

    init(_ prefix: [UInt8], then rest: ChunkReader) {
        self.prefix = prefix
        self.rest = rest
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !prefix.isEmpty else { return try rest.read(into: buffer) }
        let count = min(buffer.count, prefix.count)
        prefix.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
        prefix.removeFirst(count)
        return count
    }
}

/// Notices about an input that are no errors (gzip's trailing zeros), for the program to show:
/// the CLI prints them on standard error as warnings. Dropped until a handler is set.
package enum InputNotices {
    private static let handler = Mutex<(@Sendable (String) -> Void)?>(nil)

    /// Sends every notice to `body` from now on.
    package static func send(to body: @escaping @Sendable (String) -> Void) {
        handler.withLock { $0 = body }
    }

    static func post(_ text: String) {
        handler.withLock { $0 }?(text)
    }
}
