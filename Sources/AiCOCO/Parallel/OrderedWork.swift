/// Runs `work(0..<count)` on up to `threads` threads and hands each result to `emit` on the
/// calling thread in index order, as soon as it and every result before it are done
/// (`aicoco validate FILE...`, `stats FILE...`: reports in argument order). At most
/// `2 * threads` results are ahead of the one being emitted, so memory stays bounded by the
/// results' sizes. `emit` returning false stops the work: items not yet started are skipped,
/// running ones finish, and this returns once every thread has ended.
package func runInOrder<Result: Sendable>(count: Int, threads: Int,
                                          work: @escaping @Sendable (Int) -> Result,
                                          emit: (Int, Result) -> Bool) {
    guard count > 0 else { return }
    let threads = max(1, min(threads, count))
    if threads == 1 {
        for index in 0..<count where !emit(index, work(index)) { return }
        return
    }
    let pool = OrderedPool<Result>(count: count, window: 2 * threads)
    var started = 0
    for _ in 0..<threads {
        let begun = try? startDetachedThread {
            while let index = pool.take() { pool.post(work(index), at: index) }
            pool.workerEnded()
        }
        guard begun != nil else { break }
        started += 1
    }
    if started == 0 {
        for index in 0..<count where !emit(index, work(index)) { return }
        return
    }
    defer { pool.stopAndWait(forWorkers: started) }
    while case .handOver(let index, let result) = pool.nextStep(callerWorks: false), emit(index, result) {}
}
