/// What the calling thread's read of the skeleton notes (see `SkeletonPass`): its problems, and
/// whether the placeholder annotation, while it is read, was the only annotation read (and
/// not taken as one of the file's).
final class SplitSkeleton {
    var problems: [DocumentError] = []
    var watchesPlaceholder = false
    var watchedEnds = 0, placeholderSeen = false
}

/// A visitor that notes the skeleton's problems while the calling thread reads it.
protocol SkeletonNoting: DocumentVisitor {
    var skeleton: SplitSkeleton? { get set }
}

/// The calling thread's part of a split pass whose workers' stretches are taken in file order
/// (`convert --to coco`'s `SplitCOCOPass`, `measure`'s `MeasureSplitPass`): it reads the file up
/// to the first cut, a placeholder annotation (which confirms the first cut), takes the
/// stretches in order with its reference tables (`OrderedRun`: the workers start on them while
/// this thread reads the head), then reads the file from the last cut. Nothing is written before the whole input is read, so any problem, error or
/// unconfirmed cut just gives nil: the caller reads the file again in order, which places it.
struct SkeletonPass {
    let file: PositionalFile
    let commas: [Int]
    let threads: Int
    let options: DocumentParsing.Options
    /// Stretches a worker thread may have built and not yet taken (a worker thread goes on
    /// while this thread reads the file's head).
    var aheadPerThread = 2

    /// Reads the skeleton with `visitor`, taking stretch `index` as `work(index)` builds it on a
    /// worker (nil: not confirmed, or a problem) with `take` on this thread, in file order
    /// (false: give up); the visitor, its skeleton removed, when the whole input was read with no
    /// problem but the placeholder's own references, else nil.
    func run<Visitor: SkeletonNoting, Stretch: Sendable>(
        _ visitor: Visitor, input: DocumentSource, progress: ((Int) -> Void)?,
        work: @escaping @Sendable (Int) -> Stretch?, take: (Stretch, ReferenceChecker) -> Bool
    ) throws -> Visitor? {
        var visitor = visitor
        let skeleton = SplitSkeleton()
        visitor.skeleton = skeleton
        var parser = DocumentParser(visitor: visitor, options: options)
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
        // The workers start on the stretches while this thread reads the file's head.
        let stretches = OrderedRun(count: commas.count - 1, threads: threads, window: aheadPerThread * threads, work: work)
        defer { stretches.stop() }
        guard try feed(0..<placeholderStart) else { return nil }
        // The placeholder, read whole then and there as the only annotation, confirms the first cut.
        skeleton.watchesPlaceholder = true
        try parser.feed(placeholder)
        skeleton.watchesPlaceholder = false
        guard skeleton.placeholderSeen, skeleton.watchedEnds == 1, skeleton.problems.isEmpty,
              parser.bytesFed == placeholderStart + placeholder.count, let checker = parser.referenceChecker else { return nil }
        var confirmed = true
        let commas = self.commas
        stretches.emit { index, stretch in
            guard let stretch, take(stretch, checker) else {
                confirmed = false
                return false
            }
            progress?(commas[index + 1])
            return true
        }
        stretches.stop()
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
