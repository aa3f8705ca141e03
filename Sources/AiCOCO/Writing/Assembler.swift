/// Rebuilds one AiCOCO document from JSON lines `{"section":NAME,"record":{...}}` (what
/// `aicoco records` writes), in constant memory whatever the order of the lines.
///
/// First pass: each line is scanned by yajl (no tree is built) and its record's text is
/// appended to a temporary file of its section. Second pass: the sections are read back as one
/// document through the AiCOCO parser, with validation (schema, rules, references), and written
/// by `DocumentWriter`. Errors are placed on the input line the record came from.
///
/// The kind of document follows from the sections of the lines: tabular with a `records` or a
/// `rows` line, hybrid with `tables`, image otherwise; sections are written in the order FLaVor
/// writes them. Each document comes back in its FLaVor generation: with a `records` line, the
/// tabular records (section `rows`) go to the artifact file `artifact`, one per line, which the
/// second pass then checks against the reference (`records.href`, or `records_file.path` when
/// the line has `path`); without one, they are the document's inline `records` array
/// (FLaVor 2.1.0 to 2.2.1).
public struct DocumentAssembler {
    /// How the second pass parses (validation on by default).
    public var parserOptions: DocumentParsing.Options
    /// Longest accepted line, in bytes.
    public var maxLineBytes: Int
    /// Where the records of section `rows` are written (a tabular output's artifact).
    public var artifact: String?

    /// An assembler; `artifact` is needed only for tabular records.
    public init(parserOptions: DocumentParsing.Options = DocumentParsing.Options(validate: true), maxLineBytes: Int = 16 << 20,
                artifact: String? = nil) {
        self.parserOptions = parserOptions
        self.maxLineBytes = maxLineBytes
        self.artifact = artifact
    }

    /// The input has tabular records but no `artifact` to write them to.
    public struct ArtifactNeeded: Error, CustomStringConvertible {
        /// The message, naming `--artifact`.
        public var description: String {
            "the input holds tabular records (section rows): give the artifact file to write them to (--artifact FILE)"
        }
    }

    /// Per section: the records' text, comma-separated, and per record where it came from.
    private final class Spill {
        let text: TemporaryFile
        /// Per record, 4 × Int64: offset in `text`, input line, column of the record, input offset.
        let places: TemporaryFile
        var count = 0

        init() throws {
            text = try TemporaryFile()
            places = try TemporaryFile()
        }

