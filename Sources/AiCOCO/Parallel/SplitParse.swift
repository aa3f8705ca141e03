/// One parse of a regular file with its `annotations` array split among threads.
///
/// The guessed cuts (`SplitPoints`) are commas c1 < c2 < ... < ck. Stretch i, the bytes between
/// c(i) and c(i+1), is read by a worker as `{"annotations":[` + stretch + `]`; it is confirmed
/// when that `]`, and nothing before it, ends `annotations` (see `parseStretch`): then the
/// stretch ended between two records. Meanwhile the calling thread reads the rest, the
/// skeleton: the file up to c1 and its comma, a placeholder record, then the file from ck on.
/// The placeholder is read as a whole annotation only if the skeleton was between two records
/// at c1, which confirms the first cut; each stretch confirms the next cut. With every cut
/// confirmed the skeleton, read by the one parser that sees every key of the document, is the
/// document with whole records taken out, and those records were each read once, by a worker.
/// Anything else (a cut not confirmed, a problem, an error anywhere) gives nil, and the caller
/// reads the file again in order, which places errors as the one-thread parse does.
final class SplitParse<Part: AnnotationPart>: @unchecked Sendable {
    let file: PositionalFile
    let commas: [Int]
    let threads: Int
    let options: DocumentParsing.Options
    let partTemplate: Part

    /// The skeleton's placeholder annotation (dropped from what the visitor sees).
    static var placeholder: [UInt8] {
        Array("{\"id\":\"~aicoco-split~\",\"image_id\":\"~aicoco-split~\",\"object_id\":\"~aicoco-split~\",\"iscrowd\":0,\"bbox\":null,\"segmentation\":null},".utf8)
    }
    static var placeholderID: RecordID { RecordID("~aicoco-split~") }

    // Shared between the threads, under `monitor`.
    private let monitor = Monitor(conditions: 2)
    private static var partReady: Int { 0 }
    private static var roomFreed: Int { 1 }
    private var nextStretch = 0
    private var confirmed = 0
    /// Bytes of the stretches confirmed (each with the comma after it).
    private var stretchBytes = 0
    private var mailbox: [Part] = []
    private var workersEnded = 0
    private var stretchNonFinite = NonFiniteCounts()
    private var failedFlag = false

    // The calling thread's alone.
    /// The skeleton is reading its placeholder, and whether it was read whole.
    var expectingPlaceholder = false
    var placeholderSeen = false

    init(file: PositionalFile, points: SplitPoints, threads: Int, options: DocumentParsing.Options, part: Part) {
        self.file = file
        commas = points.commas
        self.threads = threads
        self.options = options
        partTemplate = part
    }

    var stretchCount: Int { commas.count - 1 }

    /// A stretch failed: every thread stops soon.
    var failed: Bool { monitor.withLock { failedFlag } }

    func fail() {
        monitor.withLock {
            failedFlag = true
            monitor.broadcastAll()
        }
    }

    func addNonFinite(_ counts: NonFiniteCounts) {
        monitor.withLock { stretchNonFinite = stretchNonFinite + counts }
    }

    /// Takes the parts waiting to be folded in.
    func takeParts() -> [Part] {
        monitor.withLock {
            guard !mailbox.isEmpty else { return [] }
            defer {
                mailbox.removeAll(keepingCapacity: true)
                monitor.broadcast(Self.roomFreed)
            }
            return mailbox
        }
    }

    /// Takes stretches and parses them until none is left or one failed; `handOver` takes the
    /// parts, `between` runs after each stretch.
    private func serveStretches(handOver: @escaping (Part) -> Void, between: () -> Void = {}) {
        while true {
            let index: Int? = monitor.withLock {
                guard !failedFlag, nextStretch < stretchCount else { return nil }
                nextStretch += 1
                return nextStretch - 1
            }
            guard let index else { return }
            let range = (commas[index] + 1)..<commas[index + 1]
            guard parseStretch(range, handOver: handOver) else { return fail() }
            monitor.withLock {
                confirmed += 1
                stretchBytes += commas[index + 1] - commas[index]
            }
            between()
        }
    }

    /// Bytes finished: the skeleton's `skeletonBytes` read and the stretches confirmed.
    private func bytesDone(skeletonBytes: Int) -> Int {
        skeletonBytes + monitor.withLock { stretchBytes }
    }

