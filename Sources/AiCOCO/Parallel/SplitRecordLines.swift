/// `records` on one big regular file, its `annotations` split among threads (`SplitPoints`):
/// each worker renders a stretch's lines into a renderer of its own (`RecordLineRenderer`, the
/// one-thread path's code) and the calling thread writes them in file order.
///
/// The calling thread reads the skeleton as `SplitParse` does (the file up to the first cut, a
/// placeholder record, then the file from the last cut), but writes as it goes: the head's
/// lines, then each stretch's lines once it is confirmed and every line before it is written,
/// then the tail's. Workers parse with validation but without reference tables: the calling
/// thread gives each written stretch's ids to the skeleton's tables, whose verdict at the end
/// is then the one-thread parse's. Only lines that the one-thread path writes too are written:
/// any problem, error or records artifact stops the split, and the caller reads the file again
/// in order, writing only what comes after the bytes already written. A stretch that does not
/// end between two records (the cut after it was a wrong guess) is read again from its start,
/// which the stretch before confirmed, with the next one or two, until a read ends between two
/// records; only when none does is the split stopped.
final class SplitRecordLines: @unchecked Sendable {
    private let file: PositionalFile
    private let commas: [Int]
    private let threads: Int
    private let options: DocumentParsing.Options
    private let envelope: Bool
    private let sections: Set<Section>
    /// Whether workers render the stretches' lines (`records`); else they note ids only (`validate`).
    private let rendersLines: Bool

    // Shared between the threads, under `monitor`.
    private let monitor = Monitor(conditions: 2)
    private static var stretchDone: Int { 0 }
    private static var roomFreed: Int { 1 }
    private var nextStretch = 0
    private var writtenStretches = 0
    private var rendered: [Int: RenderedStretch] = [:]
    /// Stretches read and not confirmed, not yet reached by the writer.
    private var unconfirmed: Set<Int> = []
    private var failedFlag = false
    private var workersEnded = 0
    /// Renderers of stretches written, to render others (their buffers already grown).
    private var spareRenderers: [RecordLineRenderer] = []

    // The calling thread's alone.
    private var problems: [DocumentError] = []
    /// Bytes handed to `write` so far.
    private(set) var bytesWritten = 0
    /// The document's kind and form, once read to the end with no problem.
    private(set) var documentForm: DocumentForm?
    /// Stretches read again with the next ones (their end was a wrong guess).
    private(set) var stretchesReadAgain = 0

    init(file: PositionalFile, points: SplitPoints, threads: Int, options: DocumentParsing.Options,
         envelope: Bool, sections: Set<Section>, rendersLines: Bool = true) {
        self.file = file
        self.rendersLines = rendersLines
        commas = points.commas
        self.threads = threads
        self.options = options
        self.envelope = envelope
        self.sections = sections
    }

    private var stretchCount: Int { commas.count - 1 }
    /// Stretches taken and not yet written, at most: their lines are what is held (only ids
    /// when no line is rendered: more of them, so that a worker seldom waits for room).
    private var window: Int { (rendersLines ? 2 : 8) * threads }

    private func makeRenderer() -> RecordLineRenderer {
        RecordLineRenderer(envelope: envelope, sections: sections, allowsNonFinite: options.allowNonFinite)
    }

    private func fail() {
        monitor.withLock {
            failedFlag = true
            monitor.broadcast(Self.roomFreed)
            monitor.broadcast(Self.stretchDone)
        }
    }

    private var failed: Bool { monitor.withLock { failedFlag } }

    /// Renders stretch `index` with a parser of its own; nil when it is not confirmed, had a
    /// problem, or a record could not be rendered.
    private func render(_ index: Int) -> RenderedStretch? {
        render((commas[index] + 1)..<commas[index + 1])
    }

