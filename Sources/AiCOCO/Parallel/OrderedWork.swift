/// Runs `work(0..<count)` on up to `threads` threads and hands each result to `emit` on the
/// calling thread in index order, as soon as it and every result before it are done
/// (`aicoco validate FILE...`, `stats FILE...`: reports in argument order). At most
/// `2 * threads` results are ahead of the one being emitted, so memory stays bounded by the
/// results' sizes. `emit` returning false stops the work: items not yet started are skipped,
/// running ones finish, and this returns once every thread has ended.
package func runInOrder<Result: Sendable>(count: Int, threads: Int,
                                          work: @escaping @Sendable (Int) -> Result,
                                          emit: (Int, Result) -> Bool) {
    let run = OrderedRun(count: count, threads: threads, work: work)
    defer { run.stop() }
    run.emit(emit)
}

/// `runInOrder` in two steps: the worker threads start at once and work ahead (at most
/// `window` results, `2 * threads` unless told), the calling thread takes their results in order later (`emit`),
/// doing something else meanwhile (`SkeletonPass` reads the file's head). `stop()` must be
/// called once done (or given up): it waits for the threads to end.
final class OrderedRun<Result: Sendable> {
    private let count: Int
    private let work: @Sendable (Int) -> Result
    private let pool: OrderedPool<Result>?
    /// Worker threads started (0: `emit` does the work itself, in order).
    private var started = 0
    private var stopped = false

    init(count: Int, threads: Int, window: Int? = nil, work: @escaping @Sendable (Int) -> Result) {
        self.count = count
        self.work = work
        let threads = max(1, min(threads, count))
        guard count > 0, threads > 1 else {
            pool = nil
            return
        }
        let pool = OrderedPool<Result>(count: count, window: max(1, window ?? 2 * threads))
        self.pool = pool
        for _ in 0..<threads {
            let begun: Void? = try? startDetachedThread {
                while let index = pool.take() { pool.post(work(index), at: index) }
                pool.workerEnded()
            }
            guard begun != nil else { break }
            started += 1
        }
    }

    /// Hands each result to `emit` in index order until it returns false or every one was handed.
    func emit(_ emit: (Int, Result) -> Bool) {
        guard let pool, started > 0 else {
            for index in 0..<count where !emit(index, work(index)) { return }
            return
        }
        while case .handOver(let index, let result) = pool.nextStep(callerWorks: false), emit(index, result) {}
    }

    /// Stops the work (items not yet started are skipped) and waits for the threads to end.
    func stop() {
        guard !stopped else { return }
        stopped = true
        pool?.stopAndWait(forWorkers: started)
    }

    deinit { stop() }
}
