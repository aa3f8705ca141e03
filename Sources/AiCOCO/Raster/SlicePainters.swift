/// Threads that paint the slices of `MeasureJoin` while the calling thread reads the spill and
/// writes the counts: each thread has its own `SlicePainter` (its canvas); the slices are handed
/// out in order and their counts taken back in the same order, so what is written is what one
/// thread writes. At most `window` slices are out at once, and their payloads at most
/// `byteWindow` jobs of `MeasureJoin`'s job limit (memory: those, plus a canvas per thread): a
/// wide window of small slices keeps the painters fed while the calling thread merges or writes.
final class SlicePainters: @unchecked Sendable {
    private let monitor = Monitor(conditions: 2)
    private static var jobReady: Int { 0 }
    private static var countsReady: Int { 1 }
    let window: Int
    /// Most payloads out at once, in jobs of the job limit.
    let byteWindow: Int
    private var jobs: [Int: SliceJob] = [:]
    private var counts: [Int: SliceCounts] = [:]
    private var submitted = 0, taken = 0, collected = 0
    /// Payload bytes of the slices out (handed out, counts not taken back).
    private var bytesOut = 0
    private var bytesOfSlice: [Int: Int] = [:]
    private var stopped = false
    private var threads: [JoinableThread] = []

    /// Starts up to `count` painters, each with a sweep like `sweep`; throws when none starts.
    init(count: Int, sweep: SliceSweep) throws {
        window = 16 * count
        byteWindow = 2 * count
        let template = SweepTemplate(sweep)
        for _ in 0..<count {
            do {
                threads.append(try JoinableThread { [self] in serve(SlicePainter(sweep: template.make())) })
            } catch {
                if self.threads.isEmpty { throw error }
                break
            }
        }
    }

    /// Whether a slice of `bytes` payload bytes may be handed out now (see `window`, `byteWindow`):
    /// always when none is out.
    func hasRoom(for bytes: Int, jobLimit: Int) -> Bool {
        monitor.withLock { submitted == collected || (submitted - collected < window && bytesOut + bytes <= byteWindow * jobLimit) }
    }

    /// Hands out a slice (call when `hasRoom` for it).
    func submit(_ job: SliceJob) {
        monitor.withLock {
            jobs[submitted] = job
            bytesOfSlice[submitted] = job.bytes.count
            bytesOut += job.bytes.count
            submitted += 1
            monitor.signal(Self.jobReady)
        }
    }

    /// The counts of the oldest slice out, waiting for them; nil when none is out.
    func next() -> SliceCounts? {
        monitor.withLock {
            guard collected < submitted else { return nil }
            while counts[collected] == nil { monitor.wait(Self.countsReady) }
            return collect(counts.removeValue(forKey: collected))
        }
    }

    /// The counts of the oldest slice out if they are ready.
    func ready() -> SliceCounts? {
        monitor.withLock {
            guard collected < submitted, let result = counts.removeValue(forKey: collected) else { return nil }
            return collect(result)
        }
    }

    /// The oldest slice's counts taken back (under the lock).
    private func collect(_ result: SliceCounts?) -> SliceCounts? {
        bytesOut -= bytesOfSlice.removeValue(forKey: collected) ?? 0
        collected += 1
        return result
    }

    /// Stops the threads (slices not started are dropped) and waits for them to end.
    func stop() {
        monitor.withLock {
            stopped = true
            monitor.broadcast(Self.jobReady)
        }
        for thread in threads { thread.join() }
        threads = []
    }

    /// A painter's thread: takes the slices in order and paints them until stopped.
    private func serve(_ painter: SlicePainter) {
        var painter = painter
        while true {
            let item: (Int, SliceJob)? = monitor.withLock {
                while !stopped && taken == submitted { monitor.wait(Self.jobReady) }
                guard !stopped, let job = jobs.removeValue(forKey: taken) else { return nil }
                taken += 1
                return (taken - 1, job)
            }
            guard let (number, job) = item else { return }
            let result = painter.paint(job)
            monitor.withLock {
                counts[number] = result
                monitor.broadcast(Self.countsReady)
            }
        }
    }
}

/// What a painter's sweep is made from, to be handed to its thread.
private struct SweepTemplate: Sendable {
    let objectCount: Int, categoryCount: Int
    let categoriesOfObject: ObjectCategories

    init(_ sweep: SliceSweep) {
        objectCount = sweep.objects.area.count
        categoryCount = sweep.categories.area.count
        categoriesOfObject = sweep.categoriesOfObject
    }

    func make() -> SliceSweep {
        SliceSweep(objectCount: objectCount, categoryCount: categoryCount, categoriesOfObject: categoriesOfObject)
    }
}
