/// One parse of one input, from its opening to the end of its records artifact: the sequence
/// every driver runs (`DocumentParser.parse(_:)`, `finish(readingRecordsArtifactOf:)`,
/// `RecordReader`, the split drivers). It opens the input (inflating gzip), feeds the parser,
/// ends the document, then, for a tabular output, reads its records artifact and checks the
/// references last; the errors of a decompressed input are placed in its text.
///
/// The parser is lent to each call (`inout`), so a driver keeps its own. A driver that wants
/// the whole parse calls `run`; one that pulls (a reader handing records out a slice at a time)
/// calls `step`; one whose bytes come from elsewhere (`feed`, an asynchronous sequence) hands
/// them over with `supply` and says where they end with `endSupply`.
struct ParseSession {
    /// Where the parse stands.
    private enum Stage {
        /// Not opened yet: opened by the first step.
        case unopened(DocumentSource)
        /// Read chunk by chunk from `reader`.
        case reading(ChunkReader)
        /// Bytes in memory, fed from `position` on.
        case memory([UInt8], position: Int)
        /// Bytes supplied by the driver; `ended` once it said there are no more.
        case supplied(ended: Bool)
        /// The document has ended; its records artifact is being read.
        case artifact(RecordsArtifactStream)
        /// The document (and its artifact) ended and every check was made.
        case finished
    }

    /// What a step did.
    enum Step: Equatable {
        /// It fed input to the parser (`bytesRead` moved on).
        case fed
        /// It opened the input, ended the document or read some of the artifact.
        case moved
        /// It needs the driver to `supply` bytes (or `endSupply`).
        case needsInput
        /// The parse has finished: every later step says so.
        case finished
    }

    private var stage: Stage
    /// Bytes read from the input and not yet fed (reading in slices, or supplied).
    private var chunk: ReadChunk?
    /// Where the document comes from: its records artifact is looked for beside it.
    let document: DocumentSource?
    /// The input's size as stored, once it is opened, when known (a file, or bytes given whole).
    private(set) var totalBytes: Int?
    /// The input's inflater, when it is gzip.
    private(set) var compressedInput: GzipReader?
    /// Bytes taken from the input so far (before inflating: see `bytesRead`).
    private var taken = 0

    /// A parse of `input`, opened at the first step.
    init(_ input: DocumentSource) {
        document = input
        if case .bytes(let bytes) = input, !startsLikeGzip(bytes) {
            stage = .memory(bytes, position: 0)
            totalBytes = bytes.count
        } else {
            stage = .unopened(input)
        }
    }

    /// A parse of what `reader` reads (already opened), the document of `document` when known.
    init(reader: ChunkReader, documentAt document: DocumentSource? = nil) {
        self.document = document
        stage = .reading(reader)
    }

    /// A parse whose bytes the driver supplies (`supply`, `endSupply`), or has already fed to
    /// the parser itself; `document` is where they come from, when known.
    init(suppliedFor document: DocumentSource?) {
        self.document = document
        stage = .supplied(ended: false)
    }

    /// Bytes of the input read so far, for progress reports: as stored, like `totalBytes`
    /// (compressed bytes for a gzip input, so that it never passes the total).
    var bytesRead: Int { compressedInput?.compressedBytesRead ?? taken }

    /// Whether the parse has finished.
    var isFinished: Bool {
        if case .finished = stage { return true }
        return false
    }

    /// Whether the next step waits for the driver to `supply` bytes.
    var needsInput: Bool {
        if case .supplied(ended: false) = stage { return chunk?.isEmpty ?? true }
        return false
    }

    /// Hands the session the next bytes of the input (fed by the steps that follow, in slices).
    mutating func supply(_ bytes: [UInt8]) {
        chunk = ReadChunk(bytes: bytes)
        taken += bytes.count
    }

    /// Says that the supplied bytes have ended: the next step ends the document.
    mutating func endSupply() {
        if case .supplied = stage { stage = .supplied(ended: true) }
    }

    /// Runs the parse to its end; `progress` is called with `bytesRead` after each chunk of the
    /// document. Supplied input is taken to have ended.
    mutating func run<Visitor>(_ parser: inout DocumentParser<Visitor>, progress: ((Int) throws -> Void)? = nil) throws {
        endSupply()
        while true {
            switch try step(&parser, sliceBytes: .max) {
            case .fed: try progress?(bytesRead)
            case .moved: continue
            case .needsInput, .finished: return
            }
        }
    }

