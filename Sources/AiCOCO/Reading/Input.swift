/// Where an AiCOCO document comes from.
public enum DocumentSource: Sendable, Equatable {
    /// A file, read in chunks.
    case file(String)
    /// An open file descriptor (a pipe, a socket, a file), read in chunks and not closed.
    case fileDescriptor(Int32)
    /// Standard input.
    case standardInput
    /// Bytes in memory.
    case bytes([UInt8])

    /// The input a command-line argument names: `-` or none is standard input.
    public init(argument: String?) {
        if let argument, argument != "-" {
            self = .file(argument)
        } else {
            self = .standardInput
        }
    }

    /// A name for messages: the path, or `-` for standard input.
    public var displayName: String {
        switch self {
        case .file(let path): path
        case .fileDescriptor(let fd): "fd \(fd)"
        case .standardInput: "-"
        case .bytes: "<bytes>"
        }
    }
}

/// Something the parser pulls chunks of bytes from.
protocol ChunkReader: AnyObject {
    /// Reads up to `buffer.count` bytes; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension FileInput: ChunkReader {}

/// Serves bytes in memory in chunks (the copy is the cost of one pass of `memcpy`).
final class MemoryReader: ChunkReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - position)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + position, byteCount: count)
        }
        position += count
        return count
    }
}

/// Size of the chunks read from files and pipes.
let readChunkSize = 256 << 10

extension DocumentSource {
    /// Opens the input for reading in chunks: the text it holds, inflated when it is gzip
    /// (unless `decompressing` is false). `size` is the size of the file as stored.
    func openReader(decompressing: Bool = true) throws -> (reader: ChunkReader, size: Int?) {
        let file: FileInput
        switch self {
        case .file(let path):
            file = try FileInput(path: path)
        case .fileDescriptor(let fd):
            file = FileInput(descriptor: fd, name: "fd \(fd)")
        case .standardInput:
            file = FileInput(descriptor: 0, name: "standard input")
        case .bytes(let bytes):
            if decompressing, startsLikeGzip(bytes) {
                return (try GzipReader(source: MemoryReader(bytes), prefix: [], size: bytes.count), bytes.count)
            }
            return (MemoryReader(bytes), bytes.count)
        }
        return (decompressing ? try file.decompressing() : file, file.regularFileSize)
    }
}

extension DocumentParser {
    /// Reads the whole input through the parser, chunk by chunk, and finishes it (reading a
    /// tabular output's records artifact, as `finish(readingRecordsArtifactOf:)` does).
    /// `progress` is called after each chunk with the bytes read so far (what it throws stops the
    /// parse and is thrown).
    public mutating func parse(_ input: DocumentSource, progress: ((Int) throws -> Void)? = nil) throws {
        var session = ParseSession(input)
        try session.run(&self, progress: progress)
    }

    /// Reads the whole document from `reader`, then a tabular output's artifact (looked for beside
    /// `document`).
    mutating func parse(reader: ChunkReader, documentAt document: DocumentSource? = nil,
                        progress: ((Int) throws -> Void)? = nil) throws {
        var session = ParseSession(reader: reader, documentAt: document)
        try session.run(&self, progress: progress)
    }
}

/// Parses `input` with `visitor` and returns the visitor with what it gathered.
public func parseDocument<Visitor: DocumentVisitor>(_ input: DocumentSource, visitor: Visitor,
                                               options: DocumentParsing.Options = DocumentParsing.Options()) throws -> Visitor {
    var parser = DocumentParser(visitor: visitor, options: options)
    try parser.parse(input)
    return parser.visitor
}