    /// Renders `range` of the file (see `render(_:)`).
    private func render(_ range: Range<Int>) -> RenderedStretch? {
        var options = self.options
        options.recordsArtifact = .skip
        options.checksReferences = false
        guard rendersLines else {
            var parser = DocumentParser(visitor: StretchVisitor(part: StretchKeys(), handOver: { _ in }), options: options)
            guard readStretch(range, of: file, with: &parser, stop: { failed }) else { return nil }
            return RenderedStretch(renderer: nil, ids: parser.visitor.part.ids)
        }
        let renderer = monitor.withLock { spareRenderers.popLast() } ?? makeRenderer()
        let lines = RenderedLines(renderer: renderer, maxCoordinates: options.limits.maxCoordinatesPerRecord)
        var parser = DocumentParser(visitor: StretchVisitor(part: lines, handOver: { _ in }), options: options)
        guard readStretch(range, of: file, with: &parser, stop: { failed }) else { return nil }
        let part = parser.visitor.part
        guard part.renderer.failure == nil else { return nil }
        return RenderedStretch(renderer: part.renderer, ids: part.ids)
    }

    /// A worker: renders stretches while there are some and room for their lines.
    private func serve() {
        while true {
            let index: Int? = monitor.withLock {
                while !failedFlag, nextStretch < stretchCount, nextStretch >= writtenStretches + window {
                    monitor.wait(Self.roomFreed)
                }
                guard !failedFlag, nextStretch < stretchCount else { return nil }
                nextStretch += 1
                return nextStretch - 1
            }
            guard let index else { break }
            post(render(index), at: index)
        }
    }

    /// Posts stretch `index`, rendered, or nil when it was not confirmed.
    private func post(_ stretch: RenderedStretch?, at index: Int) {
        monitor.withLock {
            if index < writtenStretches {
                // Read again with the one before it: dropped.
                if let renderer = stretch?.renderer { spareRenderers.append(renderer) }
                return
            }
            if let stretch { rendered[index] = stretch } else { unconfirmed.insert(index) }
            monitor.broadcast(Self.stretchDone)
        }
    }

    private enum Step {
        case write(RenderedStretch)
        case readAgain(Int)
        case render(Int)
        case finished
    }

    /// The calling thread's next step among the stretches: write the next one in order when it
    /// is rendered, else render one when there is room, else wait.
    private func nextStep() -> Step {
        monitor.withLock {
            while true {
                if failedFlag || writtenStretches == stretchCount { return .finished }
                if let stretch = rendered.removeValue(forKey: writtenStretches) { return .write(stretch) }
                if unconfirmed.remove(writtenStretches) != nil { return .readAgain(writtenStretches) }
                if nextStretch < stretchCount, nextStretch < writtenStretches + window {
                    nextStretch += 1
                    return .render(nextStretch - 1)
                }
                monitor.wait(Self.stretchDone)
            }
        }
    }

    /// Stretches written so far.
    private var writtenStretchesNow: Int { monitor.withLock { writtenStretches } }

    /// `count` more stretches written (more than one: read again together), the renderer spare.
    private func stretchesWritten(_ count: Int = 1, giving renderer: RecordLineRenderer?) {
        monitor.withLock {
            if let renderer { spareRenderers.append(renderer) }
            for skipped in (writtenStretches + 1)..<(writtenStretches + count) {
                if let renderer = rendered.removeValue(forKey: skipped)?.renderer { spareRenderers.append(renderer) }
                unconfirmed.remove(skipped)
            }
            writtenStretches += count
            nextStretch = max(nextStretch, writtenStretches)
            monitor.broadcast(Self.roomFreed)
        }
    }

    /// Writes the record lines split among threads; true when all are written and the document
    /// had no problem, false when the caller must read it again (see the type's comment).
    /// Throws only what `write` throws.
    func run(progress: ((Int) -> Void)?, write: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        var started = 0
        for _ in 1..<min(threads, stretchCount + 1) {
            let begun: Void? = try? startDetachedThread {
                self.serve()
                self.monitor.withLock {
                    self.workersEnded += 1
                    self.monitor.broadcast(Self.stretchDone)
                }
            }
            guard begun != nil else { break }
            started += 1
        }
        defer {
            fail()
            monitor.withLock { while workersEnded < started { monitor.wait(Self.stretchDone) } }
        }
        var writeError: Error?
        let emit = { (bytes: UnsafeRawBufferPointer) in
            do {
                try write(bytes)
            } catch {
                writeError = error
                throw error
            }
            self.bytesWritten += bytes.count
        }
        do {
            return try writeAll(progress: progress, emit: emit)
        } catch {
            if let writeError { throw writeError }
            return false
        }
    }

