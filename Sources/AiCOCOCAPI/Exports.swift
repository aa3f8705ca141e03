// The functions of include/aicoco.h (CAiCOCOABI), exported with C names.
import AiCOCO
import CAiCOCOABI

public typealias ErrorOut = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?

@_cdecl("aicoco_abi_version")
public func aicocoABIVersion() -> Int32 { Int32(AICOCO_ABI_VERSION) }

@_cdecl("aicoco_free")
public func aicocoFree(_ pointer: UnsafeMutableRawPointer?) { CoordinatePool.shared.give(pointer) }

@_cdecl("aicoco_stats")
public func aicocoStats(_ path: UnsafePointer<CChar>?, _ fd: Int32, _ bytes: UnsafePointer<UInt8>?, _ length: Int64,
                        _ memoryLimit: Int64, _ progress: aicoco_progress?, _ context: UnsafeMutableRawPointer?,
                        _ error: ErrorOut) -> UnsafeMutablePointer<CChar>? {
    let input = cInput(path, fd, bytes, length)
    let options = cOptions(memoryLimit: memoryLimit, validate: false)
    var throttle = ProgressThrottle(progress, context, input: input)
    let start = monotonicSeconds()
    var parser = DocumentParser(visitor: SectionCounts(memoryLimit: options.memoryLimit), options: options)
    do {
        try parser.parse(input) { try throttle.update($0) }
        try throttle.finish(parser.bytesFed)
        var counts = parser.visitor
        try counts.finish(form: parser.documentForm, nonFinite: parser.nonFiniteCounts)
        let elapsed = monotonicSeconds() - start
        let rate = elapsed > 0 ? Double(parser.bytesFed) / elapsed / 1e6 : 0
        var text = ""
        try counts.writeJSON(bytes: parser.bytesFed, elapsed: JSONText.number((elapsed * 1000).rounded() / 1000),
                             rate: JSONText.number((rate * 10).rounded() / 10)) { text += $0 }
        return mallocString(text)
    } catch let failure {
        setError(error, failure)
        return nil
    }
}

@_cdecl("aicoco_validate")
public func aicocoValidate(_ path: UnsafePointer<CChar>?, _ fd: Int32, _ bytes: UnsafePointer<UInt8>?, _ length: Int64,
                           _ displayName: UnsafePointer<CChar>?, _ maxErrors: Int64, _ strict: Int32,
                           _ memoryLimit: Int64, _ progress: aicoco_progress?, _ context: UnsafeMutableRawPointer?,
                           _ error: ErrorOut) -> UnsafeMutablePointer<CChar>? {
    let input = cInput(path, fd, bytes, length)
    let name = displayName.map { String(cString: $0) } ?? (path.map { String(cString: $0) } ?? "-")
    var throttle = ProgressThrottle(progress, context, input: input)
    var options = cOptions(memoryLimit: memoryLimit, validate: true)
    options.strict = strict != 0
    var parser = DocumentParser(visitor: ProblemCollector(limit: max(Int(maxErrors), 0)), options: options)
    var collector: ProblemCollector
    do {
        do {
            try parser.parse(input) { try throttle.update($0) }
            collector = parser.visitor
        } catch let failure as DocumentError where failure.kind != .io {
            collector = parser.visitor
            collector.add(failure)
        }
        try throttle.finish(parser.bytesFed)
    } catch let failure {
        setError(error, failure)
        return nil
    }
    return mallocString(collector.json(file: name, bytes: parser.bytesFed, form: parser.documentForm))
}

@_cdecl("aicoco_annotations_open")
public func aicocoAnnotationsOpen(_ path: UnsafePointer<CChar>?, _ fd: Int32, _ bytes: UnsafePointer<UInt8>?,
                                  _ length: Int64, _ batchValues: Int64, _ validate: Int32, _ resolve: Int32,
                                  _ memoryLimit: Int64, _ threads: Int32, _ splitBytes: Int64,
                                  _ error: ErrorOut) -> UnsafeMutableRawPointer? {
    guard let input = openableInput(path, fd, bytes, length, error) else { return nil }
    let options = cOptions(memoryLimit: memoryLimit, validate: validate != 0)
    let catalog = resolve != 0 ? ResolutionCatalog(memoryLimit: options.memoryLimit) : nil
    let settings = BatchSettings(batchValues: Int(batchValues), options: options, catalog: catalog,
                                 threads: Int(threads), splitBytes: Int(splitBytes))
    let channel = BatchChannel(settings: settings)
    channel.startPass(input)
    return Unmanaged.passRetained(channel).toOpaque()
}

/// The input of the C arguments, or nil (and `error`) when it is a file that cannot be opened.
private func openableInput(_ path: UnsafePointer<CChar>?, _ fd: Int32, _ bytes: UnsafePointer<UInt8>?, _ length: Int64,
                           _ error: ErrorOut) -> DocumentSource? {
    let input = cInput(path, fd, bytes, length)
    if case .file(let name) = input, let reason = unreadableReason(name) {
        setError(error, DocumentError(kind: .io, message: "cannot open \(name): \(reason)",
                                    path: "$", location: SourceLocation(offset: 0, line: 0, column: 0)))
        return nil
    }
    return input
}

