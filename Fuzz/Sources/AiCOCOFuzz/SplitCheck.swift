// The invariant of the split parse (`--threads`): the input, parsed with its `annotations`
// split among 2 threads at guessed record boundaries (stretches of a few bytes, so that every
// guess is tried), gives exactly what one parser gives: the events other than annotations in
// order, the annotations' totals, the document's form, and the error with its place.
@_spi(Testing) import AiCOCO

#if canImport(Glibc)
import Glibc
#endif

/// Each annotation's events as one text (the split reads annotations in no set order).
struct SplitTotals: AnnotationPart, Equatable {
    var records: [String] = []
    var current = ""
    var isFull: Bool { records.count >= 2 }

    mutating func visitAnnotationStart(index: Int) throws { current = "start;" }
    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        current += "\(chunk.kind) \(chunk.polygonIndex) \(chunk.offset) \(chunk.bitPatterns) \(chunk.endsPolygon);"
    }
    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        records.append(current + "\(fields)")
        current = ""
    }
    mutating func visitAnnotationDropped(index: Int) throws {
        records.append(current + "dropped")
        current = ""
    }
}

/// Everything but annotations in order, the annotations as a multiset.
struct SplitRecorder: SplittableVisitor {
    var events: [String] = []
    var annotations = SplitTotals()

    func makePart() -> SplitTotals { SplitTotals() }
    mutating func absorb(_ part: SplitTotals) throws { annotations.records += part.records }

    mutating func visitSectionStart(_ section: Section) throws { events.append("start \(section)") }
    mutating func visitSectionEnd(_ section: Section, count: Int) throws {
        events.append("end \(section)" + (section == .annotations ? "" : " \(count)"))
    }
    mutating func visit(_ record: Record, index: Int) throws { events.append("\(index) \(record)") }
    mutating func visitAnnotationStart(index: Int) throws { try annotations.visitAnnotationStart(index: index) }
    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws { try annotations.visitCoordinates(chunk) }
    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        try annotations.visitAnnotationEnd(fields, index: index)
    }
    mutating func visitAnnotationDropped(index: Int) throws { try annotations.visitAnnotationDropped(index: index) }

    var summary: String {
        events.joined(separator: "\n") + "\n" + annotations.records.sorted().joined(separator: "\n")
    }
}

func splitOutcome(_ path: String, threads: Int, stretch: Int, options: DocumentParsing.Options) -> String {
    var split = SplitOptions(threads: threads)
    split.stretchBytes = stretch
    split.minimumBytes = 0
    do {
        let result = try parseSplitting(.file(path), visitor: SplitRecorder(), options: options, split: split)
        return "\(result.visitor.summary) \(String(describing: result.documentForm)) \(result.nonFiniteCounts) \(result.bytesRead)"
    } catch {
        return "error \(error)"
    }
}

/// Checks the split parse of `bytes` against the one-thread parse.
func checkSplit(_ bytes: UnsafeBufferPointer<UInt8>) {
    let path = "/tmp/aicoco-fuzz-split-\(getpid()).json"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return }
    var written = 0
    while written < bytes.count {
        let count = write(fd, bytes.baseAddress! + written, bytes.count - written)
        if count <= 0 { break }
        written += count
    }
    close(fd)
    defer { unlink(path) }
    var options = DocumentParsing.Options()
    options.allowNonFinite = (bytes.last ?? 0) & 1 == 1
    let threadsBefore = threadCount()
    let one = splitOutcome(path, threads: 1, stretch: 1 << 20, options: options)
    let stretches = [1 + Int(bytes.first ?? 0) % 64, 300]
    for stretch in stretches {
        let many = splitOutcome(path, threads: 2, stretch: stretch, options: options)
        guard many == one else { fail("split parse (stretches of \(stretch) bytes) differs:\n\(many)\none thread:\n\(one)", bytes) }
    }
    // `validate` and `records` as the CLI runs them, validating (small limits on some inputs).
    var validating = options
    validating.validate = true
    if (bytes.first ?? 0) & 2 == 2 { validating.limits = smallLimits() }
    let report = oneThreadReport(path, options: validating)
    let views: [(envelope: Bool, sections: Set<Section>)] = [(true, []), (false, [.annotations])]
    let lines = views.map { oneThreadLines(path, options: validating, envelope: $0.envelope, sections: $0.sections) }
    for stretch in stretches {
        var split = SplitOptions(threads: 2)
        split.stretchBytes = stretch
        split.minimumBytes = 0
        checkValidateSplit(path, options: validating, split: split, against: report, bytes)
        for (view, one) in zip(views, lines) {
            checkRecordsSplit(path, options: validating, view: view, split: split, against: one, bytes)
        }
    }
    // The workers' threads end right after they have handed everything over: wait for that, so
    // that the leak check after this input does not see their last references.
    var spins = 0
    while threadCount() > threadsBefore && spins < 10_000 {
        usleep(100)
        spins += 1
    }
}

