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

    /// Standard input named twice is read once, whole, by the first `-` (files are read at once
    /// only when each is a regular file): the same reports as one thread.
    @Test func standardInputTwiceIsReadInTurn() throws {
        let input = try Tool.run(["generate", "--bytes", "3M"])
        #expect(input.status == 0)
        let bytes = Array(input.stdout.utf8)
        let one = try Tool.run(["stats", "--json", "--threads", "1", "-", "-"], input: bytes)
        #expect(one.stdout.contains("\"file\":\"-\""))
        for _ in 0..<3 {
            let two = try Tool.run(["stats", "--json", "--threads", "2", "-", "-"], input: bytes)
            #expect(two.status == one.status)
            #expect(untimed(two.stdout) == untimed(one.stdout))
            #expect(two.stderr == one.stderr)
        }
    }

    @Test func aBadThreadCountIsAUsageError() throws {
        let result = try Tool.run(["stats", "--threads", "-2", Paths.fixture("minimal.json")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("threads"))
        let zero = try Tool.run(["stats", "--threads", "0", Paths.fixture("minimal.json")])
        #expect(zero.status == 2 && zero.stdout.isEmpty)
        #expect(zero.stderr.contains("The value '0' is invalid for '--threads <count>'"), "\(zero.stderr)")
    }

    /// One file split among threads (stretches of a few KiB, so that there are many): the same
    /// output, errors and exit code as one thread, byte for byte (stats' timing fields aside), on
    /// generated shapes, the fixtures, a file cut short and one with a dangling reference deep
    /// in `annotations`.
    @Test(arguments: [["stats"], ["stats", "--json"], ["validate"], ["validate", "--format", "json"],
                      ["records"], ["records", "--section", "annotations"],
                      ["convert", "--to", "coco", "--image-size", "512x512"],
                      ["convert", "--to", "coco", "--image-size", "512x512", "--pretty", "--segmentation", "rle"]])
    func oneFileSplitGivesTheSameOutput(command: [String]) throws {
        var paths: [String] = []
        let tag = command.joined(separator: "-")
        for (number, shape) in ["noisy", "smooth", "detection"].enumerated() {
            let path = NSTemporaryDirectory() + "h-parallel-\(tag)-\(getpid())-\(shape).json"
            let generated = try Tool.run(["generate", "--bytes", "300k", "--seed", "\(number)", "--shape", shape,
                                          "--output", path] + (number == 1 ? ["--pretty"] : []))
            #expect(generated.status == 0)
            paths.append(path)
        }
        let noisy = try Paths.bytes(paths[0])
        let cut = NSTemporaryDirectory() + "h-parallel-\(tag)-\(getpid())-cut.json"
        try Data(noisy[..<(noisy.count * 2 / 3)]).write(to: URL(fileURLWithPath: cut))
        let dangling = NSTemporaryDirectory() + "h-parallel-\(tag)-\(getpid())-dangling.json"
        var text = String(decoding: noisy, as: UTF8.self)
        let imageID = text.range(of: "\"image_id\":\"", range: text.index(text.startIndex, offsetBy: noisy.count / 2)..<text.endIndex)!
        text.replaceSubrange(imageID.upperBound..<text.index(imageID.upperBound, offsetBy: 3), with: "~~~")
        try Data(text.utf8).write(to: URL(fileURLWithPath: dangling))
        paths += [cut, dangling]
        defer { paths.forEach { unlink($0) } }
        for path in paths + Paths.goodFixtures.map(Paths.fixture) + [Paths.broken.appendingPathComponent("reference-dangling-image-id.json").path] {
            let one = try Tool.run(command + ["--threads", "1", path])
            for (threads, stretch) in [("2", "2k"), ("3", "300")] {
                let split = try Tool.run(command + ["--threads", threads, "--split-bytes", stretch, path])
                #expect(split.status == one.status, "\(path) \(command)")
                #expect(untimed(split.stdout) == untimed(one.stdout), "\(path) \(command)")
                #expect(split.stderr == one.stderr, "\(path) \(command)")
            }
        }
    }
}
