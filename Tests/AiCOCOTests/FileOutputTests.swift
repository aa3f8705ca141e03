import Foundation
import Testing
@testable import AiCOCO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `FileOutput`'s flat buffer: bytes, slices, single bytes, decimals and numbers appended in
/// place, flushed as it fills, large writes straight out; whole lines; gzip; a closed pipe.
@Suite("FileOutput: appends into a flat buffer, whole lines, gzip, a closed pipe")
struct FileOutputTests {
    /// A fresh path in the temporary directory, removed after `body`.
    private func withPath<T>(_ body: (String) throws -> T) rethrows -> T {
        let path = NSTemporaryDirectory() + "aicoco-fileoutput-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }

    /// What `body` writes through an output of `capacity` bytes, read back from the file.
    private func written(capacity: Int, _ body: (FileOutput) throws -> Void) throws -> String {
        try withPath { path in
            do {
                let output = try FileOutput(path: path, capacity: capacity)
                try body(output)
                try output.flush()
            }
            return try String(contentsOfFile: path, encoding: .utf8)
        }
    }

    @Test("decimals and numbers as JSON writes them, bytes and slices as given")
    func formatting() throws {
        let values = [0, 7, -7, 10, 99, 100, 12_345, -1_000_000, Int(1) << 53, Int.max, Int.min]
        let numbers = [0.5, -0.0, 2.0, 1e300, -1.25e-7, 0.1 + 0.2, 3e15]
        let text = try written(capacity: 1 << 16) { output in
            for value in values { try output.write(decimal: value); try output.write(byte: 44) }
            for number in numbers { try output.write(number: number); try output.write(byte: 44) }
            try output.write(Array("head,".utf8))
            try output.write(Array("0123456789".utf8), 3..<6)
        }
        let expected = values.map(String.init).joined(separator: ",") + "," + numbers.map { JSONText.number($0) }.joined(separator: ",") + ",head,345"
        #expect(text == expected)
    }

    @Test("a small buffer flushes as it fills; text longer than the buffer goes straight out, in order", arguments: [1, 64, 100])
    func smallBuffer(capacity: Int) throws {
        var expected = ""
        let long = String(repeating: "abcdefghij", count: 40)
        let text = try written(capacity: capacity) { output in
            for row in 0..<500 {
                try output.write(Array("row,".utf8))
                try output.write(decimal: row * 7919)
                try output.write(number: Double(row) / 8)
                if row % 50 == 0 { try output.write(long) }
                try output.write(byte: 10)
                expected += "row,\(row * 7919)\(JSONText.number(Double(row) / 8))\(row % 50 == 0 ? long : "")\n"
            }
        }
        #expect(text == expected)
    }

    /// Whether SIGINT is blocked in this thread.
    private func signalsHeld() -> Bool {
        var current = sigset_t()
        pthread_sigmask(SIG_BLOCK, nil, &current)
        return sigismember(&current, SIGINT) == 1
    }

    @Test("whole lines: the file ends on a newline after every write, unless a line longer than the buffer is under way (signals held back meanwhile)")
    func wholeLines() throws {
        let capacity = 64
        var generator = SystemRandomNumberGenerator()
        var expected: [UInt8] = []
        var partialSeen = false
        // The signals start let through in this thread (the process may hold them back elsewhere).
        var previous = sigset_t(), terminating = sigset_t()
        sigemptyset(&terminating)
        sigaddset(&terminating, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &terminating, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try withPath { path in
            /// What is on disk: a prefix of what was written, cut within a line only when that
            /// line is longer than the buffer, and then only with the signals held back.
            func checkDisk() throws {
                let disk = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
                #expect(Array(expected.prefix(disk.count)) == disk)
                let partial = disk.last.map { $0 != 10 } ?? false
                if partial {
                    let start = (disk.lastIndex(of: 10) ?? -1) + 1
                    let end = expected[start...].firstIndex(of: 10) ?? expected.count
                    #expect(end - start >= capacity)
                }
                #expect(partial == signalsHeld())
                partialSeen = partialSeen || partial
            }
            do {
                let output = try FileOutput(path: path, capacity: capacity)
                output.wholeLines = true
                for line in 0..<600 {
                    let length = line % 97 == 0 ? Int.random(in: 100...300, using: &generator) : Int.random(in: 0...50, using: &generator)
                    var text = (0..<length).map { UInt8(97 + ($0 + line) % 26) }
                    text.append(10)
                    var at = 0
                    while at < text.count {
                        // Pieces of the line, in each of the ways to write.
                        let piece = min(text.count - at, Int.random(in: 1...40, using: &generator))
                        switch (line + at) % 3 {
                        case 0: try output.write(text, at..<at + piece)
                        case 1: try text[at..<at + piece].forEach { try output.write(byte: $0) }
                        default: try output.write(Array(text[at..<at + piece]))
                        }
                        expected += text[at..<at + piece]
                        at += piece
                        try checkDisk()
                    }
                    // A decimal and a number as whole lines too.
                    try output.write(decimal: line * 1_000_003)
                    try output.write(byte: 44)
                    try output.write(number: Double(line) / 3)
                    try output.write(byte: 10)
                    expected += Array("\(line * 1_000_003),\(JSONText.number(Double(line) / 3))\n".utf8)
                    try checkDisk()
                }
                try output.flush()
                #expect(!signalsHeld())
            }
            #expect(partialSeen)
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == expected)
        }
    }

    @Test("compressing: what is written after `compressing()` comes back from the gzip stream, whatever the piece sizes")
    func gzip() throws {
        var expected: [UInt8] = []
        let got: [UInt8] = try withPath { path in
            do {
                let output = try FileOutput(path: path, capacity: 256)
                try output.compressing()
                for row in 0..<20_000 {
                    try output.write(Array("row \(row) ".utf8))
                    try output.write(decimal: row &* 2_654_435_761 % 1_000_003)
                    if row % 1000 == 0 { try output.write(String(repeating: "x", count: 1000)) }
                    try output.write(byte: 10)
                    expected += Array("row \(row) \(row &* 2_654_435_761 % 1_000_003)\(row % 1000 == 0 ? String(repeating: "x", count: 1000) : "")\n".utf8)
                }
                try output.finishCompressing()
            }
            let raw = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(raw.prefix(2) == Data([0x1F, 0x8B]))
            let reader = try FileInput(path: path).decompressing()
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = try chunk.withUnsafeMutableBytes { try reader.read(into: $0) }
                if count == 0 { break }
                bytes += chunk[0..<count]
            }
            return bytes
        }
        #expect(got == expected)
    }

    @Test("single bytes to a pipe whose reader went away: FileOutput.Closed once the buffer fills", arguments: [false, true])
    func brokenPipeBytes(wholeLines: Bool) throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        close(ends[0])
        StandardStreams.ignoreBrokenPipe()
        let before = signalsHeld()
        let output = FileOutput(descriptor: ends[1], capacity: 64, closesDescriptor: true)
        output.wholeLines = wholeLines
        #expect(throws: FileOutput.Closed.self) {
            for index in 0..<1000 { try output.write(byte: index % 10 == 9 ? 10 : 65) }
        }
        // Signals held back for the write are let through again on the error.
        #expect(signalsHeld() == before)
    }
}
