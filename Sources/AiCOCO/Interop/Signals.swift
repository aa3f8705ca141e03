// The signals that end the process (SIGINT, SIGTERM, SIGHUP): names on disk removed when one
// arrives, signals the process inherited as ignored left ignored, and windows where they wait.
import Glibc

/// Files that must not outlive the process (temporary files beside an output): while one is
/// registered, SIGINT, SIGTERM and SIGHUP remove every registered name, then end the process by
/// the same signal, as it would have ended. A signal the process inherited as ignored (`nohup`,
/// a background job of a non-interactive shell) stays ignored. The handler only calls
/// async-signal-safe functions (unlink, sigaction, raise) on memory that is never freed.
package enum TerminationCleanup {
    static let signals = [SIGINT, SIGTERM, SIGHUP]
    static let slots = 1024
    static let capacity = Int(PATH_MAX) + 1
    nonisolated(unsafe) static let names = UnsafeMutablePointer<CChar>.allocate(capacity: slots * capacity)
    /// Non-zero for a slot whose name is to be removed.
    nonisolated(unsafe) static let armed: UnsafeMutablePointer<sig_atomic_t> = {
        let flags = UnsafeMutablePointer<sig_atomic_t>.allocate(capacity: slots)
        flags.initialize(repeating: 0, count: slots)
        return flags
    }()
    /// The dispositions the process started with, read once before any handler is set: which
    /// signals were ignored.
    static let inheritedIgnored: [Bool] = signals.map { number in
        var current = sigaction()
        sigaction(number, nil, &current)
        return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
    }
    nonisolated(unsafe) static var handlerInstalled = false
    nonisolated(unsafe) private static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        return mutex
    }()

    /// Reads the inherited dispositions now (call first thing in `main`, before anything sets a
    /// handler; later calls do nothing).
    package static func noteInheritedDispositions() { _ = inheritedIgnored }

    /// Unblocks the terminating signals in the calling thread (call in `main`, before any thread
    /// starts). A blocked mask is inherited: a parent whose thread blocked them (a test runner,
    /// a thread pool) would otherwise leave the process deaf to `timeout`, `kill` and ^C until
    /// it first writes a file beside an output. Ignored signals (`nohup`) stay ignored.
    package static func unblockInherited() {
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals { sigaddset(&set, number) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// Blocks the terminating signals in the calling thread; the mask before goes to `previous`.
    package static func block(saving previous: inout sigset_t) {
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals { sigaddset(&set, number) }
        pthread_sigmask(SIG_BLOCK, &set, &previous)
    }

    /// Restores a mask saved by `block`.
    package static func restore(_ previous: inout sigset_t) {
        pthread_sigmask(SIG_SETMASK, &previous, nil)
    }

    /// Runs `body` with the terminating signals blocked in the calling thread: one that arrives
    /// meanwhile is handled once `body` returns. For renames that go together (a volume and its
    /// table): a signal cannot fall between them.
    package static func deferringSignals<T>(_ body: () throws -> T) rethrows -> T {
        var previous = sigset_t()
        block(saving: &previous)
        defer { restore(&previous) }
        return try body()
    }

    /// Creates a file with `create` (which returns its descriptor and path, or throws) and
    /// registers its name, with the signals blocked in between so that no signal can leave the
    /// name behind. Returns the descriptor, the path and the slot for `unregister`. Then the
    /// signals are unblocked, even if a parent had blocked them (the mask is inherited): from
    /// now on they reach the handler, a pending one at once.
    static func creating(_ create: () throws -> (Int32, String)) throws -> (descriptor: Int32, path: String, slot: Int) {
        var previous = sigset_t()
        block(saving: &previous)
        defer {
            var set = sigset_t()
            sigemptyset(&set)
            for number in signals { sigaddset(&set, number) }
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
        }
        let (descriptor, path) = try create()
        guard let slot = register(path) else {
            unlink(path)
            close(descriptor)
            throw DocumentError.io("cannot create \(path): more than \(slots) files being written at once")
        }
        return (descriptor, path, slot)
    }

    /// `creating` a new file of a unique name, `prefix` and six characters (`mkstemp`);
    /// `failure` makes the error of a file that cannot be created.
    static func creatingUnique(prefix: String, failure: (Errno) -> DocumentError) throws -> (descriptor: Int32, path: String, slot: Int) {
        try creating {
            switch makeUniqueFile(prefix: prefix) {
            case .success(let file): return file
            case .failure(let error): throw failure(error)
            }
        }
    }

    /// Registers `path` for removal on a terminating signal; nil when every slot is taken.
    static func register(_ path: String) -> Int? {
        _ = inheritedIgnored
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        guard let slot = (0..<slots).first(where: { armed[$0] == 0 }) else { return nil }
        let target = names + slot * capacity
        let bytes = Array(path.utf8CString.prefix(capacity))
        for (index, byte) in bytes.enumerated() { target[index] = byte }
        target[capacity - 1] = 0
        armed[slot] = 1
        if !handlerInstalled {
            handlerInstalled = true
            for (index, number) in signals.enumerated() where !inheritedIgnored[index] {
                var action = sigaction()
                action.__sigaction_handler.sa_handler = { received in
                    for slot in 0..<TerminationCleanup.slots where TerminationCleanup.armed[slot] != 0 {
                        unlink(TerminationCleanup.names + slot * TerminationCleanup.capacity)
                    }
                    signal(received, SIG_DFL)
                    raise(received)
                }
                sigemptyset(&action.sa_mask)
                for other in signals { sigaddset(&action.sa_mask, other) }
                action.sa_flags = SA_RESTART
                sigaction(number, &action, nil)
            }
        }
        return slot
    }

    /// The name in `slot` is no longer to be removed (renamed into place, or removed already).
    /// The handler stays: with no slot armed it only ends the process as the default would.
    static func unregister(_ slot: Int) {
        pthread_mutex_lock(lock)
        armed[slot] = 0
        pthread_mutex_unlock(lock)
    }
}
