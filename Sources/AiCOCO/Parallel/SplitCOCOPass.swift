/// The pass of `convert --to coco` over a big regular file, its `annotations` split among
/// threads (`SplitPoints`): each worker spills a stretch's annotations into memory as the
/// one-thread pass spills them (`COCOConverter.SpillingAnnotations`), and the calling thread
/// appends them to the spill in file order (`runInOrder`), so the spill holds the same
/// annotations in the same order, and the output is the same bytes.
///
/// The calling thread reads the skeleton as `SplitRecordLines` does: the file up to the first
/// cut, a placeholder annotation (which confirms the first cut), the stretches' ids given to
/// its reference tables in order, then the file from the last cut. Workers validate without
/// reference tables. Nothing is written before the whole input is read, so any problem,
/// error or unconfirmed cut just gives nil: the caller reads the file again in order, with a
/// new catalog and spill, which places the problem.
final class SplitCOCOPass: @unchecked Sendable {
    private let file: PositionalFile
    private let commas: [Int]
    private let threads: Int
    private let options: DocumentParsing.Options
    private let pretty: Bool

    init(file: PositionalFile, points: SplitPoints, threads: Int, options: DocumentParsing.Options, pretty: Bool) {
        self.file = file
        commas = points.commas
        self.threads = threads
        self.options = options
        self.pretty = pretty
    }

    /// What the skeleton's pass notes: its problems, and whether the placeholder annotation,
    /// while it is read, was the only annotation read (and not spilled).
    final class Skeleton {
        var problems: [DocumentError] = []
        var watchesPlaceholder = false
        var watchedEnds = 0, placeholderSeen = false
    }

    /// A worker's spill of stretch `index`; nil when it is not confirmed or had a problem.
    private func spill(_ index: Int) -> SpilledStretch? {
        var options = self.options
        options.checksReferences = false
        guard let spill = try? COCOConverter.AnnotationSpill(pretty: pretty, inMemory: true) else { return nil }
        let part = SpilledStretch(annotations: COCOConverter.SpillingAnnotations(
            spill: spill, maxCoordinates: options.limits.maxCoordinatesPerRecord))
        var parser = DocumentParser(visitor: StretchVisitor(part: part, handOver: { _ in }), options: options)
        let range = (commas[index] + 1)..<commas[index + 1]
        guard readStretch(range, of: file, with: &parser, stop: { false }),
              (try? spill.finishInMemory()) != nil else { return nil }
        return parser.visitor.part
    }

    /// Runs the pass with `pass` (new, collecting its problems); the pass when the whole input
    /// was read with no problem, else nil.
    func run(_ pass: COCOConverter.Pass, input: DocumentSource, progress: ((Int) -> Void)?) throws -> COCOConverter.Pass? {
        var pass = pass
        let skeleton = Skeleton()
        pass.skeleton = skeleton
        let spill = pass.annotations.spill
        var parser = DocumentParser(visitor: pass, options: options)
        /// Feeds `range` of the file block by block while there is no problem.
        func feed(_ range: Range<Int>) throws -> Bool {
            var offset = range.lowerBound
            return try file.readBlocks(range) { block in
                try parser.feed(block)
                offset += block.count
                progress?(offset)
                return skeleton.problems.isEmpty
            }
        }
        let placeholder = SplitParse<AnnotationCounts>.placeholder
        let placeholderStart = commas[0] + 1
        guard try feed(0..<placeholderStart) else { return nil }
        // The placeholder, read whole then and there as the only annotation, confirms the first cut.
        skeleton.watchesPlaceholder = true
        try parser.feed(placeholder)
        skeleton.watchesPlaceholder = false
        guard skeleton.placeholderSeen, skeleton.watchedEnds == 1, skeleton.problems.isEmpty,
              parser.bytesFed == placeholderStart + placeholder.count, let checker = parser.referenceChecker else { return nil }
        var confirmed = true
        runInOrder(count: commas.count - 1, threads: threads, work: { self.spill($0) }, emit: { index, stretch in
            guard let stretch, stretch.ids.check(in: checker),
                  (try? spill.append(stretch.annotations.spill)) != nil else {
                confirmed = false
                return false
            }
            progress?(commas[index + 1])
            return true
        })
        guard confirmed, try feed((commas[commas.count - 1] + 1)..<file.size) else { return nil }
        try parser.finish(readingRecordsArtifactOf: input)
        // The placeholder's own references are the only problems expected at the end.
        let placeholderRange = placeholderStart..<(placeholderStart + placeholder.count)
        guard skeleton.problems.allSatisfy({ problem in
            problem.kind == .reference && placeholderRange.contains(problem.location.offset)
                && SplitRecordLines.placeholderProblems.contains(problem.message)
        }) else { return nil }
        var done = parser.visitor
        done.skeleton = nil
        return done
    }
}

/// A worker's part of the split COCO pass: a stretch's annotations spilled into memory, and
/// their ids (`StretchIDs`) for the skeleton's tables.
struct SpilledStretch: AnnotationPart, @unchecked Sendable {
    var annotations: COCOConverter.SpillingAnnotations
    private(set) var ids = StretchIDs()

    init(annotations: COCOConverter.SpillingAnnotations) {
        self.annotations = annotations
    }

    /// Handed over whole, at the end of the stretch.
    var isFull: Bool { false }

    mutating func visitAnnotationStart(index: Int) throws { annotations.start() }

    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws { try annotations.add(chunk) }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        ids.note(fields)
        try annotations.end(fields)
    }
}

extension COCOConverter {
    /// The pass over `input` split among `split.threads` threads when it is a big regular file
    /// (see `SplitCOCOPass`): the pass `makePass()` gave, when read to the end with no problem;
    /// nil when the caller must read the input in order with a new pass. `pretty`: the output's.
    func passSplitting(_ input: DocumentSource, options: DocumentParsing.Options, pretty: Bool, makePass: () throws -> Pass,
                       progress: ((Int) -> Void)?) throws -> Pass? {
        // Stretches of at most 1 MiB: their spills are held until appended (2 stretches a thread).
        guard let (file, points) = try? splitCandidate(input, split: split, maxStretchBytes: 1 << 20) else { return nil }
        let run = SplitCOCOPass(file: file, points: points, threads: split.threads, options: options, pretty: pretty)
        return try? run.run(makePass(), input: input, progress: progress)
    }
}
