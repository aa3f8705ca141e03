import Foundation
import Testing

/// A named pipe given as the input path of a command that may split a big regular file among
/// threads: the split's look at the path must not open it (that took the writer, whose next
/// write then failed, and the read in order waited for another writer forever, or read a
/// truncated document), so every run reads the whole document once, as from the file.
@Suite("A FIFO given to the splitting commands is read once, in order")
struct SplitFIFOTests {
    static let commands = ["stats", "validate", "records", "convert --to coco --image-size 512x512",
                           "measure --image-size 512x512"]

    @Test("a FIFO path with --threads 2 and tiny stretches: the file's output, every time", arguments: commands)
    func fifo(command: String) throws {
        let directory = try ThirdRound.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let source = Paths.fixture("segmentation-series.json")
        let file = try ThirdRound.run("\(command) --threads 2 --split-bytes 1K '\(source)' > expected", in: directory)
        ThirdRound.expect(file, status: 0, "\(command) on the file")
        let expected = try Self.output(directory + "/expected", naming: source)
        // The old race lost about one run in three: ten runs make a miss unlikely.
        for round in 0..<10 {
            let run = try ThirdRound.run("\(command) --threads 2 --split-bytes 1K fifo > got",
                                         prefix: "rm -f fifo && mkfifo fifo && (cat '\(source)' > fifo &) &&",
                                         in: directory)
            ThirdRound.expect(run, status: 0, "\(command) on a FIFO, round \(round)")
            let got = try Self.output(directory + "/got", naming: "fifo")
            #expect(got == expected, "\(command) on a FIFO, round \(round)")
        }
    }

    /// A run's output with the input's name as `INPUT` and without `stats`' timing line.
    static func output(_ path: String, naming input: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: input, with: "INPUT")
            .split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("elapsed:") }
            .joined(separator: "\n")
    }
}
