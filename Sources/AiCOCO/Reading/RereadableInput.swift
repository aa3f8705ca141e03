// Inputs read more than once (`filter`, `render`, `convert --to nifti`): a regular file as it
// is, anything else copied to a temporary file as it is parsed.

/// An input that can be read more than once: a regular file as it is, anything else (standard
/// input, a pipe, a FIFO, a device) copied to an anonymous temporary file first, and parsed as
/// it is copied, so that the copy stops at the input's first problem (garbage from a device
/// is a placed error at once, never a disk filled with it).
package final class RereadableInput {
    private let original: DocumentSource
    private let copy: TemporaryFile?

    /// `options` are the parser's (limits, non-finite numbers) for the check made while
    /// copying; `progress` gets the bytes copied so far.
    package init(_ input: DocumentSource, options: DocumentParsing.Options = DocumentParsing.Options(),
                 progress: ((Int) -> Void)? = nil) throws {
        original = input
        copy = !input.canBeReadAgain ? try Self.checkedCopy(of: input, options: options, progress: progress) : nil
    }

    /// The input from its start, for one more pass.
    package func pass() throws -> DocumentSource {
        if let copy { return try copy.input() }
        return try original.rewound()
    }

    /// Size in bytes when known (that of the copy).
    package var size: Int? { copy?.size }

    /// All of `input` copied as it is (compressed input stays compressed, inflated at each
    /// pass), parsed as it streams in: the parser's first problem (or a first byte that opens
    /// neither a JSON object nor a gzip stream) ends the copy and is thrown.
    private static func checkedCopy(of input: DocumentSource, options: DocumentParsing.Options,
                                    progress: ((Int) -> Void)?) throws -> TemporaryFile {
        let (raw, _) = try input.openReader(decompressing: false)
        let copying = CopyingReader(raw, name: input.displayName, progress: progress)
        let text = try decompressingReader(copying, name: input.displayName)
        var checks = options
        checks.validate = false
        var parser = DocumentParser(visitor: CopyCheck(), options: checks)
        if text is GzipReader { parser.noteDecompressedPlaces() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readChunkSize, alignment: 16)
        defer { buffer.deallocate() }
        do {
            while true {
                let count = try text.read(into: buffer)
                if count == 0 { break }
                try parser.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            }
            try parser.finish()
        } catch {
            // Placed as a pass places it (in the decompressed text of a gzip input).
            throw parser.placedInDecompressedText(error, from: text)
        }
        let file = try copying.finishedFile()
        try file.flush()
        return file
    }
}

/// The parse made while copying: what the parser checks by itself (syntax, shapes, limits).
private struct CopyCheck: DocumentVisitor {}

/// Reads `source`, appending what it reads to `file`, after checking that the first byte
/// that is not whitespace opens a JSON object or a gzip stream. The file is made once that
/// byte has passed the check (garbage is reported as such, whatever `TMPDIR` is).
private final class CopyingReader: ChunkReader {
    private let source: ChunkReader
    private var file: TemporaryFile?
    private let name: String
    private let progress: ((Int) -> Void)?
    private var start = DocumentStartCheck()
    /// Leading whitespace read before the file is made (at most 64 KiB).
    private var leading: [UInt8] = []

    init(_ source: ChunkReader, name: String, progress: ((Int) -> Void)?) {
        self.source = source
        self.name = name
        self.progress = progress
    }

    /// The copy, made now if the input held nothing past its leading whitespace.
    func finishedFile() throws -> TemporaryFile { try file ?? makeFile() }

    /// The copy's file, made with the leading whitespace held so far.
    private func makeFile() throws -> TemporaryFile {
        let file = try TemporaryFile()
        try file.write(leading)
        leading = []
        self.file = file
        return file
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try source.read(into: buffer)
        guard count > 0 else { return 0 }
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
        try start.check(bytes, name: name)
        if let file {
            try file.write(bytes)
        } else if !start.passed && leading.count + count <= 65536 {
            // Whitespace so far: held until a byte says what the input is.
            leading.append(contentsOf: bytes)
        } else {
            try makeFile().write(bytes)
        }
        progress?((file?.size ?? 0) + leading.count)
        return count
    }
}

/// The first byte of a document that is not whitespace, checked as the bytes stream in.
struct DocumentStartCheck {
    /// Whether the first byte that is not whitespace has come and passed.
    var passed: Bool { done }
    private var done = false
    private var offset = 0
    private var line = 1
    private var lineStart = 0

    mutating func check(_ bytes: UnsafeRawBufferPointer, name: String) throws {
        guard !done else { return }
        for byte in bytes {
            switch byte {
            case 0x20, 0x09, 0x0D:
                break
            case 0x0A:
                line += 1
                lineStart = offset + 1
            case UInt8(ascii: "{"), 0x1F:  // An object, or a gzip stream's first byte.
                done = true
                return
            default:
                let shown = byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x" + String(byte, radix: 16, uppercase: true)
                throw DocumentError(kind: .syntax, message: "expected an AiCOCO document (a JSON object, '{'), found \(shown)",
                                  path: "$", location: SourceLocation(offset: offset, line: line, column: offset - lineStart + 1),
                                  file: name == "-" ? nil : name)
            }
            offset += 1
        }
    }
}
