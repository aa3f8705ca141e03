/// Turns absolute byte offsets into lines and columns while the input streams past.
///
/// Newlines are counted with `memchr` (`firstIndex(of:in:from:to:)`) once per byte of input, lazily: a query for an offset
/// in the current chunk counts from the last counted point; the rest of the chunk is counted
/// when the chunk ends. Queries for places before the current chunk are answered for the
/// one case that occurs: a token that started in an earlier chunk (tokens hold no newline).
struct LineTracker {
    /// Absolute offset of the current chunk's first byte.
    private(set) var chunkBase = 0
    private var chunk: UnsafeBufferPointer<UInt8> = UnsafeBufferPointer(start: nil, count: 0)
    /// Newlines are counted for all bytes before this absolute offset.
    private var countedTo = 0
    /// Line number (1-based) at `countedTo`, and the offset where that line starts.
    private var line = 1
    private var lineStart = 0
    /// The same at `chunkBase`.
    private var baseLine = 1
    private var baseLineStart = 0

    /// Starts a new chunk that follows the previous one.
    mutating func begin(chunk: UnsafeBufferPointer<UInt8>) {
        self.chunk = chunk
    }

    /// Finishes the current chunk: counts its remaining newlines.
    mutating func end() {
        count(upTo: chunkBase + chunk.count)
        chunkBase += chunk.count
        baseLine = line
        baseLineStart = lineStart
        chunk = UnsafeBufferPointer(start: nil, count: 0)
    }

    private mutating func count(upTo absolute: Int) {
        guard absolute > countedTo, chunk.baseAddress != nil else { return }
        var position = countedTo - chunkBase
        let end = min(absolute - chunkBase, chunk.count)
        while position < end {
            guard let at = firstIndex(of: 0x0A, in: chunk, from: position, to: end) else { break }
            line += 1
            lineStart = chunkBase + at + 1
            position = at + 1
        }
        countedTo = chunkBase + end
    }

    /// The location of absolute offset `offset`.
    mutating func location(of offset: Int) -> SourceLocation {
        if offset >= countedTo {
            count(upTo: offset)
            return SourceLocation(offset: offset, line: line, column: offset - lineStart + 1)
        }
        if offset >= chunkBase, chunk.baseAddress != nil {
            var currentLine = baseLine
            var currentStart = baseLineStart
            var position = 0
            let end = offset - chunkBase
            while position < end {
                guard let at = firstIndex(of: 0x0A, in: chunk, from: position, to: end) else { break }
                currentLine += 1
                currentStart = chunkBase + at + 1
                position = at + 1
            }
            return SourceLocation(offset: offset, line: currentLine, column: offset - currentStart + 1)
        }
        return SourceLocation(offset: offset, line: baseLine, column: max(1, offset - baseLineStart + 1))
    }

    /// The byte at absolute `offset` if it is in the current chunk.
    func byte(at offset: Int) -> UInt8? {
        let relative = offset - chunkBase
        guard relative >= 0, relative < chunk.count else { return nil }
        return chunk[relative]
    }
}
