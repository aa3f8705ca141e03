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
    for stretch in [1 + Int(bytes.first ?? 0) % 64, 300] {
        let many = splitOutcome(path, threads: 2, stretch: stretch, options: options)
        guard many == one else { fail("split parse (stretches of \(stretch) bytes) differs:\n\(many)\none thread:\n\(one)", bytes) }
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
