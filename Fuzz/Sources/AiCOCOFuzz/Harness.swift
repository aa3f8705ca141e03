// libFuzzer target: `LLVMFuzzerTestOneInput` drives the parser, the validator and the record
// reader over one input and traps (a finding) when an invariant does not hold:
//
// - no crash, no hang (libFuzzer's -timeout), bounded memory (-rss_limit_mb);
// - every problem's offset is within the input, and its line and column are those of the
//   offset, recomputed here from the bytes;
// - feeding the input in chunks (sizes picked by the input's first bytes) gives exactly the
//   events and problems of feeding it whole;
// - the threaded record reader, validating, gives the same problems, and the records the
//   visitor saw;
// - reading polygons without yajl's lexer gives exactly what yajl alone gives;
// - the writer round trip: valid records written back and read again are the same records;
// - the writing subcommands agree with validate's verdict: on a document validate accepts,
//   the COCO conversion, the JSON lines of `records`, `filter` and `assemble` (of those lines)
//   succeed or stop on a placed limit error (a number too large for a computation), never on
//   an internal error; on one it rejects, each of them fails too;
// - the split parse (`--threads 2`, SplitCheck.swift) gives what one parser gives.
@_spi(Testing) import AiCOCO

#if canImport(Glibc)
import Glibc
#endif

/// What a parse reported, in order: enough to compare two parses of the same bytes exactly.
enum Event: Equatable {
    case sectionStart(Section)
    case sectionEnd(Section, Int)
    case record(Record, Int)
    case annotationStart(Int)
    case coordinates(CoordinateKind, Int, Int, Int, [UInt64], Bool)
    case annotationEnd(AnnotationFields, Int)
    case annotationDropped(Int)
    case problem(DocumentError)
}

struct Recorder: DocumentVisitor {
    var events: [Event] = []
    mutating func visitSectionStart(_ section: Section) throws { events.append(.sectionStart(section)) }
    mutating func visitSectionEnd(_ section: Section, count: Int) throws {
        events.append(.sectionEnd(section, count))
    }
    mutating func visit(_ record: Record, index: Int) throws { events.append(.record(record, index)) }
    mutating func visitAnnotationStart(index: Int) throws { events.append(.annotationStart(index)) }
    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        events.append(.coordinates(chunk.kind, chunk.annotationIndex, chunk.polygonIndex, chunk.offset,
                                   chunk.bitPatterns, chunk.endsPolygon))
    }
    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        events.append(.annotationEnd(fields, index))
    }
    mutating func visitAnnotationDropped(index: Int) throws { events.append(.annotationDropped(index)) }
    mutating func visitProblem(_ error: DocumentError) throws { events.append(.problem(error)) }

    var problems: [DocumentError] {
        events.compactMap { if case .problem(let error) = $0 { error } else { nil } }
    }
}

/// The events of one validating parse, and the error that ended it (if any).
struct Outcome: Equatable {
    var events: [Event]
    var error: DocumentError?
}

func fail(_ message: String, _ bytes: UnsafeBufferPointer<UInt8>) -> Never {
    var text = "AiCOCOFuzz invariant broken: \(message)\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    abort()
}

/// Parses `bytes` fed in chunks of `sizes` (cycled; empty = one chunk).
func parse(_ bytes: UnsafeBufferPointer<UInt8>, sizes: [Int], options: DocumentParsing.Options) -> Outcome {
    var parser = DocumentParser(visitor: Recorder(), options: options)
    do {
        var position = 0
        var turn = 0
        while position < bytes.count {
            let size = sizes.isEmpty ? bytes.count : sizes[turn % sizes.count]
            let end = min(bytes.count, position + size)
            try parser.feed(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[position..<end])))
            position = end
            turn += 1
        }
        try parser.finish()
        return Outcome(events: parser.visitor.events, error: nil)
    } catch let error as DocumentError {
        return Outcome(events: parser.visitor.events, error: error)
    } catch {
        fail("a parse threw a non-DocumentError: \(error)", bytes)
    }
}

/// Line (1-based) and column (1-based, bytes) of `offset`, counted from the bytes.
func place(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int) {
    var line = 1
    var lineStart = 0
    for index in 0..<offset where bytes[index] == 0x0A {
        line += 1
        lineStart = index + 1
    }
    return (line, offset - lineStart + 1)
}

