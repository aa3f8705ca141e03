/// A visitor whose work on annotations can be split among threads: each worker reads a stretch
/// of `annotations` into a part of its own, handed back to be folded in. (Every annotation is
/// seen by exactly one of the visitor and the parts, in no set order: what it gathers from
/// annotations must not depend on their order, their indexes, or the count `visitSectionEnd`
/// gives for `annotations`, which leaves out the workers' records.)
public protocol SplittableVisitor: DocumentVisitor {
    /// What a worker fills from its stretch of annotations.
    associatedtype Part: AnnotationPart
    /// An empty part, for a worker.
    func makePart() -> Part
    /// Folds in a part a worker filled (on the thread that runs the parse, between records).
    mutating func absorb(_ part: Part) throws
}

/// What a worker gathers from a stretch of annotations (`visitAnnotationStart`,
/// `visitCoordinates`, `visitAnnotationEnd` only).
public protocol AnnotationPart: DocumentVisitor, Sendable {
    /// Whether the part should be handed over now (after an annotation), so that a worker's
    /// memory stays bounded.
    var isFull: Bool { get }
}

/// How a parse may split its input among threads.
public struct SplitOptions: Sendable, Equatable {
    /// Threads to parse with (1: the one-thread parse).
    public var threads: Int
    /// Most bytes of `annotations` per stretch a worker takes at a time (fewer on many threads:
    /// about four stretches a thread, at least 256 KiB each).
    public var stretchBytes = 8 << 20
    /// Smaller inputs are read on one thread.
    public var minimumBytes = 16 << 20

    /// Splitting among `threads` threads, with the default stretch sizes.
    public init(threads: Int) {
        self.threads = threads
    }
}

/// What a parse that may have been split gathered.
public struct SplitParseResult<Visitor: SplittableVisitor> {
    /// The visitor, with the parts of every worker folded in.
    public var visitor: Visitor
    /// The document's kind and form (as `DocumentParser.documentForm`).
    public var documentForm: DocumentForm?
    /// `NaN`, `Infinity` and `-Infinity` read (with `allowNonFinite`).
    public var nonFiniteCounts: NonFiniteCounts
    /// Bytes of the input read.
    public var bytesRead: Int
    /// Whether the input was split among threads (false: read by one parser, in order).
    public var split: Bool
}

/// Parses `input` like `DocumentParser.parse(_:)` and returns what `visitor` gathered, the long
/// `annotations` array of a big regular file split among `split.threads` threads when its
/// guessed record boundaries are confirmed (see `SplitParse`). Results, errors and their places
/// are those of the one-thread parse, whatever the threads: when anything goes wrong (a guess,
/// a problem, an error), the input is read again by one parser, in order.
public func parseSplitting<Visitor: SplittableVisitor>(
    _ input: DocumentSource, visitor: @autoclosure () -> Visitor, options: DocumentParsing.Options = DocumentParsing.Options(),
    split: SplitOptions, progress: ((Int) -> Void)? = nil
) throws -> SplitParseResult<Visitor> {
    // Stretches of 1 MiB at most, as validate's: threads take them as they are free, so the
    // last to end is at most one small stretch behind (the calling thread reads the skeleton
    // first). A stretch's setup and its part's fold cost little next to a MiB of parsing.
    if !options.validate, let (file, points) = try splitCandidate(input, split: split, maxStretchBytes: 1 << 20) {
        let first = visitor()
        let run = SplitParse(file: file, points: points, threads: split.threads, options: options, part: first.makePart())
        if let result = try run.parse(first, input: input, progress: progress) { return result }
    }
    var parser = DocumentParser(visitor: visitor(), options: options)
    try parser.parse(input, progress: progress)
    return SplitParseResult(visitor: parser.visitor, documentForm: parser.documentForm,
                            nonFiniteCounts: parser.nonFiniteCounts, bytesRead: parser.bytesFed, split: false)
}

/// The regular file `input` names and the cuts guessed in its `annotations`, when it is worth
/// splitting among `split.threads` threads (several, a big enough file, not gzip'd); stretches
/// of at most `maxStretchBytes` (and `split.stretchBytes`).
func splitCandidate(_ input: DocumentSource, split: SplitOptions,
                    maxStretchBytes: Int = .max) throws -> (file: PositionalFile, points: SplitPoints)? {
    guard split.threads > 1, case .file(let path) = input, let file = try PositionalFile(path: path),
          file.size >= split.minimumBytes, !startsLikeGzip(try file.bytes(0..<2)) else { return nil }
    let stretchBytes = min(split.stretchBytes, maxStretchBytes, max(256 << 10, file.size / (4 * split.threads)))
    guard let points = try SplitPoints.guess(in: file, stretchBytes: stretchBytes) else { return nil }
    return (file, points)
}
