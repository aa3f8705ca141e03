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
    let queue = OrderedQueue<Result>(count: count, window: 2 * threads)
    var started = 0
    for _ in 0..<threads {
        guard (try? startDetachedThread({ queue.serve(work) })) != nil else { break }
        started += 1
    }
    if started == 0 {
        for index in 0..<count where !emit(index, work(index)) { return }
        return
    }
    queue.emitInOrder(emit, thenWaitFor: started)
}

/// The shared state of `runInOrder`: the next item to take, the results not yet emitted.
private final class OrderedQueue<Result: Sendable>: @unchecked Sendable {
    private let monitor = Monitor(conditions: 2)
    private static var resultReady: Int { 0 }
    private static var roomFreed: Int { 1 }
    private let count: Int
    private let window: Int
    private var next = 0
    private var emitted = 0
    private var stopped = false
    private var ended = 0
    private var results: [Int: Result] = [:]

    init(count: Int, window: Int) {
        self.count = count
        self.window = window
    }

    /// A worker thread: takes items in order while there are some and room for their results.
    func serve(_ work: @Sendable (Int) -> Result) {
        while true {
            let index: Int? = monitor.withLock {
                while !stopped && next < count && next >= emitted + window { monitor.wait(Self.roomFreed) }
                guard !stopped, next < count else { return nil }
                next += 1
                return next - 1
            }
            guard let index else { break }
            let result = work(index)
            monitor.withLock {
                results[index] = result
                monitor.signal(Self.resultReady)
            }
        }
        monitor.withLock {
            ended += 1
            monitor.signal(Self.resultReady)
        }
    }

    /// The calling thread: emits results in order, then waits until the `threads` workers have ended.
    func emitInOrder(_ emit: (Int, Result) -> Bool, thenWaitFor threads: Int) {
        while true {
            let item: (Int, Result)? = monitor.withLock {
                while !stopped, emitted < count, results[emitted] == nil { monitor.wait(Self.resultReady) }
                guard !stopped, emitted < count, let result = results.removeValue(forKey: emitted) else { return nil }
                return (emitted, result)
            }
            guard let (index, result) = item else { break }
            let goOn = emit(index, result)
            monitor.withLock {
                emitted += 1
                if !goOn { stopped = true }
                monitor.broadcast(Self.roomFreed)
            }
        }
        monitor.withLock {
            stopped = true
            monitor.broadcast(Self.roomFreed)
            while ended < threads { monitor.wait(Self.resultReady) }
        }
    }
}
