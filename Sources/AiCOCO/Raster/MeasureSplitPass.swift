/// The reading pass of `measure` over a big regular file, its `annotations` split among threads
/// (`SplitPoints`), as `SplitCOCOPass` does for `convert --to coco`: each worker parses and
/// validates a stretch (without reference tables) and encodes its annotations' contours as the
/// one-thread pass does (`ContourEncoder`), and the calling thread gives their ids to its
/// reference tables and their contours to the spill in file order, so the spill holds the same
/// payloads in the same order and the output is the same bytes. The calling thread itself reads
/// only the skeleton: the file up to the first cut, a placeholder annotation (which confirms the
/// first cut), then, after the stretches, the file from the last cut.
///
/// Nothing is written before the whole input is read, so any problem, error, non-finite
/// coordinate or unconfirmed cut just gives nil: the caller reads the file again in order, with
/// a new pass and spill, which places the problem.
final class MeasureSplitPass: @unchecked Sendable {
    private let file: PositionalFile
    private let commas: [Int]
    private let threads: Int
    private let options: DocumentParsing.Options

    init(file: PositionalFile, points: SplitPoints, threads: Int, options: DocumentParsing.Options) {
        self.file = file
        commas = points.commas
        self.threads = threads
        self.options = options
    }

    /// What the skeleton's pass notes: its problems, and whether the placeholder annotation,
    /// while it is read, was the only annotation read (and not counted).
    final class Skeleton {
        var problems: [DocumentError] = []
        var watchesPlaceholder = false
        var watchedEnds = 0, placeholderSeen = false
    }

    /// The pass over `input` split among `split.threads` threads when it is a big regular file;
    /// nil when the caller must read it in order with a new pass (`makePass()` gives one).
    static func pass(_ input: DocumentSource, options: DocumentParsing.Options, split: SplitOptions,
                     makePass: () -> MeasurePass, progress: ((Int) -> Void)?) -> MeasurePass? {
        // Stretches of at most 1 MiB: their encoded contours are held until spilled (2 stretches a thread).
        guard !options.strict, let (file, points) = try? splitCandidate(input, split: split, maxStretchBytes: 1 << 20) else { return nil }
        let run = MeasureSplitPass(file: file, points: points, threads: split.threads, options: options)
        return try? run.run(makePass(), input: input, progress: progress)
    }

    /// A worker's stretch `index`, encoded; nil when it is not confirmed or had a problem.
    private func encode(_ index: Int) -> MeasureStretch? {
        var options = self.options
        options.checksReferences = false
        options.recordsArtifact = .skip
        var parser = DocumentParser(visitor: StretchVisitor(part: MeasureStretch(), handOver: { _ in }), options: options)
        let range = (commas[index] + 1)..<commas[index + 1]
        guard readStretch(range, of: file, with: &parser, stop: { false }), !parser.visitor.part.nonFinite else { return nil }
        return parser.visitor.part
    }

    /// Runs the pass with `pass` (new); the pass when the whole input was read with no problem, else nil.
    func run(_ pass: MeasurePass, input: DocumentSource, progress: ((Int) -> Void)?) throws -> MeasurePass? {
        var pass = pass
        let skeleton = Skeleton()
        pass.skeleton = skeleton
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
        let intake = pass.intake
        var confirmed = true
        runInOrder(count: commas.count - 1, threads: threads, work: { self.encode($0) }, emit: { index, stretch in
            guard let stretch, stretch.ids.check(in: checker) else {
                confirmed = false
                return false
            }
            stretch.give(to: intake)
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
        guard intake.failure == nil, intake.nonFiniteAnnotation == nil else { return nil }
        return done
    }
}

/// A worker's part of the split measure pass: a stretch's annotations, their contours encoded
/// end to end, and their ids (id, image, object for each) for the skeleton's tables.
struct MeasureStretch: AnnotationPart, @unchecked Sendable {
    private(set) var keys: [RecordID] = []
    /// The same ids as the skeleton's tables take them (`StretchIDs`).
    private(set) var ids = StretchIDs()
    /// Per annotation: its contour count (-1: no `segmentation`) and where its bytes end.
    private var contours: [Int] = []
    private var ends: [Int] = []
    private var bodies: [UInt8] = []
    private var dropped = 0
    private var encoder = ContourEncoder()
    /// A coordinate was NaN or infinite: the one-thread pass reports it.
    private(set) var nonFinite = false

    /// Handed over whole, at the end of the stretch.
    var isFull: Bool { false }

    mutating func visitAnnotationStart(index: Int) throws { encoder.start() }

    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws { encoder.add(chunk) }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        keys += [fields.idKey, fields.imageKey, fields.objectKey]
        ids.note(fields)
        if encoder.nonFinite { nonFinite = true }
        if fields.polygonCount != nil {
            contours.append(encoder.contours)
            bodies.append(contentsOf: encoder.body)
        } else {
            contours.append(-1)
        }
        ends.append(bodies.count)
    }

    mutating func visitAnnotationDropped(index: Int) throws { dropped += 1 }

    /// Gives the stretch's annotations to `intake` in order, as the skeleton's parser would have.
    func give(to intake: MeasureIntake) {
        intake.annotations += dropped
        bodies.withUnsafeBytes { bodies in
            var start = 0
            for (number, end) in ends.enumerated() {
                intake.annotations += 1
                if contours[number] >= 0 {
                    intake.add(image: keys[3 * number + 1], object: keys[3 * number + 2], contours: contours[number],
                             body: UnsafeRawBufferPointer(rebasing: bodies[start..<end]))
                }
                start = end
            }
        }
    }
}