        /// Writes the records to `output`, one per line.
        func copyLines(to output: FileOutput) throws {
            try text.flush()
            try places.flush()
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readChunkSize, alignment: 8)
            defer { buffer.deallocate() }
            for index in 0..<count {
                var entry: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0), next = entry
                _ = try withUnsafeMutableBytes(of: &entry) { try places.read(at: index * 32, into: $0) }
                var end = text.size
                if index + 1 < count {
                    _ = try withUnsafeMutableBytes(of: &next) { try places.read(at: (index + 1) * 32, into: $0) }
                    end = Int(next.0) - 1
                }
                var position = Int(entry.0)
                while position < end {
                    let read = try text.read(at: position, into: UnsafeMutableRawBufferPointer(
                        rebasing: buffer[0..<min(buffer.count, end - position)]))
                    guard read > 0 else { break }
                    try output.write(UnsafeRawBufferPointer(rebasing: buffer[0..<read]))
                    position += read
                }
                try output.write([UInt8(0x0A)])
            }
        }

        func add(_ bytes: UnsafeRawBufferPointer, line: Int, column: Int, offset: Int) throws {
            if count > 0 { try text.write([UInt8(ascii: ",")]) }
            var place: (Int64, Int64, Int64, Int64) = (Int64(text.size), Int64(line), Int64(column), Int64(offset))
            try withUnsafeBytes(of: &place) { try places.write($0) }
            try text.write(bytes)
            count += 1
        }

        /// The input place of byte `local` of `text`.
        func place(of local: Int) throws -> SourceLocation? {
            try places.flush()
            var low = 0, high = count - 1, found: (Int64, Int64, Int64, Int64)?
            while low <= high {
                let middle = (low + high) / 2
                var entry: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
                let read = try withUnsafeMutableBytes(of: &entry) { try places.read(at: middle * 32, into: $0) }
                guard read == 32 else { return nil }
                if Int(entry.0) <= local {
                    found = entry
                    low = middle + 1
                } else {
                    high = middle - 1
                }
            }
            guard let found else { return nil }
            let delta = local - Int(found.0)
            return SourceLocation(offset: Int(found.3) + delta, line: Int(found.1), column: Int(found.2) + delta)
        }
    }

    /// Reads the lines of `input` and writes the document to `writer` (finished on success only).
    /// `progress` gets the bytes read in the first pass, then in the second.
    public func assemble(_ input: DocumentSource, to writer: DocumentWriter,
                         progress: ((_ pass: Int, _ bytes: Int) -> Void)? = nil) throws {
        var spills: [Section: Spill] = [:]
        var artifactOutput: FileOutput?
        /// The `records` line has `path`: the document's key is `records_file` (FLaVor 2.2.2).
        var recordsFile = false
        let scanner = EnvelopeLineScanner()
        var lineNumber = 0
        var rewritten: [UInt8] = []
        var lastLocation = SourceLocation(offset: 0, line: 1, column: 1)

        func handle(_ line: UnsafeBufferPointer<UInt8>, startOffset: Int) throws {
            lineNumber += 1
            var count = line.count
            if count > 0 && line[count - 1] == 0x0D { count -= 1 }
            let body = UnsafeBufferPointer(rebasing: line[0..<count])
            lastLocation = SourceLocation(offset: startOffset + count, line: lineNumber, column: count + 1)
            if body.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
            let envelope: EnvelopeLine
            do {
                if parserOptions.allowNonFinite {
                    // yajl scans a copy with `NaN`... rewritten (same length, so the same ranges).
                    rewritten.removeAll(keepingCapacity: true)
                    rewritten.append(contentsOf: body)
                    var rewriter = NonFiniteRewriter()
                    _ = rewritten.withUnsafeMutableBufferPointer { rewriter.rewrite($0, base: 0, final: true) }
                    envelope = try rewritten.withUnsafeBufferPointer { try scanner.scan($0) }
                } else {
                    envelope = try scanner.scan(body)
                }
            } catch let problem as EnvelopeProblem {
                throw DocumentError(kind: problem.syntax ? .syntax : .schema, message: problem.message,
                                  path: "line \(lineNumber)",
                                  location: SourceLocation(offset: startOffset + problem.offset, line: lineNumber,
                                                           column: problem.offset + 1))
            }
            guard let section = Section(rawValue: envelope.section) else {
                throw DocumentError(kind: .schema,
                                  message: "unknown section \(jsonQuoted(envelope.section)) (expected one of \(Section.allCases.map(\.rawValue).joined(separator: ", ")))",
                                  path: "line \(lineNumber)",
                                  location: SourceLocation(offset: startOffset, line: lineNumber, column: 1))
            }
            let range = envelope.recordRange
            if section == .records {
                recordsFile = topLevelKeys(UnsafeBufferPointer(rebasing: body[range])).contains("path")
            }
            let spill: Spill
            if let existing = spills[section] {
                spill = existing
            } else {
                spill = try Spill()
                spills[section] = spill
            }
            if section.isSingleObject && spill.count > 0 {
                throw DocumentError(kind: .schema, message: "a second \(section.rawValue) record (a document has one)",
                                  path: "$.\(section.rawValue)",
                                  location: SourceLocation(offset: startOffset + range.lowerBound, line: lineNumber,
                                                           column: range.lowerBound + 1))
            }
            try spill.add(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: body[range])), line: lineNumber,
                          column: range.lowerBound + 1, offset: startOffset + range.lowerBound)
        }

        // Pass 1: split lines, scan them, spill the records.
        let (reader, _) = try input.openReader()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: readChunkSize, alignment: 16)
        defer { chunk.deallocate() }
        var pending: [UInt8] = []
        var pendingStart = 0
        var total = 0
        while true {
            let count = try reader.read(into: chunk)
            if count == 0 { break }
            let bytes = UnsafeBufferPointer(start: chunk.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)
            var start = 0
            while start < count {
                guard let newline = bytes[start...].firstIndex(of: 0x0A) else {
                    // A line that goes on past the chunk but cannot start a JSON value (NUL,
                    // /dev/zero): its error now, not after gathering maxLineBytes of it.
                    if pending.isEmpty, let first = bytes[start...].firstIndex(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }),
                       !"{[\"-0123456789tfn".utf8.contains(bytes[first]) {
                        try handle(UnsafeBufferPointer(rebasing: bytes[start...first]), startOffset: total + start)
                    }
                    pending.append(contentsOf: bytes[start...])
                    if pending.count > maxLineBytes {
                        throw DocumentError(kind: .limit, message: "line \(lineNumber + 1) is longer than \(maxLineBytes) bytes (limit maxLineBytes; raise it with --max-line-bytes)",
                                          path: "line \(lineNumber + 1)",
                                          location: SourceLocation(offset: pendingStart, line: lineNumber + 1, column: 1))
                    }
                    break
                }
                if pending.isEmpty {
                    try handle(UnsafeBufferPointer(rebasing: bytes[start..<newline]), startOffset: total + start)
                } else {
                    pending.append(contentsOf: bytes[start..<newline])
                    try pending.withUnsafeBufferPointer { try handle($0, startOffset: pendingStart) }
                    pending.removeAll(keepingCapacity: pending.capacity <= 1 << 20)
                }
                start = newline + 1
                pendingStart = total + start
            }
            total += count
            progress?(1, total)
        }
        if !pending.isEmpty {
            try pending.withUnsafeBufferPointer { try handle($0, startOffset: pendingStart) }
        }
        guard let meta = spills[.meta] else {
            throw DocumentError(kind: .schema, message: "no meta record among the lines (a document needs one)",
                              path: "$.meta", location: lastLocation)
        }
        _ = meta
        // Tabular records go to the artifact when the document refers to one, else inline.
        if let rows = spills[.rows], spills[.records] != nil {
            guard let artifact else { throw ArtifactNeeded() }
            artifactOutput = try FileOutput(path: artifact)
            try rows.copyLines(to: artifactOutput!)
            spills[.rows] = nil
        }

        let writtenArtifactName = artifactOutput == nil ? nil
            : artifact.map { String($0.split(separator: "/", omittingEmptySubsequences: false).last ?? "") }

        // Pass 2: the sections as one document, through the parser, to the writer.
        var parts: [ConcatenatedReader.Part] = []
        var starts: [(section: Section, start: Int, spill: Spill)] = []
        var position = 0
        func glue(_ text: String) {
            parts.append(.bytes(Array(text.utf8)))
            position += text.utf8.count
        }
        glue("{")
        let kind: DocumentForm.Kind = spills[.records] != nil || spills[.rows] != nil ? .tabular
            : spills[.tables] != nil ? .hybrid : .image
        var first = true
        for documentSection in kind.sections {
            let section = documentSection == .records && spills[.rows] != nil ? Section.rows : documentSection
            if section.isSingleObject && spills[section] == nil { continue }
            let key = section == .rows ? "records" : section == .records && recordsFile ? "records_file" : section.rawValue
            glue((first ? "" : ",") + jsonQuoted(key) + ":" + (section.isSingleObject ? "" : "["))
            first = false
            if let spill = spills[section] {
                try spill.text.flush()
                starts.append((section, position, spill))
                parts.append(.file(spill.text, spill.text.size))
                position += spill.text.size
            }
            if !section.isSingleObject { glue("]") }
        }
        glue("}")

        let visitor = SectionedRecordVisitor(
            maxCoordinates: parserOptions.limits.maxCoordinatesPerRecord,
            sectionStart: { try writer.beginSection($0) },
            record: { record in
                // The reference names the artifact written (`--artifact`), so that the pair
                // validates: its href (or path) keeps its folder, with the artifact's file name.
                if case .recordsReference(var reference) = record, let name = writtenArtifactName {
                    reference.href = Self.href(reference.href, naming: name)
                    return try writer.write(.recordsReference(reference))
                }
                try writer.write(record)
            },
            sectionEnd: { _, _ in try writer.endSection() })
        do {
            var options = parserOptions
            if let artifactOutput, let artifact {
                try artifactOutput.flush()
                options.recordsArtifact = .file(artifact)
            } else {
                options.recordsArtifact = .skip
            }
            _ = try runParse(reader: ConcatenatedReader(parts), visitor: visitor, options: options) {
                progress?(2, $0)
            }
        } catch var error as DocumentError where error.kind != .io && error.file == nil {
            let offset = error.location.offset
            if let entry = starts.last(where: { $0.start <= offset && offset < $0.start + $0.spill.text.size }),
               let place = try entry.spill.place(of: offset - entry.start) {
                error.location = place
            } else {
                error.location = lastLocation
            }
            throw error
        }
        try writer.finish()
    }

    /// `href` with its last path component replaced by `name` (`/a/records_x.jsonl`, `copy.jsonl`
    /// -> `/a/copy.jsonl`).
    static func href(_ href: String, naming name: String) -> String {
        guard let slash = href.lastIndex(of: "/") else { return name }
        return String(href[...slash]) + name
    }
}

