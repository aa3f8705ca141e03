extension COCOConverter {
    /// The pixels of the spilled annotations with contours (`AnnotationSpill`'s entries of tag 4
    /// whose object has categories), built by worker threads ahead of the writer, which takes
    /// them in spill order (`next()`): the same bytes as `PixelWriter.build` in order, whatever
    /// the threads.
    ///
    /// The calling thread reads the spill ahead with readers of its own, gathering jobs (about
    /// `jobBytes` of raw parts, each with its image's size); at most `2 * threads` jobs are
    /// gathered and not yet written. A job is built a part at a time: building stops once its
    /// part holds `builtBytes` (a few bytes of input can give tens of KB of RLE), and the writer
    /// builds the rest of the job itself, part by part, once it has written the part before; so
    /// what is held stays bounded by the bytes built too. Workers build jobs in any order;
    /// the calling thread builds one itself when it would otherwise wait. An error building an
    /// annotation is thrown when the writer reaches that annotation, as the one-thread path
    /// throws it there.
    final class PixelPool: @unchecked Sendable {
        /// Annotations' raw parts and image sizes, then what was built from them.
        final class Job: @unchecked Sendable {
            var raw: [UInt8] = []
            /// For each annotation: where its raw part ends in `raw`, its image's width and height.
            var entries: [Int] = []
            /// The annotation to build next, and where its raw part starts in `raw`.
            var next = 0, rawStart = 0
            /// The members built in the current part, one after the other.
            var built: [UInt8] = []
            /// For each annotation built in the current part, where its members end in `built`
            /// (-1: none of its pixels lies in its image).
            var ends: [Int] = []
            /// Whether every annotation was built (or one threw).
            var finished: Bool { failure != nil || next == entries.count / 3 }
            /// What building the annotation after the last one built threw.
            var failure: Error?
        }

        // Shared between the threads, under `monitor`.
        private let monitor = Monitor(conditions: 2)
        private static var jobBuilt: Int { 0 }
        private static var jobWaiting: Int { 1 }
        private var waiting: [(index: Int, job: Job)] = []
        private var done: [Int: Job] = [:]
        private var stopped = false
        private var workersEnded = 0

        // The calling thread's alone.
        private let index: SpillReader, text: SpillReader
        private let catalog: Catalog
        private let imageSize: (width: Int, height: Int)?
        private let jobBytes: Int, builtBytes: Int, window: Int
        private let writers: [PixelWriter]
        private var workers = 0
        private var gathered = 0, written = 0
        private var readingAhead = true
        private var hasCategories = false
        private var current: Job?
        /// The next annotation of `current`, and where its members start in `current.built`.
        private var cursor = 0, start = 0
        private var last = 0..<0

        /// A pool reading the spill through `index` and `text` (readers of its own), the image
        /// sizes from `catalog` (else `imageSize`); `threads` threads in all, the calling one included.
        init(index: SpillReader, text: SpillReader, catalog: Catalog, imageSize: (width: Int, height: Int)?,
             threads: Int, jobBytes: Int, builtBytes: Int, makeWriter: () throws -> PixelWriter) throws {
            self.index = index
            self.text = text
            self.catalog = catalog
            self.imageSize = imageSize
            self.jobBytes = max(1, jobBytes)
            self.builtBytes = max(1, builtBytes)
            window = 2 * threads
            writers = try (0..<threads).map { _ in try makeWriter() }
            for number in 1..<threads {
                guard (try? startDetachedThread({ self.serve(with: self.writers[number]) })) != nil else { break }
                workers += 1
            }
        }

        /// Stops the workers and waits until every one has ended.
        func stop() {
            monitor.withLock {
                stopped = true
                monitor.broadcast(Self.jobWaiting)
                while workersEnded < workers { monitor.wait(Self.jobBuilt) }
            }
        }

        /// Builds the next annotation; false when none of its pixels lies in its image.
        func next() throws -> Bool {
            if current == nil { try advance() }
            while cursor == current!.ends.count {
                let job = current!
                if let failure = job.failure { throw failure }
                if job.finished {
                    try advance()
                } else {
                    // The next part of the job in order: built here, the part before written.
                    job.built.removeAll(keepingCapacity: true)
                    job.ends.removeAll(keepingCapacity: true)
                    cursor = 0
                    start = 0
                    Self.build(job, with: writers[0], limit: builtBytes)
                }
            }
            let job = current!
            let end = job.ends[cursor]
            cursor += 1
            guard end >= 0 else { return false }
            last = start..<end
            start = end
            return true
        }

        /// Hands the members of the annotation built last to `body`.
        func withLast(_ body: (UnsafeRawBufferPointer) -> Void) {
            current!.built.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[last])) }
        }

        /// Takes the next job in order: built by then, by a worker or here.
        private func advance() throws {
            if current != nil { written += 1 }
            current = nil
            cursor = 0
            start = 0
            while true {
                while readingAhead, gathered < written + window { try gather() }
                guard gathered > written else {
                    throw COCOConverter.damagedSpill
                }
                let (ready, toBuild): (Job?, (index: Int, job: Job)?) = monitor.withLock {
                    while true {
                        if let job = done.removeValue(forKey: written) { return (job, nil) }
                        if !waiting.isEmpty { return (nil, waiting.removeFirst()) }
                        monitor.wait(Self.jobBuilt)
                    }
                }
                if let ready {
                    current = ready
                    return
                }
                if let (number, job) = toBuild {
                    Self.build(job, with: writers[0], limit: builtBytes)
                    monitor.withLock { done[number] = job }
                }
            }
        }

        /// A worker: builds the jobs waiting until the pool stops.
        private func serve(with writer: PixelWriter) {
            while let (number, job) = takeWaiting() {
                Self.build(job, with: writer, limit: builtBytes)
                monitor.withLock { done[number] = job }
                monitor.broadcast(Self.jobBuilt)
            }
            monitor.withLock { workersEnded += 1 }
            monitor.broadcast(Self.jobBuilt)
        }

        /// The oldest job waiting to be built, once there is one; nil once the pool stops.
        private func takeWaiting() -> (index: Int, job: Job)? {
            monitor.withLock {
                while !stopped, waiting.isEmpty { monitor.wait(Self.jobWaiting) }
                return stopped ? nil : waiting.removeFirst()
            }
        }

        /// Builds the job's next part: its annotations from `job.next` until every one is built
        /// or the part holds `limit` bytes (at least one annotation).
        private static func build(_ job: Job, with writer: PixelWriter, limit: Int) {
            while !job.finished, job.built.count < limit {
                let entry = 3 * job.next
                let rawEnd = job.entries[entry]
                let rawStart = job.rawStart
                do {
                    let inImage = try job.raw.withUnsafeBytes {
                        try writer.build(raw: UnsafeRawBufferPointer(rebasing: $0[rawStart..<rawEnd]),
                                         width: job.entries[entry + 1], height: job.entries[entry + 2])
                    }
                    if inImage { job.built.append(contentsOf: writer.bytes) }
                    job.ends.append(inImage ? job.built.count : -1)
                } catch {
                    job.failure = error
                    return
                }
                job.rawStart = rawEnd
                job.next += 1
            }
        }

        /// Reads the spill ahead for the next job (the entries the writer builds, in its order).
        private func gather() throws {
            let job = Job()
            while job.raw.count < jobBytes, !index.atEnd {
                switch try index.byte() {
                case 1:
                    let count = try index.varint()
                    let object = try index.bytes(count).withMemoryRebound(to: UInt8.self) { try catalog.object($0) }
                    hasCategories = !(object?.categories ?? []).isEmpty
                case 2:
                    let imageCount = try index.varint(), middleCount = try index.varint(), tailCount = try index.varint()
                    index.position += imageCount
                    text.position += middleCount + tailCount
                case 4:
                    let imageCount = try index.varint(), rawCount = try index.varint(), tailCount = try index.varint()
                    let image = try index.bytes(imageCount)
                    if hasCategories {
                        let entry = try image.withMemoryRebound(to: UInt8.self) { try catalog.image($0) }
                        job.raw.append(contentsOf: try text.bytes(rawCount))
                        job.entries += [job.raw.count, entry?.width ?? imageSize?.width ?? 0, entry?.height ?? imageSize?.height ?? 0]
                    } else {
                        text.position += rawCount
                    }
                    text.position += tailCount
                case 3:
                    _ = try index.varint()
                default:
                    throw COCOConverter.damagedSpill
                }
            }
            if index.atEnd { readingAhead = false }
            guard !job.entries.isEmpty else { return }
            monitor.withLock {
                waiting.append((gathered, job))
                gathered += 1
                monitor.signal(Self.jobWaiting)
            }
        }
    }
}