func checkPlace(_ error: DocumentError, _ bytes: UnsafeBufferPointer<UInt8>) {
    let location = error.location
    guard location.offset >= 0, location.offset <= bytes.count else {
        fail("offset \(location.offset) outside the input of \(bytes.count) bytes: \(error)", bytes)
    }
    let (line, column) = place(of: location.offset, in: bytes)
    guard location.line == line, location.column == column else {
        fail("\(error) is at \(line):\(column) by the bytes", bytes)
    }
    guard error.path.hasPrefix("$") else { fail("path \(error.path) does not start with $", bytes) }
}

/// Chunk sizes from the input's first bytes (the input is parsed whole: the first bytes both
/// pick the split and belong to the document, so every seed stays a meaningful document).
func chunkSizes(_ bytes: UnsafeBufferPointer<UInt8>) -> [Int] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(bytes.count)
    for byte in bytes.prefix(8) { state = (state ^ UInt64(byte)) &* 0x100_0000_01B3 }
    var sizes: [Int] = []
    for _ in 0..<8 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let pick = Int(truncatingIfNeeded: state >> 33)
        // Mostly tiny chunks (a token split everywhere), sometimes larger ones.
        sizes.append(pick % 4 == 0 ? 1 + pick % 97 : 1 + pick % 7)
    }
    return sizes
}

/// Limits small enough for short inputs to reach them (every limit but maxTokenBytes, which
/// depends on how the input is chunked by design).
func smallLimits() -> DocumentParsing.Limits {
    var limits = DocumentParsing.Limits()
    limits.maxDepth = 8
    limits.maxStringBytes = 48
    limits.maxNumberBytes = 24
    limits.maxRecordBytes = 400
    limits.maxCoordinatesPerRecord = 40
    return limits
}

/// The records the reader should give for the events of a validating parse: the annotation
/// fields, with the coordinates assembled.
func expectedRecords(_ events: [Event]) -> [Record] {
    var records: [Record] = []
    var polygons: [[Double]] = []
    var current: [Double] = []
    var boxes: [BoundingBox] = []
    var box: [Double] = []
    for event in events {
        switch event {
        case .record(let record, _):
            records.append(record)
        case .annotationStart:
            polygons = []; current = []; boxes = []; box = []
        case .coordinates(let kind, _, _, _, let values, let ends):
            let numbers = values.map(Double.init(bitPattern:))
            if kind == .segmentation {
                current += numbers
                if ends { polygons.append(current); current = [] }
            } else {
                box += numbers
                if ends {
                    if box.count == 4 { boxes.append(BoundingBox(x1: box[0], y1: box[1], x2: box[2], y2: box[3])) }
                    box = []
                }
            }
        case .annotationEnd(let fields, _):
            records.append(.annotation(Annotation(
                idKey: fields.idKey, imageKey: fields.imageKey, objectKey: fields.objectKey, iscrowd: fields.iscrowd,
                bbox: fields.bboxCount == nil ? nil : boxes,
                segmentation: fields.polygonCount == nil ? nil : Polygons(polygons), extra: fields.extra)))
        default:
            break
        }
    }
    return records
}

/// Threads of the process now (entries of /proc/self/task).
func threadCount() -> Int {
    guard let directory = opendir("/proc/self/task") else { return 0 }
    defer { closedir(directory) }
    var count = 0
    while let entry = readdir(directory) {
        if entry.pointee.d_name.0 != UInt8(ascii: ".") { count += 1 }
    }
    return count
}

/// The record reader (its own thread), validating: the problems and records it gives.
/// Its thread must be gone soon after the reader is: waits for that, so that the leak check
/// libFuzzer runs after each input does not see the thread's last references.
func readAll(_ bytes: UnsafeBufferPointer<UInt8>, options: DocumentParsing.Options) -> ([Record], [DocumentError], DocumentError?) {
    let threads = threadCount()
    defer {
        var waited = 0
        while threadCount() > threads {
            guard waited < 5_000 else { fail("the record reader's thread is still running 5 s after the reader ended", bytes) }
            usleep(1000)
            waited += 1
        }
    }
    // The visitor parse reads the document alone: so does the reader (a tabular document's
    // records artifact is a separate file, which a fuzz input does not have).
    var documentOnly = options
    documentOnly.recordsArtifact = .skip
    let reader = RecordReader(.bytes(Array(bytes)), options: RecordReader.Options(parser: documentOnly))
    var records: [Record] = []
    do {
        while let record = try reader.next() { records.append(record) }
        return (records, reader.problems, nil)
    } catch let error as DocumentError {
        return (records, reader.problems, error)
    } catch {
        fail("the record reader threw a non-DocumentError: \(error)", bytes)
    }
}

