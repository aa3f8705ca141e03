/// Where the records artifact of a tabular output (the JSON-lines file its `records.href`
/// names) is read from.
public enum RecordsArtifactSource: Sendable, Equatable {
    /// The file named by the last path component of `href`, in the document's directory.
    /// A document read from standard input or from memory has no directory: its artifact
    /// must be given with `.file`.
    case besideDocument
    /// This file, whatever `href` says.
    case file(String)
    /// Not read: tabular records are not delivered, nor checked.
    case skip

    /// The path of the artifact of a document read from `input`, or nil when it cannot be known.
    func path(for reference: RecordsReference, documentAt input: AiCOCOInput?) -> String? {
        switch self {
        case .skip: return nil
        case .file(let path): return path
        case .besideDocument:
            guard case .file(let document)? = input else { return nil }
            let name = reference.fileName
            guard let slash = document.lastIndex(of: "/") else { return name }
            return String(document[...slash]) + name
        }
    }
}

/// Streams a records artifact through a `TabularLineParser`, one read chunk per `step()`, in
/// constant memory: a line that fits in a chunk is parsed where it lies, a longer one is gathered
/// in a buffer of at most `maxRecordBytes`. At the end, checks the artifact's rows and bytes
/// against the document's `records` reference.
final class RecordsArtifactStream {
    let path: String
    private let reference: RecordsReference
    private let validating: Bool
    private let report: (DocumentError) throws -> Void
    private let parser: TabularLineParser
    private let reader: ChunkReader
    private let chunk: UnsafeMutableBufferPointer<UInt8>
    private let maxLine: Int
    private var pending: [UInt8] = []
    private var lines = 0
    /// Lines that hold something (empty ones are reported, and are no record).
    private var rows = 0
    private(set) var bytesRead = 0
    private var lineStart = 0
    private var done = false

    /// Opens the artifact at `path` (or reads `reader`). `report` gets problems (a throw stops the
    /// reading), `deliver` the records with their line index.
    init(path: String, reader: ChunkReader? = nil, reference: RecordsReference, windowSize: Int?,
         options: ParserOptions, checker: ReferenceChecker?,
         report: @escaping (DocumentError) throws -> Void, deliver: @escaping (TabularRecord, Int) throws -> Void) throws {
        self.path = path
        self.reference = reference
        validating = checker != nil
        self.report = report
        self.reader = try reader ?? FileInput(path: path).decompressing()
        parser = TabularLineParser(file: path, limits: options.limits, allowNonFinite: options.allowNonFinite,
                                   windowSize: windowSize, checker: checker,
                                   report: report, deliver: deliver)
        maxLine = options.limits.maxRecordBytes
        chunk = .allocate(capacity: readChunkSize)
    }

    deinit { chunk.deallocate() }

    /// `NaN`, `Infinity` and `-Infinity` read so far (`allowNonFinite`).
    var nonFiniteCounts: NonFiniteCounts { parser.nonFinite.counts }

    /// Records delivered so far.
    var delivered: Int { parser.delivered }

    private func tooLong() -> DocumentError {
        DocumentError(kind: .limit, message: "a line of more than \(maxLine) bytes (limit maxRecordBytes)",
                    path: "$[\(lines)]", location: SourceLocation(offset: lineStart + maxLine, line: lines + 1,
                                                                column: maxLine + 1), file: path)
    }

    /// Whether `byte` may begin a JSON value (an object, or what yajl reads before it objects).
    private static func canStartValue(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "\""), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            return true
        default:
            return false
        }
    }

    /// Reads and parses one chunk; false once the artifact has ended (and been checked).
    func step() throws -> Bool {
        guard !done else { return false }
        let count: Int
        do {
            count = try reader.read(into: UnsafeMutableRawBufferPointer(chunk))
        } catch var error as DocumentError where error.kind == .compression {
            // A gzip'd artifact cut short or corrupt: placed at the end of its decompressed text.
            error.location = SourceLocation(offset: bytesRead, line: lines + 1, column: bytesRead - lineStart + 1)
            error.path = "$[\(lines)]"
            error.file = path
            throw error
        }
        if count == 0 {
            try end()
            return false
        }
        let bytes = UnsafeBufferPointer(rebasing: chunk[0..<count])
        var position = 0
        while position < count {
            let rest = UnsafeBufferPointer(rebasing: bytes[position...])
            guard let found = rest.firstIndex(of: 0x0A) else {
                if pending.count + rest.count > maxLine { throw tooLong() }
                if pending.isEmpty {
                    // A line that goes on past the chunk but whose first byte cannot start a
                    // value (NUL, /dev/zero): its error now, not after gathering it.
                    if let first = rest.firstIndex(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }),
                       !Self.canStartValue(rest[first]) {
                        _ = try parser.read(line: UnsafeBufferPointer(rebasing: rest[...first]), number: lines + 1,
                                            offset: lineStart, isLast: false)
                    }
                }
                if pending.count + rest.count > readChunkSize && pending.capacity <= maxLine {
                    // Room for the longest line at once (pages are only touched as it fills),
                    // rather than doublings that copy and overshoot the limit.
                    pending.reserveCapacity(maxLine + 1)
                }
                pending.append(contentsOf: rest)
                break
            }
            let end = position + found + 1
            lines += 1
            if pending.isEmpty {
                if end - position > maxLine + 1 { throw tooLong() }
                if try parser.read(line: UnsafeBufferPointer(rebasing: bytes[position..<end]), number: lines,
                                   offset: lineStart, isLast: false) { rows += 1 }
            } else {
                if pending.count + end - position > maxLine + 1 { throw tooLong() }
                pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[position..<end]))
                if try pending.withUnsafeBufferPointer({
                    try parser.read(line: $0, number: lines, offset: lineStart, isLast: false)
                }) { rows += 1 }
                pending.removeAll(keepingCapacity: pending.capacity <= readChunkSize)
            }
            lineStart = bytesRead + end
            position = end
        }
        bytesRead += count
        return true
    }

    private func end() throws {
        done = true
        if !pending.isEmpty {
            lines += 1
            if try pending.withUnsafeBufferPointer({
                try parser.read(line: $0, number: lines, offset: lineStart, isLast: true)
            }) { rows += 1 }
        }
        guard validating else { return }
        let end = SourceLocation(offset: bytesRead, line: pending.isEmpty ? lines + 1 : lines,
                                 column: pending.isEmpty ? 1 : pending.count + 1)
        if rows != reference.rows {
            try report(DocumentError(kind: .semantic,
                                   message: "the artifact has \(rows) record\(rows == 1 ? "" : "s"), but \(reference.form == .recordsFile ? "records_file" : "records").rows in the document says \(reference.rows)",
                                   path: "$", location: end, file: path))
        }
        if bytesRead != reference.bytes {
            try report(DocumentError(kind: .semantic,
                                   message: "the artifact has \(bytesRead) bytes, but \(reference.form == .recordsFile ? "records_file" : "records").bytes in the document says \(reference.bytes)",
                                   path: "$", location: end, file: path))
        }
    }
}
