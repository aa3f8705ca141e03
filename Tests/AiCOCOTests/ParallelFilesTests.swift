import Foundation
import Testing
@testable import AiCOCO

/// `--threads` over several files: the same reports, in argument order, as one thread.
@Suite struct ParallelFilesTests {
    @Test func resultsComeInOrderWhateverTheThreads() {
        for threads in [1, 2, 5] {
            var seen: [Int] = []
            runInOrder(count: 40, threads: threads, work: { index in
                // Later items finish first: the order must come from the emitter, not the workers.
                usleep(UInt32((40 - index) % 7) * 300)
                return index * 3
            }, emit: { index, value in
                seen.append(value)
                #expect(value == index * 3)
                return true
            })
            #expect(seen == (0..<40).map { $0 * 3 })
        }
    }

    @Test func stoppingEmitsNothingMore() {
        var seen: [Int] = []
        runInOrder(count: 100, threads: 3, work: { $0 }, emit: { index, _ in
            seen.append(index)
            return index < 4
        })
        #expect(seen == [0, 1, 2, 3, 4])
    }

    @Test func coresAreCounted() {
        #expect(availableCoreCount() >= 1)
    }

    /// Every fixture, broken ones, a missing file and standard input, in one call.
    private var files: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Paths.broken.path)) ?? []
        return Paths.goodFixtures.map(Paths.fixture)
            + names.sorted().map { Paths.broken.appendingPathComponent($0).path }
            + ["/nonexistent/h-parallel.json", "-"]
    }

    /// Drops the timing fields, which differ between runs.
    private func untimed(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            if line.hasPrefix("elapsed:") { return "elapsed:" }
            guard let start = line.range(of: ",\"elapsed_seconds\":") else { return String(line) }
            let end = line.range(of: ",\"mb_per_second\":", range: start.upperBound..<line.endIndex)!
            let after = line[end.upperBound...].drop(while: { $0 == "." || $0.isNumber })
            return String(line[..<start.lowerBound] + after)
        }.joined(separator: "\n")
    }

    @Test(arguments: [["validate"], ["validate", "--format", "json"], ["validate", "--max-errors", "1"],
                      ["stats"], ["stats", "--json"]])
    func manyFilesGiveTheSameReports(command: [String]) throws {
        let input = try Paths.bytes(Paths.fixture("detection.json"))
        let one = try Tool.run(command + ["--threads", "1"] + files, input: input)
        #expect(one.stdout.contains("detection.json"))
        for threads in ["2", "4"] {
            let many = try Tool.run(command + ["--threads", threads] + files, input: input)
            #expect(many.status == one.status)
            #expect(untimed(many.stdout) == untimed(one.stdout))
            #expect(many.stderr == one.stderr)
        }
        #expect(one.status == 2)
    }

    @Test func aBadThreadCountIsAUsageError() throws {
        let result = try Tool.run(["stats", "--threads", "-2", Paths.fixture("minimal.json")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("threads"))
    }
}
