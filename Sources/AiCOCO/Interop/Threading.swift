// A lock, condition variables and threads from pthreads.
import Glibc

/// A mutex with condition variables, for hand-offs between threads.
package final class Monitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let conditions: UnsafeMutablePointer<pthread_cond_t>
    private let conditionCount: Int

    /// A monitor with `count` condition variables.
    package init(conditions count: Int) {
        pthread_mutex_init(mutex, nil)
        conditionCount = count
        conditions = .allocate(capacity: count)
        for index in 0..<count { pthread_cond_init(conditions + index, nil) }
    }

    deinit {
        for index in 0..<conditionCount { pthread_cond_destroy(conditions + index) }
        pthread_mutex_destroy(mutex)
        conditions.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the lock held.
    package func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits on condition `index`; call with the lock held (inside `withLock`).
    package func wait(_ index: Int) {
        pthread_cond_wait(conditions + index, mutex)
    }

    /// Wakes one thread waiting on condition `index`.
    package func signal(_ index: Int) {
        pthread_cond_signal(conditions + index)
    }

    /// Wakes every thread waiting on condition `index`.
    package func broadcast(_ index: Int) {
        pthread_cond_broadcast(conditions + index)
    }

    /// Wakes every thread waiting on any condition (a stop or a failure that all must see).
    package func broadcastAll() {
        for index in 0..<conditionCount { pthread_cond_broadcast(conditions + index) }
    }
}

/// Runs `body` on a new detached thread (pthreads); throws when no thread can be started.
func startDetachedThread(_ body: @escaping @Sendable () -> Void) throws {
    try JoinableThread(body).detach()
}

/// A thread (pthreads) running a body, to be waited for with `join`.
package final class JoinableThread: @unchecked Sendable {
    private var thread: pthread_t?

    /// Starts `body` on a new thread; throws when no thread can be started.
    package init(_ body: @escaping @Sendable () -> Void) throws {
        final class Body: @unchecked Sendable {
            let run: @Sendable () -> Void
            init(_ run: @escaping @Sendable () -> Void) { self.run = run }
        }
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var handle = pthread_t()
        // The new thread starts with SIGINT, SIGTERM and SIGHUP blocked (a thread inherits its
        // creator's mask): they reach a thread of the caller's, never one that cannot see a
        // name being registered (`TerminationCleanup.creating` blocks them in its own thread only).
        var previous = sigset_t()
        TerminationCleanup.block(saving: &previous)
        defer { TerminationCleanup.restore(&previous) }
        let status = pthread_create(&handle, nil, { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw DocumentError.io("cannot start a thread", Errno(rawValue: status))
        }
        thread = handle
    }

    /// Lets the thread run on its own: it cannot be joined any more.
    func detach() {
        guard let thread else { return }
        self.thread = nil
        pthread_detach(thread)
    }

    /// Waits for the body to return (once; later calls return at once).
    package func join() {
        guard let thread else { return }
        self.thread = nil
        pthread_join(thread, nil)
    }
}
