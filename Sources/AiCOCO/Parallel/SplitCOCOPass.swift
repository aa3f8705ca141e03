/// The pass of `convert --to coco` over a big regular file, its `annotations` split among
/// threads (`SplitPoints`): each worker spills a stretch's annotations into memory as the
/// one-thread pass spills them (`COCOConverter.SpillingAnnotations`), and the calling thread
/// appends them to the spill in file order (`runInOrder`), so the spill holds the same
/// annotations in the same order, and the output is the same bytes.
///
/// The calling thread reads the skeleton (`SkeletonPass`), giving the stretches' ids to its
/// reference tables in order; workers validate without reference tables. Any problem, error or
/// unconfirmed cut gives nil: the caller reads the file again in order, with a new catalog and
/// spill, which places the problem.
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
        let spill = pass.annotations.spill
        let skeleton = SkeletonPass(file: file, commas: commas, threads: threads, options: options)
        return try skeleton.run(pass, input: input, progress: progress, work: { self.spill($0) }, take: { stretch, checker in
            stretch.ids.check(in: checker) && (try? spill.append(stretch.annotations.spill)) != nil
        })
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