    /// Runs the split parse; nil when it must be read again in order (see the type's comment).
    /// `progress` is given the bytes finished, on the calling thread: the skeleton's read and
    /// the stretches confirmed, by any thread; the file's size once all are.
    func parse<Visitor: SplittableVisitor>(_ visitor: Visitor, input: DocumentSource,
                                           progress: ((Int) -> Void)?) throws -> SplitParseResult<Visitor>?
        where Visitor.Part == Part {
        var started = 0
        // No more workers than stretches (each has a parser and a read buffer of its own).
        for _ in 1..<min(threads, stretchCount + 1) {
            let begun: Void? = try? startDetachedThread {
                self.serveStretches(handOver: { self.post($0) })
                self.workerEnded()
            }
            guard begun != nil else { break }
            started += 1
        }
        var parser = DocumentParser(visitor: SkeletonVisitor(inner: visitor, run: self), options: options)
        if (try? readSkeleton(&parser, input: input, progress: progress)) != true { fail() }
        // Then this thread takes stretches too, folding in its parts and the workers' as they come.
        var result = parser.visitor.inner
        var absorbed = true
        let absorb = { (part: Part) in
            do { try result.absorb(part) } catch { absorbed = false }
        }
        let skeletonBytes = commas[0] + 1 + file.size - (commas[stretchCount] + 1)
        let report = { progress?(self.bytesDone(skeletonBytes: skeletonBytes)) }
        serveStretches(handOver: absorb, between: {
            self.takeParts().forEach(absorb)
            report()
        })
        while let parts = waitForParts(workers: started) {
            parts.forEach(absorb)
            report()
        }
        // A worker counts its stretch after posting its parts: the last count is taken here.
        report()
        // Every worker has ended here.
        guard absorbed, !failed, confirmed == stretchCount else { return nil }
        return SplitParseResult(visitor: result, documentForm: parser.documentForm,
                                nonFiniteCounts: parser.nonFiniteCounts + stretchNonFinite,
                                bytesRead: file.size, split: true)
    }

    /// Posts a worker's part, waiting while `2 * threads` parts are waiting to be folded in.
    private func post(_ part: Part) {
        monitor.withLock {
            while !failedFlag, mailbox.count >= 2 * threads { monitor.wait(Self.roomFreed) }
            mailbox.append(part)
            monitor.signal(Self.partReady)
        }
    }

    private func workerEnded() {
        monitor.withLock {
            workersEnded += 1
            monitor.signal(Self.partReady)
        }
    }

    /// The parts posted, waiting for some; nil once every worker has ended and none is left.
    private func waitForParts(workers: Int) -> [Part]? {
        monitor.withLock {
            while mailbox.isEmpty, workersEnded < workers { monitor.wait(Self.partReady) }
            guard !mailbox.isEmpty else { return nil }
            defer {
                mailbox.removeAll(keepingCapacity: true)
                monitor.broadcast(Self.roomFreed)
            }
            return mailbox
        }
    }

    /// Reads the skeleton through `parser` (see the type's comment); false when the first cut
    /// was not confirmed.
    private func readSkeleton<Visitor: SplittableVisitor>(
        _ parser: inout DocumentParser<SkeletonVisitor<Visitor>>, input: DocumentSource, progress: ((Int) -> Void)?
    ) throws -> Bool where Visitor.Part == Part {
        var read = 0
        func feed(_ block: UnsafeBufferPointer<UInt8>) throws -> Bool {
            guard !failed else { return false }
            try parser.feed(block)
            read += block.count
            if let progress { progress(bytesDone(skeletonBytes: read)) }
            return true
        }
        guard try file.readBlocks(0..<(commas[0] + 1), feed) else { return false }
        expectingPlaceholder = true
        try parser.feed(Self.placeholder)
        expectingPlaceholder = false
        // The placeholder was read whole, then and there (no byte held back).
        guard placeholderSeen, parser.bytesFed == commas[0] + 1 + Self.placeholder.count else { return false }
        guard try file.readBlocks((commas[stretchCount] + 1)..<file.size, feed) else { return false }
        try parser.finish(readingRecordsArtifactOf: input)
        return true
    }
}
