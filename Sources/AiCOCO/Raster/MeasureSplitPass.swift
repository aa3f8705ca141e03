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
        // Stretches of at most 1 MiB: their encoded contours are held until spilled (4 stretches a
        // thread: the workers go on while the calling thread reads the head, 2 MB of images at 200 MB).
        guard !options.strict, let (file, points) = try? splitCandidate(input, split: split, maxStretchBytes: 1 << 20) else { return nil }
        let run = MeasureSplitPass(file: file, points: points, threads: split.threads, options: options)
        return try? run.run(makePass(), input: input, progress: progress)
    }

    /// A worker's stretch `index`, encoded; nil when it is not confirmed or had a problem.
    private func encode(_ index: Int) -> MeasureStretch? {
        var options = self.options
        options.checksReferences = false
        options.recordsArtifact = .skip
        let range = (commas[index] + 1)..<commas[index + 1]
        var parser = DocumentParser(visitor: StretchVisitor(part: MeasureStretch(textBytes: range.count), handOver: { _ in }),
                                    options: options)
        guard readStretch(range, of: file, with: &parser, stop: { false }), !parser.visitor.part.nonFinite else { return nil }
        var stretch = parser.visitor.part
        stretch.sort()
        return stretch
    }

    /// Runs the pass with `pass` (new); the pass when the whole input was read with no problem, else nil.
    func run(_ pass: MeasurePass, input: DocumentSource, progress: ((Int) -> Void)?) throws -> MeasurePass? {
        let intake = pass.intake
        var skeleton = SkeletonPass(file: file, commas: commas, threads: threads, options: options)
        skeleton.aheadPerThread = 4
        let done = try skeleton.run(pass, input: input, progress: progress, work: { self.encode($0) }, take: { stretch, checker in
            guard stretch.ids.check(in: checker) else { return false }
            stretch.give(to: intake)
            return true
        })
        guard intake.failure == nil, intake.nonFiniteAnnotation == nil else { return nil }
        return done
    }
}

/// A worker's part of the split measure pass: a stretch's annotations, and their ids for the
/// skeleton's tables (`StretchIDs`). Each segmented annotation is built here as the spill holds
/// it but for what only the calling thread knows (its object's ordinal, its number in the
/// file), and the stretch is sorted as the spill sorts (by image, then in file order): the
/// calling thread copies each one into the spill, and sorts runs of them, not single records.
struct MeasureStretch: AnnotationPart, @unchecked Sendable {
    /// An annotation's bytes in `bytes`: its image's part of the key (`start..<keyEnd`), then its
    /// contour count (a varint) and contours (`ContourEncoder`) up to `end`; its object's
    /// index in `objects`, its number among the stretch's segmented annotations (from 0), and
    /// the first 8 bytes of its key as a big-endian number.
    private struct Segmented {
        var start, keyEnd, end: Int
        var object, number: Int32
        var prefix: UInt64
    }

    /// The ids as the skeleton's tables take them.
    private(set) var ids = StretchIDs()
    /// Annotations read, segmented or not (dropped ones too).
    private var annotations = 0
    private var bytes: [UInt8] = []
    /// The segmented annotations, in file order, then (`sort()`) in the spill's order.
    private var segmented: [Segmented] = []
    /// The segmented annotations' objects in file order (an object repeated next to itself once).
    private var objects: [RecordID] = []
    /// The last of `objects` as its packed words, when it is packed (compared without copying
    /// a `RecordID`).
    private var lastObjectWords: (high: UInt64, low: UInt64)?
    private var encoder = ContourEncoder()
    /// A coordinate was NaN or infinite: the one-thread pass reports it.
    private(set) var nonFinite = false

    /// Handed over whole, at the end of the stretch.
    var isFull: Bool { false }

    /// A part for a stretch of `textBytes` of the file: room for its contours as integer
    /// coordinates encode (about a byte in 4 of their text), not grown copy by copy.
    init(textBytes: Int) {
        bytes.reserveCapacity(textBytes / 4)
        // Annotations take some hundreds of bytes of text each.
        segmented.reserveCapacity(textBytes / 512)
    }

    mutating func visitAnnotationStart(index: Int) throws { encoder.start() }

    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws { encoder.add(chunk) }

    mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
        annotations += 1
        ids.note(fields)
        if encoder.nonFinite { nonFinite = true }
        guard fields.polygonCount != nil else { return }
        noteObject(fields.objectKey)
        let start = bytes.count
        MeasureIntake.appendImageKey(fields.imageKey, to: &bytes)
        let keyEnd = bytes.count
        RawBytes.appendVarint(encoder.contours, to: &bytes)
        encoder.withBody { bytes.append(contentsOf: $0) }
        let prefix = bytes.withUnsafeBytes { ExternalSorter.prefix(UnsafeRawBufferPointer(rebasing: $0[start..<keyEnd])) }
        segmented.append(Segmented(start: start, keyEnd: keyEnd, end: bytes.count, object: Int32(objects.count - 1),
                                   number: Int32(segmented.count), prefix: prefix))
    }

    mutating func visitAnnotationDropped(index: Int) throws { annotations += 1 }

    /// Appends `object` to `objects` unless it is the last one there.
    private mutating func noteObject(_ object: RecordID) {
        if let words = object.packedWords {
            if let last = lastObjectWords, last.high == words.high, last.low == words.low { return }
            lastObjectWords = words
        } else {
            if lastObjectWords == nil, let last = objects.last, last == object { return }
            lastObjectWords = nil
        }
        objects.append(object)
    }

    /// Sorts the segmented annotations as the spill will: by key (image, then number). Their
    /// prefixes and numbers (annotation i is number i until then) are sorted, 16 bytes each,
    /// not the annotations.
    mutating func sort() {
        let annotations = segmented
        var order = annotations.map { (prefix: $0.prefix, number: Int($0.number)) }
        bytes.withUnsafeBytes { bytes in
            annotations.withUnsafeBufferPointer { annotations in
                order.sort { a, b in
                    if a.prefix != b.prefix { return a.prefix < b.prefix }
                    let one = annotations[a.number], other = annotations[b.number]
                    let compared = RawBytes.compare(UnsafeRawBufferPointer(rebasing: bytes[one.start..<one.keyEnd]),
                                                    UnsafeRawBufferPointer(rebasing: bytes[other.start..<other.keyEnd]))
                    return compared != 0 ? compared < 0 : a.number < b.number
                }
            }
        }
        segmented = order.map { annotations[$0.number] }
    }

    /// Gives the stretch's annotations to `intake`, as the skeleton's parser would have: their
    /// objects' ordinals in file order, their numbers following the annotations before.
    func give(to intake: MeasureIntake) {
        intake.annotations += annotations
        guard intake.takes, intake.failure == nil else { return }
        let ordinals = objects.map { intake.ordinal(of: $0) }
        let first = intake.segmented + 1
        intake.segmented += segmented.count
        bytes.withUnsafeBytes { bytes in
            for annotation in segmented {
                intake.take(key: UnsafeRawBufferPointer(rebasing: bytes[annotation.start..<annotation.keyEnd]),
                             sequence: first + Int(annotation.number), object: ordinals[Int(annotation.object)],
                             rest: UnsafeRawBufferPointer(rebasing: bytes[annotation.keyEnd..<annotation.end]))
                if intake.failure != nil { return }
            }
        }
    }
}
