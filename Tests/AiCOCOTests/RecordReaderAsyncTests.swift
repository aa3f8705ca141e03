import Foundation
import Testing
@testable import AiCOCO

/// A reader of an asynchronous sequence of chunks is read by awaiting: no thread is blocked on a
/// task to turn it into a synchronous one (issue 22).
@Suite("record reader of an asynchronous sequence")
struct RecordReaderAsyncTests {
    static func document() throws -> [UInt8] {
        Array(try Data(contentsOf: Paths.flavor.appendingPathComponent("flavor-detection.json")))
    }

    @Test("next() on an asynchronous source throws at once and says what to use; nextAsync() reads it all")
    func synchronousNextRefused() async throws {
        let bytes = try Self.document()
        let expected = try collect(RecordReader(.bytes(bytes)))
        #expect(!expected.isEmpty)
        let reader = RecordReader(chunks: ChunkSequence(bytes: bytes, size: 777))
        #expect { _ = try reader.next() } throws: { error in
            (error as? DocumentError).map { $0.kind == .io && $0.message.contains("nextAsync()") } ?? false
        }
        var records: [Record] = []
        while let record = try await reader.nextAsync() { records.append(record) }
        #expect(records == expected)
    }

    private func collect(_ reader: RecordReader) throws -> [Record] {
        var records: [Record] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }
}
