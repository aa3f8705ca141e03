import Foundation
import Testing
@testable import AiCOCO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `TerminationCleanup.creating` blocks the terminating signals in its own thread while a file
/// beside an output is created and registered. A signal sent to the process then goes to any
/// thread that does not block it: before the fix, a worker thread (a split parse's, a pixel
/// pool's, the gzip inflater's) took it and the process ended with the name on disk.
@Suite("Review: a signal while a name is registered, with another thread running")
struct ReviewSignalWindowTests {
    /// Waits for `child` (at most `seconds`); its raw wait status, nil when it did not end.
    static func wait(for child: pid_t, seconds: Double) -> Int32? {
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if waitpid(child, &status, WNOHANG) == child { return status }
            usleep(10_000)
        }
        kill(child, SIGKILL)
        waitpid(child, &status, 0)
        return nil
    }

    @Test("SIGTERM sent to the process between creating the file and registering it, another thread running: the file goes, the process ends by SIGTERM")
    func signalInTheWindow() throws {
        let directory = NSTemporaryDirectory() + "aicoco-signal-window-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/.out.json.aicoco-window"
        let child = fork()
        if child == 0 {
            // The child: the signals open, as in the CLI's main thread (the test runner's
            // threads block them), then one idle thread started as the library starts its threads.
            var unblocked = sigset_t()
            sigemptyset(&unblocked)
            for number in TerminationCleanup.signals { sigaddset(&unblocked, number) }
            pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
            _ = try? JoinableThread { while true { sleep(1) } }
            _ = try? TerminationCleanup.creating {
                let descriptor = open(path, O_CREAT | O_EXCL | O_RDWR, 0o600)
                // A signal to the process (as `kill PID` or a terminal's ^C sends it) while the
                // name is on disk and not yet registered; time for another thread to take it.
                kill(getpid(), SIGTERM)
                usleep(300_000)
                return (descriptor, path)
            }
            // Not reached: the pending signal ends the process once `creating` unblocks it.
            usleep(300_000)
            _exit(0)
        }
        #expect(child > 0)
        let status = try #require(Self.wait(for: child, seconds: 20), "the child did not end")
        // Ended by SIGTERM (the low 7 bits of the wait status), as without the handler.
        #expect(status & 0x7F == SIGTERM, "wait status \(status)")
        #expect(!FileManager.default.fileExists(atPath: path), "\(path) was left behind")
    }
}