extension CoordinateChunk {
    /// The chunk's numbers as bit patterns, for exact comparison.
    var bitPatterns: [UInt64] {
        var patterns: [UInt64] = []
        forEach { patterns.append($0.bitPattern) }
        return patterns
    }
}

/// `validate --threads 1`'s report on `path`: its problems and error (message and place), the
/// document's form and the bytes read.
func oneThreadReport(_ path: String, options: DocumentParsing.Options) -> String {
    var parser = DocumentParser(visitor: ProblemList(), options: options)
    var ending = "read"
    do {
        try parser.parse(.file(path))
    } catch {
        ending = "error \(error)"
    }
    return "\(parser.visitor.problems) \(ending) \(String(describing: parser.documentForm)) \(parser.bytesFed)"
}

/// Every problem a validating parse finds, with its place.
struct ProblemList: DocumentVisitor {
    var problems: [String] = []
    mutating func visitProblem(_ error: DocumentError) throws { problems.append("\(error)") }
}

/// `validate --threads 2` (Sources/aicoco/Validate.swift): `checkSplitting`'s verdict when it
/// gives one, else the one-thread report. A verdict from the split must be the one-thread
/// report of a document with no problem: same form, same bytes.
func checkValidateSplit(_ path: String, options: DocumentParsing.Options, split: SplitOptions,
                        against report: String, _ bytes: UnsafeBufferPointer<UInt8>) {
    let outcome: (form: DocumentForm?, bytes: Int)?
    do {
        outcome = try SplitTesting.check(.file(path), options: options, split: split)
    } catch {
        fail("validate split among threads threw \(error); one thread: \(report)", bytes)
    }
    guard let outcome else { return }
    let expected = "[] read \(String(describing: outcome.form)) \(outcome.bytes)"
    guard expected == report else {
        fail("validate split among threads (stretches of \(split.stretchBytes) bytes) says \(expected); one thread: \(report)", bytes)
    }
}

/// `records --threads 1`'s output (Sources/aicoco/Records.swift): the lines of the records
/// that end before the first problem, then the verdict (the problem or error, with its place).
func oneThreadLines(_ path: String, options: DocumentParsing.Options, envelope: Bool,
                    sections: Set<Section>) -> (lines: [UInt8], verdict: String) {
    let reader = RecordLines(.file(path), options: RecordReader.Options(parser: options), envelope: envelope, sections: sections)
    var output: [UInt8] = []
    var stopped = false
    do {
        while !stopped, try reader.next({ lines, _ in
            var lines = lines
            if reader.problemCount > 0 {
                stopped = true
                lines = UnsafeRawBufferPointer(rebasing: lines.prefix(reader.bytesBeforeFirstProblem))
            }
            output.append(contentsOf: lines)
        }) {}
    } catch {
        return (output, "error \(error)")
    }
    return (output, reader.problems.first.map { "problem \($0)" } ?? "valid")
}

/// `records --threads 2`: the lines `writeRecordLinesSplitting` writes, then (when it did not
/// write them all) the one-thread lines after those bytes, must be the one-thread output, and
/// a split that wrote everything must be of a document with no problem.
func checkRecordsSplit(_ path: String, options: DocumentParsing.Options, view: (envelope: Bool, sections: Set<Section>),
                       split: SplitOptions, against one: (lines: [UInt8], verdict: String), _ bytes: UnsafeBufferPointer<UInt8>) {
    var written: [UInt8] = []
    let done: Int?
    do {
        done = try SplitTesting.writeLines(.file(path), options: RecordReader.Options(parser: options), envelope: view.envelope,
                                              sections: view.sections, split: split, write: { written.append(contentsOf: $0) })
    } catch {
        fail("records split among threads threw \(error); one thread: \(one.verdict)", bytes)
    }
    let name = "records \(view.sections.isEmpty ? "" : "--section annotations ")split among threads (stretches of \(split.stretchBytes) bytes)"
    guard let done else {
        guard one.verdict == "valid", written == one.lines else {
            fail("\(name) wrote \(written.count) bytes as valid; one thread \(one.lines.count) bytes, \(one.verdict)", bytes)
        }
        return
    }
    guard done == written.count, done <= one.lines.count, one.lines.prefix(done).elementsEqual(written) else {
        fail("\(name) stopped after \(done) bytes (\(written.count) written) that are not the start of the one-thread \(one.lines.count) bytes", bytes)
    }
}