@_cdecl("aicoco_annotations_reread")
public func aicocoAnnotationsReread(_ reader: UnsafeMutableRawPointer, _ path: UnsafePointer<CChar>?, _ fd: Int32,
                                    _ bytes: UnsafePointer<UInt8>?, _ length: Int64, _ error: ErrorOut) -> Int32 {
    let channel = Unmanaged<BatchChannel>.fromOpaque(reader).takeUnretainedValue()
    guard channel.needsRereading else {
        setError(error, DocumentError(kind: .io, message: "aicoco_annotations_reread: the reader did not ask to read the input again",
                                    path: "$", location: SourceLocation(offset: 0, line: 0, column: 0)))
        return -1
    }
    guard let input = openableInput(path, fd, bytes, length, error) else { return -1 }
    channel.startPass(input)
    return 0
}

@_cdecl("aicoco_annotations_next")
public func aicocoAnnotationsNext(_ reader: UnsafeMutableRawPointer, _ batch: UnsafeMutablePointer<aicoco_batch>,
                                  _ error: ErrorOut) -> Int32 {
    let channel = Unmanaged<BatchChannel>.fromOpaque(reader).takeUnretainedValue()
    do {
        guard let next = try channel.next() else { return channel.needsRereading ? 2 : 0 }
        batch.pointee = next
        return 1
    } catch let failure {
        setError(error, failure)
        return -1
    }
}

@_cdecl("aicoco_batch_free")
public func aicocoBatchFree(_ batch: UnsafeMutablePointer<aicoco_batch>?) {
    guard let batch else { return }
    freeBatch(batch.pointee)
}

@_cdecl("aicoco_annotations_close")
public func aicocoAnnotationsClose(_ reader: UnsafeMutableRawPointer?) {
    guard let reader else { return }
    let channel = Unmanaged<BatchChannel>.fromOpaque(reader).takeRetainedValue()
    channel.close()
}

/// A records reader, whether it has stopped, the error to report once its lines are out, and
/// the caller's progress callback.
final class RecordsReader {
    let lines: RecordLines
    var done = false
    var pending: Error?
    var throttle: ProgressThrottle
    init(_ lines: RecordLines, throttle: ProgressThrottle) {
        self.lines = lines
        self.throttle = throttle
    }
}

@_cdecl("aicoco_records_open")
public func aicocoRecordsOpen(_ path: UnsafePointer<CChar>?, _ fd: Int32, _ bytes: UnsafePointer<UInt8>?,
                              _ length: Int64, _ sections: UnsafePointer<CChar>?, _ envelope: Int32,
                              _ memoryLimit: Int64, _ progress: aicoco_progress?, _ context: UnsafeMutableRawPointer?,
                              _ error: ErrorOut) -> UnsafeMutableRawPointer? {
    var wanted = Set<Section>()
    for name in (sections.map { String(cString: $0) } ?? "").split(separator: ",") {
        guard let section = Section(rawValue: String(name)) else {
            setError(error, DocumentError(kind: .io, message: "no section is named \"\(name)\"; sections: "
                                        + Section.allCases.map(\.rawValue).joined(separator: ", "),
                                        path: "$", location: SourceLocation(offset: 0, line: 0, column: 0)))
            return nil
        }
        wanted.insert(section)
    }
    let options = RecordReader.Options(parser: cOptions(memoryLimit: memoryLimit, validate: true))
    let input = cInput(path, fd, bytes, length)
    let lines = RecordLines(input, options: options, envelope: envelope != 0, sections: wanted)
    let reader = RecordsReader(lines, throttle: ProgressThrottle(progress, context, input: input))
    return Unmanaged.passRetained(reader).toOpaque()
}

@_cdecl("aicoco_records_next")
public func aicocoRecordsNext(_ reader: UnsafeMutableRawPointer, _ lines: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>,
                              _ length: UnsafeMutablePointer<Int64>, _ error: ErrorOut) -> Int32 {
    let reader = Unmanaged<RecordsReader>.fromOpaque(reader).takeUnretainedValue()
    var buffer = MallocBuffer<UInt8>(capacity: 1 << 16)
    // Batches until some lines are ready (a batch may hold records of sections not asked for).
    // As `aicoco records`: at the first problem, the lines of the records that end before it.
    while !reader.done && buffer.count == 0 {
        do {
            var problem = false
            let more = try reader.lines.next { bytes, _ in
                if reader.lines.problemCount > 0 {
                    problem = true
                    let before = UnsafeRawBufferPointer(rebasing: bytes.prefix(reader.lines.bytesBeforeFirstProblem))
                    buffer.append(contentsOf: before.bindMemory(to: UInt8.self))
                    return
                }
                buffer.append(contentsOf: bytes.bindMemory(to: UInt8.self))
            }
            try reader.throttle.update(reader.lines.bytesRead)
            // A reference is resolved at the end of the document: its problem comes last.
            if problem || !more {
                if !more { try reader.throttle.finish(reader.lines.bytesRead) }
                reader.done = true
                if reader.lines.problemCount > 0 { reader.pending = reader.lines.problems[0] }
            }
        } catch let failure {
            reader.done = true
            reader.pending = failure
            // Stopped by the callback: at once, without the lines read.
            if failure is ProgressStopped { buffer.truncate(to: 0) }
        }
    }
    if buffer.count > 0 {
        length.pointee = Int64(buffer.count)
        lines.pointee = buffer.pointer
        return 1
    }
    buffer.free()
    if let pending = reader.pending {
        reader.pending = nil
        reader.lines.cancel()
        setError(error, pending)
        return -1
    }
    return 0
}

@_cdecl("aicoco_records_close")
public func aicocoRecordsClose(_ reader: UnsafeMutableRawPointer?) {
    guard let reader else { return }
    let records = Unmanaged<RecordsReader>.fromOpaque(reader).takeRetainedValue()
    records.lines.cancel()
}