/// Writes `records` back as one AiCOCO document (sections in the order they came) and reads
/// it again: the same records must come back.
func writerRoundTrip(_ records: [Record], _ bytes: UnsafeBufferPointer<UInt8>) {
    var output: [UInt8] = []
    let writer = DocumentWriter(pretty: bytes.count % 2 == 0, sink: { output.append(contentsOf: $0) })
    do {
        try writer.writeDocument(records)
    } catch {
        fail("the writer refused valid records: \(error)", bytes)
    }
    let again = output.withUnsafeBufferPointer { readAll($0, options: DocumentParsing.Options(validate: true)) }
    guard again.2 == nil, again.1.isEmpty else {
        fail("the written document does not read back cleanly: \(String(describing: again.2)) \(again.1.prefix(3))", bytes)
    }
    guard again.0 == records else {
        fail("the written document reads back as \(again.0.count) records, not the same \(records.count)", bytes)
    }
}

/// How a writing subcommand's library call ended.
enum WriterVerdict {
    case success
    /// Refused the input: an `DocumentError` that is not an I/O error, or one of the documented
    /// "nothing to do" answers.
    case refused(String)
    /// Anything else: an internal error (e.g. the JSON writer refusing a number).
    case broken(String)
}

func verdict(_ body: () throws -> Void) -> WriterVerdict {
    do {
        try body()
        return .success
    } catch let error as DocumentError where error.kind != .io {
        return .refused("\(error.kind): \(error.message)")
    } catch let error as DocumentError {
        return .broken("\(error.kind): \(error.message)")
    } catch is NothingToDoForTabular {
        return .refused("tabular")
    } catch is DocumentFilter.NothingMatched {
        return .refused("nothing matched")
    } catch is DocumentAssembler.ArtifactNeeded {
        return .refused("artifact needed")
    } catch {
        return .broken("\(error)")
    }
}

/// Each writing subcommand's verdict on `bytes` against validate's (`valid`).
func compareWriters(_ bytes: UnsafeBufferPointer<UInt8>, options validating: DocumentParsing.Options, valid: Bool) {
    let document = Array(bytes)
    // As the visitor parse: the document alone (a fuzz input has no records artifact beside it).
    var options = validating
    options.recordsArtifact = .skip
    var lines: [UInt8] = []
    var linesComplete = false
    let writers: [(String, () throws -> Void)] = [
        ("convert --to coco", {
            _ = try COCOConverter(parserOptions: options, imageSize: (64, 64)).convert(.bytes(document), to: JSONWriter(sink: { _ in }))
        }),
        ("records", {
            let reader = RecordLines(.bytes(document), options: RecordReader.Options(parser: options), envelope: true)
            while try reader.next({ text, _ in lines.append(contentsOf: text) }) {}
            if let problem = reader.problems.first { throw problem }
            linesComplete = true
        }),
        ("filter", {
            let criteria = DocumentFilter.Criteria(indexRanges: [-Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude])
            _ = try DocumentFilter(criteria: criteria, parserOptions: options)
                .filter(passes: { .bytes(document) }, to: DocumentWriter(sink: { _ in }))
        }),
    ]
    for (name, body) in writers {
        let outcome = verdict(body)
        switch (valid, outcome) {
        case (_, .broken(let reason)):
            fail("\(name) failed with an internal error on a document validate calls \(valid ? "valid" : "invalid"): \(reason)", bytes)
        case (true, .refused(let reason)) where !reason.hasPrefix("limit") && reason != "tabular" && reason != "nothing matched":
            fail("\(name) refused a document validate calls valid: \(reason)", bytes)
        case (false, .success):
            fail("\(name) succeeded on a document validate rejects", bytes)
        default:
            break
        }
    }
    // assemble reads the lines `records` wrote back into a document: as valid as the input.
    guard valid, linesComplete, !lines.isEmpty else { return }
    let outcome = verdict {
        var assembleOptions = options
        assembleOptions.validate = true
        try DocumentAssembler(parserOptions: assembleOptions).assemble(.bytes(lines), to: DocumentWriter(sink: { _ in }))
    }
    switch outcome {
    case .success: break
    case .refused(let reason) where reason.hasPrefix("limit") || reason == "artifact needed": break
    case .refused(let reason), .broken(let reason):
        fail("assemble of the lines of a valid document failed: \(reason)", bytes)
    }
}