/// Serves byte arrays and temporary files one after the other, as one input.
final class ConcatenatedReader: ChunkReader {
    enum Part {
        case bytes([UInt8])
        case file(TemporaryFile, Int)
    }

    private let parts: [Part]
    private var index = 0
    private var position = 0

    init(_ parts: [Part]) { self.parts = parts }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while index < parts.count {
            switch parts[index] {
            case .bytes(let bytes):
                let count = min(buffer.count, bytes.count - position)
                if count > 0 {
                    bytes.withUnsafeBytes { source in
                        buffer.baseAddress!.copyMemory(from: source.baseAddress! + position, byteCount: count)
                    }
                    position += count
                    return count
                }
            case .file(let file, let size):
                let wanted = min(buffer.count, size - position)
                if wanted > 0 {
                    let count = try file.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]))
                    if count > 0 {
                        position += count
                        return count
                    }
                }
            }
            index += 1
            position = 0
        }
        return 0
    }
}

/// The keys of a JSON object's text at its top level (for a record known to be well-formed
/// JSON: a line yajl has scanned).
func topLevelKeys(_ bytes: UnsafeBufferPointer<UInt8>) -> [String] {
    var keys: [String] = []
    var depth = 0, index = 0
    var expectsKey = false
    while index < bytes.count {
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: "{"):
            depth += 1
            expectsKey = depth == 1
        case UInt8(ascii: "["):
            depth += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
        case UInt8(ascii: ","):
            expectsKey = depth == 1
        case UInt8(ascii: "\""):
            var end = index + 1
            while end < bytes.count && bytes[end] != UInt8(ascii: "\"") {
                end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
            }
            if expectsKey {
                keys.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[(index + 1)..<min(end, bytes.count)]), as: UTF8.self))
                expectsKey = false
            }
            index = end
        default:
            break
        }
        index += 1
    }
    return keys
}
