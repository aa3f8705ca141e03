import Foundation
import Testing
@testable import AiCOCO

/// `SpooledOutput`: a later part of an output written by a thread of its own into a temporary
/// file, appended after what the calling thread wrote; its error thrown; a stop ends it early.
struct SpooledOutputTests {
    struct Broken: Error {}

    /// What `body` (on its own thread) writes, after `before`, read back from a file.
    func written(before: [UInt8], body: @escaping (SpooledOutput, FileOutput) throws -> Void) throws -> [UInt8] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spooled-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let spool = try SpooledOutput(body)
        do {
            let output = try FileOutput(path: path, capacity: 64)
            try output.write(before)
            try spool.finish(appendingTo: output)
            try output.flush()
        }
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test("the body's bytes (more than the read buffer, in pieces of every size) come after the caller's, in order")
    func appended() throws {
        let before = Array("scope,id\n".utf8)
        var later: [UInt8] = []
        for line in 0..<20_000 { later.append(contentsOf: "pair,\(line),\(line * 7919 % 1000)\n".utf8) }
        #expect(later.count > 1 << 17)
        let expected = later
        let got = try written(before: before) { _, output in
            var start = 0, size = 1
            while start < expected.count {
                let end = min(expected.count, start + size)
                try output.write(Array(expected[start..<end]))
                start = end
                size = size % 70_000 * 3 + 1
            }
        }
        #expect(got == before + later)
    }

    @Test("nothing written: only the caller's bytes; a body's error is thrown by finish")
    func emptyAndFailing() throws {
        #expect(try written(before: [65, 10]) { _, _ in } == [65, 10])
        #expect(throws: Broken.self) {
            _ = try written(before: [65]) { _, output in
                try output.write([66])
                throw Broken()
            }
        }
    }

    @Test("stop: a body that waits for it ends, and stop returns once it has")
    func stopped() throws {
        let spool = try SpooledOutput { spool, output in
            while !spool.isStopped { try output.write([1]) }
        }
        spool.stop()
        #expect(spool.isStopped)
    }
}
