import Foundation
import Testing
@testable import AiCOCO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("System call errors")
struct ErrnoTests {
    @Test("valueOrErrno retries a call a signal interrupted, and only when asked")
    func retriesOnInterrupt() throws {
        var calls = 0
        let retried = valueOrErrno(retryOnInterrupt: true) { () -> Int in
            calls += 1
            if calls < 3 { errno = EINTR; return -1 }
            return 42
        }
        #expect(try retried.get() == 42)
        #expect(calls == 3)
        calls = 0
        let once = valueOrErrno(retryOnInterrupt: false) { () -> Int in
            calls += 1
            errno = EINTR
            return -1
        }
        #expect(calls == 1)
        #expect(throws: Errno.interrupted) { try once.get() }
    }

    @Test("another failure is returned at once with its errno")
    func failsWithErrno() {
        var calls = 0
        let result = valueOrErrno { () -> Int32 in
            calls += 1
            errno = ENOSPC
            return -1
        }
        #expect(calls == 1)
        #expect(throws: Errno(rawValue: ENOSPC)) { try result.get() }
        #expect(Errno(rawValue: ENOSPC).description == String(cString: strerror(ENOSPC)))
    }

    @Test("an I/O error carries the errno of the failed call, and says it in its message")
    func ioErrorsCarryErrno() throws {
        let path = "/nonexistent-aicoco-fence/input.json"
        do {
            _ = try FileInput(path: path)
            Issue.record("opened a file that does not exist")
        } catch let error as AiCOCOError {
            #expect(error.kind == .io)
            #expect(error.errno == Errno(rawValue: ENOENT))
            #expect(error.message == "cannot open \(path): \(String(cString: strerror(ENOENT)))")
        }
        do {
            _ = try TemporaryFile(directory: "/nonexistent-aicoco-fence")
            Issue.record("created a temporary file in a directory that does not exist")
        } catch let error as AiCOCOError {
            #expect(error.errno == Errno(rawValue: ENOENT))
            #expect(error.message.hasPrefix("cannot create a temporary file in /nonexistent-aicoco-fence (the temporary directory): "))
        }
    }

    @Test("a write to a pipe whose reader went away is OutputClosed, not an I/O error")
    func brokenPipe() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        close(ends[0])
        StandardStreams.ignoreBrokenPipe()
        let output = FileOutput(descriptor: ends[1], capacity: 16, closesDescriptor: true)
        #expect(throws: OutputClosed.self) { try output.write(Array(repeating: 0x41, count: 64)) }
    }
}
