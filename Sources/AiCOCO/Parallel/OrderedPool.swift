/// The shared state of a bounded pool of work done in any order and handed over in order: items
/// `0..<count` are taken in index order by worker threads (and, when it wants, by the calling
/// thread), and their results go to the calling thread in index order, each as soon as it and
/// every one before it are done. At most `window` items are taken and not yet handed over, so
/// memory stays bounded by the results' sizes. (`runInOrder`, `OrderedSplitParse`.)
final class OrderedPool<Result>: @unchecked Sendable {
    private let monitor = Monitor(conditions: 2)
    private static var resultReady: Int { 0 }
    private static var roomFreed: Int { 1 }
    let count: Int
    let window: Int
    private var next = 0
    private var handedOver = 0
    private var stopped = false
    private var ended = 0
    private var results: [Int: Result] = [:]

    init(count: Int, window: Int) {
        self.count = count
        self.window = window
    }

    /// A worker's next item, once there is room for its result; nil when none is left or the
    /// pool was stopped.
    func take() -> Int? {
        monitor.withLock {
            while !stopped, next < count, next >= handedOver + window { monitor.wait(Self.roomFreed) }
            guard !stopped, next < count else { return nil }
            next += 1
            return next - 1
        }
    }

    /// The result of item `index`.
    func post(_ result: Result, at index: Int) {
        monitor.withLock {
            results[index] = result
            monitor.broadcast(Self.resultReady)
        }
    }

    /// A worker thread has ended.
    func workerEnded() {
        monitor.withLock {
            ended += 1
            monitor.broadcast(Self.resultReady)
        }
    }

    enum Step {
        /// The next result in order (its room is freed).
        case handOver(Int, Result)
        /// An item for the calling thread to do (`post` its result).
        case work(Int)
        /// Every result was handed over, or the pool was stopped.
        case finished
    }

    /// The calling thread's next step: the next result in order when it is done, else, when
    /// `callerWorks`, an item to do when there is room, else wait.
    func nextStep(callerWorks: Bool) -> Step {
        monitor.withLock {
            while true {
                if stopped || handedOver == count { return .finished }
                if let result = results.removeValue(forKey: handedOver) {
                    handedOver += 1
                    monitor.broadcast(Self.roomFreed)
                    return .handOver(handedOver - 1, result)
                }
                if callerWorks, next < count, next < handedOver + window {
                    next += 1
                    return .work(next - 1)
                }
                monitor.wait(Self.resultReady)
            }
        }
    }

    /// Whether every result was handed over.
    var allHandedOver: Bool { monitor.withLock { handedOver == count } }

    /// Stops the pool: no item is taken any more (those being done are finished).
    func stop() {
        monitor.withLock {
            stopped = true
            monitor.broadcastAll()
        }
    }

    /// Stops the pool and waits until `workers` worker threads have ended.
    func stopAndWait(forWorkers workers: Int) {
        stop()
        monitor.withLock { while ended < workers { monitor.wait(Self.resultReady) } }
    }
}