    /// Takes the parse one step on: feeds the parser at most `sliceBytes` of the input (a whole
    /// chunk, inflated in place, when there is no limit), or ends the document, or reads one
    /// chunk of the artifact. An error is thrown placed (in decompressed text, for gzip); the
    /// parse is then over and must not be stepped again.
    mutating func step<Visitor>(_ parser: inout DocumentParser<Visitor>, sliceBytes: Int) throws -> Step {
        do {
            return try advance(&parser, sliceBytes: sliceBytes)
        } catch {
            var reader: ChunkReader?
            if case .reading(let opened) = stage { reader = opened }
            stage = .finished
            throw parser.placedInDecompressedText(error, from: reader)
        }
    }

    private mutating func advance<Visitor>(_ parser: inout DocumentParser<Visitor>, sliceBytes: Int) throws -> Step {
        switch stage {
        case .unopened(let input):
            let (reader, size) = try input.openReader()
            if let gzip = reader as? GzipReader {
                parser.noteDecompressedPlaces()
                compressedInput = gzip
            }
            totalBytes = size
            stage = .reading(reader)
            return .moved
        case .reading(let reader):
            if sliceBytes == .max, chunk == nil, let gzip = reader as? GzipReader {
                guard try gzip.readInPlace({ try parser.feed($0) }) else { return try endDocument(&parser) }
                return .fed
            }
            if chunk == nil { chunk = ReadChunk(capacity: readChunkSize) }
            if chunk!.isEmpty {
                let count = try chunk!.fill(from: reader)
                guard count > 0 else { return try endDocument(&parser) }
                taken += count
            }
        case .memory(let bytes, let position):
            guard position < bytes.count else { return try endDocument(&parser) }
            let count = min(sliceBytes, bytes.count - position)
            stage = .memory(bytes, position: position + count)
            taken = position + count
            try bytes.withUnsafeBytes { all in
                try parser.feed(UnsafeRawBufferPointer(rebasing: all[position..<position + count]))
            }
            return .fed
        case .supplied(let ended):
            if chunk?.isEmpty ?? true { return ended ? try endDocument(&parser) : .needsInput }
        case .artifact(let artifact):
            if try !artifact.step() {
                stage = .finished
                try parser.finishArtifact(artifact)
            }
            return .moved
        case .finished:
            return .finished
        }
        try chunk!.feedSlice(sliceBytes, to: &parser)
        return .fed
    }

    /// Ends the document; true when its records artifact is to be read next (by the steps that
    /// follow), false when the parse has finished. For a driver that fed the parser itself.
    mutating func endInput<Visitor>(_ parser: inout DocumentParser<Visitor>) throws -> Bool {
        endSupply()
        chunk = nil
        _ = try step(&parser, sliceBytes: .max)
        return !isFinished
    }

    private mutating func endDocument<Visitor>(_ parser: inout DocumentParser<Visitor>) throws -> Step {
        chunk = nil
        stage = .finished
        try parser.finishDocument()
        if let artifact = try parser.openRecordsArtifact(documentAt: document) {
            stage = .artifact(artifact)
        } else {
            try parser.finishArtifact(nil)
        }
        return .moved
    }
}

/// Bytes read from the input and not yet fed to the parser.
struct ReadChunk {
    private var storage: [UInt8]
    private var position = 0
    private var count: Int

    init(capacity: Int) {
        storage = [UInt8](repeating: 0, count: capacity)
        count = 0
    }

    init(bytes: [UInt8]) {
        storage = bytes
        count = bytes.count
    }

    var isEmpty: Bool { position == count }

    /// Reads the next chunk of the input: how many bytes it holds, 0 at the end.
    mutating func fill(from reader: ChunkReader) throws -> Int {
        position = 0
        count = try storage.withUnsafeMutableBytes { try reader.read(into: $0) }
        return count
    }

    /// Feeds `parser` the next `limit` bytes (or what is left, when fewer).
    mutating func feedSlice<Visitor>(_ limit: Int, to parser: inout DocumentParser<Visitor>) throws {
        let length = min(limit, count - position)
        let start = position
        position += length
        try storage.withUnsafeBytes { all in
            try parser.feed(UnsafeRawBufferPointer(rebasing: all[start..<start + length]))
        }
    }
}
