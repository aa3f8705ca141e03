/// A split parse whose workers' parts reach the visitor in file order (see `parseSplittingInOrder`).
///
/// The calling thread reads the skeleton as `SplitParse` does (the file up to the first cut, its
/// placeholder record, then the file from the last cut), and between the placeholder and the
/// tail it gives the visitor each stretch's parts once every stretch before it was given, taking
/// stretches itself when there is room (`OrderedPool`). Workers parse stretches (`parseStretch`)
/// while fewer than `2 * threads` are taken and not yet given: those parts are all that is held.
final class OrderedSplitParse<Part: AnnotationPart>: @unchecked Sendable {
    /// The skeleton's state and the stretches' parser.
    let run: SplitParse<Part>

    /// The stretches: taken in order by the workers and the calling thread, their parts given
    /// in file order; at most `2 * threads` taken and not yet given.
    private let pool: OrderedPool<[Part]>

    init(run: SplitParse<Part>) {
        self.run = run
        pool = OrderedPool(count: run.stretchCount, window: 2 * run.threads)
    }

    /// Stops the workers soon (the stretch being read too).
    private func stop() {
        run.fail()
        pool.stop()
    }

    /// Stops the workers and waits until the `count` started have ended.
    private func stopAndWait(forWorkers count: Int) {
        run.fail()
        pool.stopAndWait(forWorkers: count)
    }

    /// The parts of stretch `index`, read by a parser of its own; nil when it is not confirmed.
    private func parse(_ index: Int) -> [Part]? {
        var parts: [Part] = []
        let range = (run.commas[index] + 1)..<run.commas[index + 1]
        return run.parseStretch(range, handOver: { parts.append($0) }) ? parts : nil
    }

    /// A worker: parses stretches while there are some and room for their parts.
    private func serve() {
        while let index = pool.take() {
            guard let parts = parse(index) else { return stop() }
            pool.post(parts, at: index)
        }
    }

    /// Gives `visitor` every stretch's parts in file order, parsing stretches when there is
    /// room (the skeleton's parser calls it before the first annotation after the placeholder).
    /// Throws `StretchFailed` when a stretch was not confirmed, and what the visitor throws.
    func absorbStretches<Visitor: SplittableVisitor>(into visitor: inout Visitor) throws where Visitor.Part == Part {
        pending = false
        while true {
            switch pool.nextStep(callerWorks: true) {
            case .handOver(let index, let parts):
                for part in parts { try visitor.absorb(part) }
                progress?(run.commas[index + 1])
            case .work(let index):
                guard let parts = parse(index) else { throw StretchFailed() }
                pool.post(parts, at: index)
            case .finished:
                guard !run.failed, pool.allHandedOver else { throw StretchFailed() }
                return
            }
        }
    }

    /// The stretches wait for the first annotation after the placeholder.
    fileprivate(set) var pending = false
    private var progress: ((Int) -> Void)?

    /// Runs the parse into `visitor`; true when the whole input was read, false when the caller
    /// must read it again in order. Throws only what the visitor throws.
    func parse<Visitor: SplittableVisitor>(into visitor: inout Visitor, input: DocumentSource,
                                           progress: ((Int) -> Void)?) throws -> Bool where Visitor.Part == Part {
        self.progress = progress
        // Workers while they can be started, no more than the stretches.
        let started = (1..<min(run.threads, run.stretchCount + 1)).prefix { _ in
            (try? startDetachedThread { self.serve(); self.pool.workerEnded() }) != nil
        }.count
        defer { stopAndWait(forWorkers: started) }
        let ordered = OrderedVisitor(inner: visitor, order: self)
        var parser = DocumentParser(visitor: SkeletonVisitor(inner: ordered, run: run), options: run.options)
        defer { visitor = parser.visitor.inner.inner }
        do {
            return try readSkeleton(&parser, input: input)
        } catch is DocumentError {
            return false
        } catch is StretchFailed {
            return false
        }
    }

