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
    func path(for reference: AiRecordsReference, documentAt input: AiCOCOInput?) -> String? {
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

/// Streams a records artifact through a `TabularLineParser`, line by line, in constant memory:
/// a line that fits in a read chunk is parsed where it lies, a longer one is gathered in a
/// buffer of at most `maxRecordBytes`. Then checks the artifact's rows and bytes against the
/// document's `records` reference.
struct RecordsArtifactReader {
    let path: String
    let reference: AiRecordsReference
    let windowSize: Int?
    let options: ParserOptions
    let checker: ReferenceChecker?
    /// Problems; a throw stops the reading.
    let report: (AiCOCOError) throws -> Void
    let deliver: (AiTabularRecord, Int) throws -> Void

    /// Reads the artifact; returns the number of records delivered.
    @discardableResult
    func read(progress: ((Int) -> Void)? = nil) throws -> Int {
        let file = try FileInput(path: path)
        return try read(from: file, progress: progress)
    }

    func read(from reader: ChunkReader, progress: ((Int) -> Void)? = nil) throws -> Int {
        let parser = TabularLineParser(file: path, limits: options.limits, windowSize: windowSize,
                                       checker: checker, report: report, deliver: deliver)
        let chunk = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: readChunkSize)
        defer { chunk.deallocate() }
        var pending: [UInt8] = []
        var lines = 0
        /// Lines that hold something (empty ones are reported, and are no record).
        var rows = 0
        var total = 0
        var lineStart = 0
        let maxLine = options.limits.maxRecordBytes

        func tooLong(_ length: Int) -> AiCOCOError {
            AiCOCOError(kind: .limit, message: "a line of more than \(maxLine) bytes (limit maxRecordBytes)",
                        path: "$[\(lines)]", location: SourceLocation(offset: lineStart + maxLine, line: lines + 1,
                                                                    column: maxLine + 1), file: path)
        }

        while true {
            let count = try reader.read(into: UnsafeMutableRawBufferPointer(chunk))
            if count == 0 { break }
            let bytes = UnsafeBufferPointer(rebasing: chunk[0..<count])
            var position = 0
            while position < count {
                let rest = UnsafeBufferPointer(rebasing: bytes[position...])
                guard let found = rest.firstIndex(of: 0x0A) else {
                    if pending.count + rest.count > maxLine { throw tooLong(pending.count + rest.count) }
                    pending.append(contentsOf: rest)
                    break
                }
                let end = position + found + 1
                lines += 1
                if pending.isEmpty {
                    if end - position > maxLine + 1 { throw tooLong(end - position) }
                    if try parser.read(line: UnsafeBufferPointer(rebasing: bytes[position..<end]), number: lines,
                                       offset: lineStart, isLast: false) { rows += 1 }
                } else {
                    if pending.count + end - position > maxLine + 1 { throw tooLong(pending.count + end - position) }
                    pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[position..<end]))
                    if try pending.withUnsafeBufferPointer({
                        try parser.read(line: $0, number: lines, offset: lineStart, isLast: false)
                    }) { rows += 1 }
                    pending.removeAll(keepingCapacity: pending.capacity <= readChunkSize)
                }
                lineStart = total + end
                position = end
            }
            total += count
            progress?(total)
        }
        if !pending.isEmpty {
            lines += 1
            if try pending.withUnsafeBufferPointer({
                try parser.read(line: $0, number: lines, offset: lineStart, isLast: true)
            }) { rows += 1 }
        }
        if checker != nil {
            let end = SourceLocation(offset: total, line: pending.isEmpty ? lines + 1 : lines,
                                     column: pending.isEmpty ? 1 : pending.count + 1)
            if rows != reference.rows {
                try report(AiCOCOError(kind: .semantic,
                                       message: "the artifact has \(rows) record\(rows == 1 ? "" : "s"), but records.rows in the document says \(reference.rows)",
                                       path: "$", location: end, file: path))
            }
            if total != reference.bytes {
                try report(AiCOCOError(kind: .semantic,
                                       message: "the artifact has \(total) bytes, but records.bytes in the document says \(reference.bytes)",
                                       path: "$", location: end, file: path))
            }
        }
        return parser.delivered
    }
}