    private func writeAll(progress: ((Int) -> Void)?, emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        let renderer = makeRenderer()
        let builder = RecordBuilder(maxCoordinates: options.limits.maxCoordinatesPerRecord,
                                    collectProblem: { [unowned self] in problems.append($0) },
                                    renderer: renderer, deliver: { _, _ in })
        var parser = DocumentParser(visitor: builder, options: options)
        let placeholder = SplitParse<AnnotationCounts>.placeholder
        let placeholderStart = commas[0] + 1
        // Progress: the skeleton's bytes read and the stretches written (in file order when lines
        // are written; `validate` reads the tail first).
        var skeletonRead = 0
        let report = { progress?(skeletonRead + self.commas[self.writtenStretchesNow] - self.commas[0]) }
        /// Feeds `range` of the file block by block, writing the lines after each while there is no problem.
        func feed(_ range: Range<Int>) throws -> Bool {
            try file.readBlocks(range) { block in
                try parser.feed(block)
                guard problems.isEmpty, renderer.failure == nil else { return false }
                try renderer.take { lines, _ in try emit(lines) }
                skeletonRead += block.count
                report()
                return true
            }
        }
        guard try feed(0..<placeholderStart) else { return false }
        // The placeholder must be read whole, then and there, as an annotation: the first cut is
        // then between two records. Its line is not written.
        renderer.watchedID = SplitParse<AnnotationCounts>.placeholderID
        try parser.feed(placeholder)
        guard renderer.watchedSeen, renderer.delivered == 1, problems.isEmpty, renderer.failure == nil,
              parser.bytesFed == placeholderStart + placeholder.count else { return false }
        renderer.watchedID = nil
        renderer.discard()
        guard let checker = parser.referenceChecker else { return false }
        // No line to write (`validate`): the skeleton's tail is read now, beside the workers. Whether
        // the tables find a problem (a duplicate, an id never defined) does not depend on that
        // order, and any problem sends the caller to the one-thread path, which reports it in order.
        let tail = (commas[stretchCount] + 1)..<file.size
        if !rendersLines { guard try feed(tail) else { return false } }
        stretches: while true {
            switch nextStep() {
            case .write(let stretch):
                try stretch.renderer?.take { lines, _ in try emit(lines) }
                guard stretch.check(in: checker) else { return false }
                stretchesWritten(giving: stretch.renderer)
                report()
            case .readAgain(let index):
                guard let (stretch, count) = renderAgain(index) else { return false }
                stretchesReadAgain += 1
                try stretch.renderer?.take { lines, _ in try emit(lines) }
                guard stretch.check(in: checker) else { return false }
                stretchesWritten(count, giving: stretch.renderer)
                report()
            case .render(let index):
                post(render(index), at: index)
            case .finished:
                break stretches
            }
        }
        guard !failed else { return false }
        if rendersLines { guard try feed(tail) else { return false } }
        // A tabular output's artifact is read by the one-thread path.
        var ending = ParseSession(suppliedFor: .file(file.name))
        guard try !ending.endInput(&parser) else { return false }
        // The placeholder's own references (to an image and an object that are not there) are
        // the only problems expected at the end.
        let placeholderRange = placeholderStart..<(placeholderStart + placeholder.count)
        problems.removeAll { problem in
            problem.kind == .reference && placeholderRange.contains(problem.location.offset)
                && Self.placeholderProblems.contains(problem.message)
        }
        guard problems.isEmpty, renderer.failure == nil else { return false }
        try renderer.take { lines, _ in try emit(lines) }
        documentForm = parser.documentForm
        return true
    }

    /// Stretch `index`, not confirmed, read again from its confirmed start with the next one, then
    /// two: the first read that ends between two records and how many stretches it covers, or nil.
    private func renderAgain(_ index: Int) -> (RenderedStretch, Int)? {
        for count in 2...3 where index + count <= stretchCount {
            if let stretch = render((commas[index] + 1)..<commas[index + count]) { return (stretch, count) }
        }
        return nil
    }

    /// What the tables say at the end of the placeholder's references.
    static let placeholderProblems: Set<String> = [
        "annotation refers to image \"~aicoco-split~\", which is not in images",
        "annotation refers to object \"~aicoco-split~\", which is not in objects",
    ]
}