    /// Reads the file up to the first cut, the placeholder, then the file from the last cut
    /// (whose first annotation has the stretches absorbed first); false when a cut was wrong.
    private func readSkeleton<Visitor: SplittableVisitor>(
        _ parser: inout DocumentParser<SkeletonVisitor<OrderedVisitor<Visitor>>>, input: DocumentSource
    ) throws -> Bool where Visitor.Part == Part {
        func feed(_ range: Range<Int>) throws -> Bool {
            var offset = range.lowerBound
            return try run.file.readBlocks(range) { block in
                try parser.feed(block)
                offset += block.count
                progress?(offset)
                return true
            }
        }
        let placeholder = SplitParse<Part>.placeholder
        guard try feed(0..<(run.commas[0] + 1)) else { return false }
        run.expectingPlaceholder = true
        try parser.feed(placeholder)
        run.expectingPlaceholder = false
        // The placeholder was read whole, then and there: the first cut is between two records.
        guard run.placeholderSeen, parser.bytesFed == run.commas[0] + 1 + placeholder.count else { return false }
        pending = true
        guard try feed((run.commas[run.stretchCount] + 1)..<run.file.size), !pending else { return false }
        try parser.finish(readingRecordsArtifactOf: input)
        return true
    }
}

/// A stretch was not confirmed (or the split stopped): the input is read again in order.
struct StretchFailed: Error {}

/// The caller's visitor inside the skeleton's parser (see `OrderedSplitParse`): before the
/// first annotation after the placeholder, it absorbs every stretch's parts, in file order.
struct OrderedVisitor<Inner: SplittableVisitor>: SplittableVisitor {
    var inner: Inner
    unowned let order: OrderedSplitParse<Inner.Part>

    func makePart() -> Inner.Part { inner.makePart() }

    mutating func absorb(_ part: Inner.Part) throws {
        try inner.absorb(part)
    }

    mutating func visitSectionStart(_ section: Section) throws {
        try inner.visitSectionStart(section)
    }

    mutating func visitSectionEnd(_ section: Section, count: Int) throws {
        try inner.visitSectionEnd(section, count: count)
    }

    mutating func visit(_ record: Record, index: Int) throws {
        try inner.visit(record, index: index)
    }

    mutating func visitAnnotationStart(index: Int) throws {
        if order.pending { try order.absorbStretches(into: &inner) }
        try inner.visitAnnotationStart(index: index)
    }

    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        try inner.visitCoordinates(chunk)
    }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        try inner.visitAnnotationEnd(fields, index: index)
    }

    mutating func visitAnnotationDropped(index: Int) throws {
        try inner.visitAnnotationDropped(index: index)
    }
}

/// Parses `input` into `visitor` like `parseSplitting`, the long `annotations` array of a big
/// regular file split among `split.threads` threads, but in file order: the visitor sees the
/// records and annotations before the split, then absorbs the workers' parts stretch by
/// stretch in file order (each stretch's parts in its order), then sees the rest. At most
/// `2 * split.threads` stretches of at most `maxStretchBytes` are parsed ahead.
///
/// Returns nil when the input is not worth splitting (the visitor saw nothing: read it in
/// order), true when it was read to the end, and false when the caller must read it again in
/// order (a cut not confirmed, a problem, an error): the visitor has then seen, in file order,
/// a prefix of what the one-thread parse gives it, which the caller skips. Throws only what the
/// visitor throws.
package func parseSplittingInOrder<Visitor: SplittableVisitor>(
    _ input: DocumentSource, visitor: inout Visitor, options: DocumentParsing.Options, split: SplitOptions,
    maxStretchBytes: Int = 2 << 20, progress: ((Int) -> Void)? = nil
) throws -> Bool? {
    guard !options.validate,
          let (file, points) = try? splitCandidate(input, split: split, maxStretchBytes: maxStretchBytes) else { return nil }
    let run = SplitParse(file: file, points: points, threads: split.threads, options: options, part: visitor.makePart())
    return try OrderedSplitParse(run: run).parse(into: &visitor, input: input, progress: progress)
}
