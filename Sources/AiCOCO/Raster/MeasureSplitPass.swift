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
        let intake = pass.intake
        let skeleton = SkeletonPass(file: file, commas: commas, threads: threads, options: options)
        let done = try skeleton.run(pass, input: input, progress: progress, work: { self.encode($0) }, take: { stretch, checker in
            guard stretch.ids.check(in: checker) else { return false }
            stretch.give(to: intake)
            return true
        })
        guard intake.failure == nil, intake.nonFiniteAnnotation == nil else { return nil }
        return done
    }
}

/// A worker's part of the split measure pass: a stretch's annotations, their contours encoded
/// end to end, and their ids: for the skeleton's tables (`StretchIDs`), and each one's image
/// and object for the spill.
struct MeasureStretch: AnnotationPart, @unchecked Sendable {
    /// Per annotation: its image's and its object's id (two entries each).
    private var imagesAndObjects: [RecordID] = []
    /// The ids as the skeleton's tables take them.
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
        imagesAndObjects.append(fields.imageKey)
        imagesAndObjects.append(fields.objectKey)
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
                    intake.add(image: imagesAndObjects[2 * number], object: imagesAndObjects[2 * number + 1], contours: contours[number],
                             body: UnsafeRawBufferPointer(rebasing: bodies[start..<end]))
                }
                start = end
            }
        }
    }
}
