import Foundation
import Testing
@testable import AiCOCO

/// Progress of a parse split among threads: the bytes every thread has finished, reported on the
/// calling thread (the progress line is not shared), rising to the file's size as stretches are
/// done, not only while the calling thread reads the document around them.
@Suite struct SplitProgressTests {
    /// A generated noisy document written to a temporary file; its path and size.
    private static func file(_ name: String, seed: UInt64) throws -> (path: String, size: Int) {
        let bytes = generate(bytes: 400_000, seed: seed).bytes
        let path = NSTemporaryDirectory() + "h-parallel-progress-\(getpid())-\(name)"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, bytes.count)
    }

    /// Stretches of 8 KB on any file: some fifty of them.
    private static func split(_ threads: Int) -> SplitOptions {
        var split = SplitOptions(threads: threads)
        split.stretchBytes = 8_000
        split.minimumBytes = 0
        return split
    }

    /// Collects the reports, checking each is made on the thread that started the parse.
    private final class Reports: @unchecked Sendable {
        let caller = pthread_self()
        var values: [Int] = []
        var offThread = 0

        func add(_ bytes: Int) {
            if pthread_equal(pthread_self(), caller) == 0 { offThread += 1 }
            values.append(bytes)
        }
    }

    /// The reports never fall, end at the file's size, and pass through the middle of the file
    /// (the stretches, which the workers read, are most of it).
    private static func expectAdvancing(_ reports: Reports, size: Int, _ what: String) {
        let values = reports.values
        #expect(reports.offThread == 0, "\(what): \(reports.offThread) reports from another thread")
        #expect(values.last == size, "\(what): last report \(values.last ?? -1) of \(size)")
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 }, "\(what): a report fell: \(values)")
        let middle = values.filter { $0 > size / 4 && $0 < size * 3 / 4 }
        #expect(middle.count >= 3, "\(what): few reports in the middle of the file: \(values)")
    }

    @Test(arguments: [2, 3])
    func splitParseAdvancesWithTheStretches(threads: Int) throws {
        let (path, size) = try Self.file("parse-\(threads)", seed: 11)
        defer { unlink(path) }
        let reports = Reports()
        let result = try parseSplitting(.file(path), visitor: SplitTestVisitor(), split: Self.split(threads),
                                        progress: reports.add)
        #expect(result.split, "the file was not split")
        Self.expectAdvancing(reports, size: size, "stats, \(threads) threads")
    }

    @Test(arguments: [2, 3])
    func splitValidationAdvancesWithTheStretches(threads: Int) throws {
        let (path, size) = try Self.file("check-\(threads)", seed: 12)
        defer { unlink(path) }
        let reports = Reports()
        let verdict = try checkSplitting(.file(path), options: DocumentParsing.Options(validate: true),
                                         split: Self.split(threads), progress: reports.add)
        #expect(verdict?.bytes == size, "the file was not checked split")
        Self.expectAdvancing(reports, size: size, "validate, \(threads) threads")
    }

    @Test(arguments: [2, 3])
    func splitRecordLinesAdvanceWithTheStretches(threads: Int) throws {
        let (path, size) = try Self.file("lines-\(threads)", seed: 13)
        defer { unlink(path) }
        let reports = Reports()
        var written = 0
        let options = RecordReader.Options(parser: DocumentParsing.Options(validate: true))
        let stopped = try writeRecordLinesSplitting(.file(path), options: options, envelope: false, sections: [.annotations],
                                                    split: Self.split(threads), progress: reports.add) { written += $0.count }
        #expect(stopped == nil && written > 0, "the lines were not all written split")
        Self.expectAdvancing(reports, size: size, "records, \(threads) threads")
    }
}