func fuzzOne(_ bytes: UnsafeBufferPointer<UInt8>) {
    let small = bytes.first.map { $0 & 1 == 1 } ?? false
    let options = DocumentParsing.Options(limits: small ? smallLimits() : DocumentParsing.Limits(), validate: true)
    let whole = parse(bytes, sizes: [], options: options)
    for case .problem(let error) in whole.events { checkPlace(error, bytes) }
    if let error = whole.error { checkPlace(error, bytes) }

    // Any split gives the same parse; 1-byte chunks split every token.
    for sizes in [chunkSizes(bytes), [1]] {
        let chunked = parse(bytes, sizes: sizes, options: options)
        guard chunked == whole else {
            fail("chunks \(sizes) give \(String(describing: chunked.error)) after \(chunked.events.count) events, whole: \(String(describing: whole.error)) after \(whole.events.count) events; first difference at event \(zip(chunked.events, whole.events).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(chunked.events.count, whole.events.count))", bytes)
        }
    }

    // Polygons read by the engine itself: exactly what yajl alone gives.
    var yajlOnly = options
    yajlOnly.readsPolygonsWithoutYajl = false
    let reference = parse(bytes, sizes: [], options: yajlOnly)
    guard reference == whole else {
        fail("the polygon scanner gives \(String(describing: whole.error)) after \(whole.events.count) events, yajl alone \(String(describing: reference.error)) after \(reference.events.count)", bytes)
    }

    // A strict parse (no validation) stops at a problem or earlier, never later.
    let strict = parse(bytes, sizes: [], options: DocumentParsing.Options(limits: options.limits))
    if whole.error == nil && whole.events.allSatisfy({ if case .problem = $0 { false } else { true } }) {
        guard strict.error == nil else { fail("valid when validating, strict parse says \(strict.error!)", bytes) }
    } else if let error = strict.error {
        checkPlace(error, bytes)
    }

    // The record reader, validating, sees the same problems and gives the records the visitor saw.
    let (records, problems, error) = readAll(bytes, options: options)
    if let error { checkPlace(error, bytes) }
    let expected = expectedRecords(whole.events)
    let coordinateLimitHit = error?.message.contains("maxCoordinatesPerRecord") == true
    if !coordinateLimitHit {
        guard problems == Recorder(events: whole.events).problems, error == whole.error else {
            fail("record reader: \(problems.count) problems, error \(String(describing: error)); visitor: \(Recorder(events: whole.events).problems.count) problems, error \(String(describing: whole.error))", bytes)
        }
        guard records == expected else {
            fail("record reader gave \(records.count) records, the visitor's events \(expected.count)", bytes)
        }
    } else {
        guard records.count <= expected.count, Array(expected.prefix(records.count)) == records else {
            fail("record reader records are not a prefix of the visitor's", bytes)
        }
    }
    if error == nil && problems.isEmpty { writerRoundTrip(records, bytes) }

    let valid = whole.error == nil && Recorder(events: whole.events).problems.isEmpty
    compareWriters(bytes, options: options, valid: valid)
    checkSplit(bytes)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzOne(UnsafeBufferPointer(start: data, count: size))
    return 0
}

/// libFuzzer's driver (in the fuzzer runtime that -sanitize=fuzzer links).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM makes an executable's entry point `<module>_main` and points `main` at it, which
/// shadows libFuzzer's own `main`: start libFuzzer's driver from here instead.
@_cdecl("AiCOCOFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in LLVMFuzzerTestOneInput(data, size) }
}
