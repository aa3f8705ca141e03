import Foundation
import Testing

// The findings of the third hostile-input round (issue 25), each on a small crafted input from
// Fixtures/hostile/ (scripts/make_hostile_fixtures.py) or one made here at run time. Every run
// goes through /bin/sh under `timeout` (a hang fails, it does not block the suite) and
// /usr/bin/time, so that its peak RSS is checked too.

enum ThirdRound {
    /// Peak RSS allowed to every run here.
    static let maxRSSKiB = 32 * 1024

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var rssKiB: Int
    }

    /// Runs `aicoco ARGUMENTS` (a shell fragment) under `timeout 300` (a hang guard: a debug
    /// build on a loaded machine needs over a minute on some inputs) and `/usr/bin/time`, with
    /// `prefix` before it (e.g. `nohup`), in `directory`.
    static func run(_ arguments: String, prefix: String = "", in directory: String? = nil) throws -> Run {
        let marker = "aicoco-peak-rss-kib="
        var script = ""
        if let directory { script += "cd '\(directory)' && " }
        script += "\(prefix) /usr/bin/time -f '\(marker)%M' timeout -k 10 300 '\(Tool.path)' \(arguments)"
        let result = try Hostile.shell(script)
        var stderr = result.stderr
        var rss = 0
        if let range = stderr.range(of: marker, options: .backwards) {
            rss = Int(stderr[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            stderr = String(stderr[..<range.lowerBound])
        }
        return Run(status: result.status, stdout: result.stdout, stderr: stderr, rssKiB: rss)
    }

    static func fixture(_ name: String) -> String { Hostile.path(name) }

    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "aicoco-third-round-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func contents(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    /// The run exited with `status`, in bounded memory, and (for a failure) with a message placed
    /// `FILE:LINE:COLUMN: KIND error:` or an `aicoco:` I/O message.
    static func expect(_ run: Run, status: Int32, placed: String? = nil, _ comment: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status == status, "\(comment): exit \(run.status): \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.rssKiB > 0 && run.rssKiB < maxRSSKiB, "\(comment): peak RSS \(run.rssKiB) KiB", sourceLocation: sourceLocation)
        if let placed {
            // validate reports on standard output, the others on standard error.
            #expect((run.stdout + run.stderr).contains(placed), "\(comment): \(run.stdout)\(run.stderr)",
                    sourceLocation: sourceLocation)
        }
    }
}

@Suite("Hostile input, third round: strict UTF-8 and \\u escapes (issue 25, item 1)")
struct StrictTextTests {
    static let cases: [(file: String, place: String, words: String)] = [
        ("utf8-overlong.json", ":1:55: syntax error: invalid UTF-8: bytes C0 AF", "overlong"),
        ("utf8-surrogate.json", ":1:55: syntax error: invalid UTF-8: bytes ED A0 80", "surrogate U+D800"),
        ("utf8-above-10ffff.json", ":1:55: syntax error: invalid UTF-8: bytes F4 90 80 80", "above U+10FFFF"),
        ("escape-lone-high.json", ":1:55: syntax error: invalid \\u escape: \\uD800", "lone high surrogate"),
        ("escape-lone-low.json", ":1:55: syntax error: invalid \\u escape: \\uDC00", "lone low surrogate"),
        ("escape-high-then-high.json", ":1:55: syntax error: invalid \\u escape: \\uD800", "lone high surrogate"),
        ("escape-surrogate-ids.json", ":1:19: syntax error: invalid \\u escape: \\uD800", "($.images[0].id)"),
    ]

    @Test("every reading subcommand: a placed syntax error naming the sequence, exit 1",
          arguments: ["validate", "stats", "records", "convert --to coco --image-size 64x64", "filter --index 0...99",
                      "measure --image-size 64x64"])
    func rejected(subcommand: String) throws {
        for (file, place, words) in Self.cases {
            let path = ThirdRound.fixture(file)
            let run = try ThirdRound.run("\(subcommand) '\(path)'")
            ThirdRound.expect(run, status: 1, placed: path + place, "\(subcommand) \(file)")
            #expect((run.stdout + run.stderr).contains(words), "\(subcommand) \(file): \(run.stdout)\(run.stderr)")
        }
    }

    @Test("a proper surrogate pair stays valid, and comes out as its character")
    func properPair() throws {
        let run = try ThirdRound.run("records --section images '\(ThirdRound.fixture("escape-pair-ok.json"))'")
        ThirdRound.expect(run, status: 0, "records escape-pair-ok")
        #expect(run.stdout.contains("\"file_name\":\"\u{1F600}"))
    }

    @Test("the same in a tabular output's artifact: placed on its line in the artifact")
    func inArtifact() throws {
        let path = ThirdRound.fixture("artifact-lone-surrogate.json")
        let run = try ThirdRound.run("validate '\(path)'")
        ThirdRound.expect(run, status: 1, placed: ThirdRound.fixture("artifact-lone-surrogate.jsonl")
                          + ":2:8: syntax error: invalid \\u escape: \\uDC00", "validate artifact")
    }

    @Test("in JSON lines given to assemble: placed on the line")
    func inLines() throws {
        let directory = try ThirdRound.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lines = try ThirdRound.run("records '\(Paths.fixture("detection.json"))' > lines.jsonl", in: directory)
        #expect(lines.status == 0)
        var text = try String(contentsOfFile: directory + "/lines.jsonl", encoding: .utf8).components(separatedBy: "\n")
        text[1] = text[1].replacingOccurrences(of: "\"file_name\":\"", with: "\"file_name\":\"\\udc00")
        try text.joined(separator: "\n").write(toFile: directory + "/bad.jsonl", atomically: true, encoding: .utf8)
        let run = try ThirdRound.run("assemble bad.jsonl", in: directory)
        ThirdRound.expect(run, status: 1, placed: ":2:", "assemble")
        #expect(run.stderr.contains("invalid \\u escape: \\uDC00"), "\(run.stderr)")
    }
}

@Suite("Hostile input, third round: non-regular inputs read twice (issue 25, item 2)")
struct NonRegularInputTests {
    static let subcommands = ["filter --index 0...99", "measure --image-size 512x512",
                              "render --index 1 --image-size 512x512 -o out.svg",
                              "convert --to nifti --image-size 512x512 -o out.nii.gz"]

    @Test("a FIFO and a process substitution: read once, copied, the same output as the file", arguments: subcommands)
    func fifoAndPipe(subcommand: String) throws {
        let directory = try ThirdRound.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let source = Paths.fixture("segmentation-series.json")
        let file = try ThirdRound.run("\(subcommand) '\(source)' > expected", in: directory)
        ThirdRound.expect(file, status: 0, "\(subcommand) on the file")
        let written = subcommand.contains("-o out") ? (subcommand.contains("svg") ? "out.svg" : "out.labels.json") : "expected"
        /// The output, without render's title (which names the input).
        func output(_ name: String) throws -> String {
            let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            return text.replacingOccurrences(of: "<title>[^<]*</title>", with: "", options: .regularExpression)
        }
        let expected = try output(written)
        let fifo = try ThirdRound.run("\(subcommand) fifo > got", prefix: "mkfifo fifo && (cat '\(source)' > fifo &) &&", in: directory)
        ThirdRound.expect(fifo, status: 0, "\(subcommand) on a FIFO")
        let gotFifo = try output(written == "expected" ? "got" : written)
        #expect(gotFifo == expected, "\(subcommand) on a FIFO")
        let pipe = try Hostile.shell("cd '\(directory)' && timeout 60 bash -c \"'\(Tool.path)' \(subcommand) <(cat '\(source)') > got2\"")
        #expect(pipe.status == 0, "\(subcommand) on <(cat FILE): \(pipe.stderr)")
        let gotPipe = try output(written == "expected" ? "got2" : written)
        #expect(gotPipe == expected, "\(subcommand) on a process substitution")
    }

    @Test("garbage from a device or a pipe: exit 1 at once, placed on its first byte, nothing copied",
          arguments: subcommands)
    func garbage(subcommand: String) throws {
        let directory = try ThirdRound.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // measure reads its input once (nothing copied): its parser places the garbage itself.
        let oncePlaced = subcommand.hasPrefix("measure")
        let device = try ThirdRound.run("\(subcommand) /dev/zero", in: directory)
        ThirdRound.expect(device, status: 1, placed: oncePlaced ? "/dev/zero:1:1: syntax error: unexpected character (byte 0x0)"
                          : "/dev/zero:1:1: syntax error: expected an AiCOCO document", subcommand)
        let pipe = try ThirdRound.run("\(subcommand) - < /dev/urandom", prefix: "true |", in: directory)
        #expect(pipe.status == 1 || pipe.stderr.contains("1:1: syntax error"), "\(subcommand): \(pipe.stderr)")
        let spaced = try ThirdRound.run("\(subcommand) -", prefix: "printf '  \\n x' |", in: directory)
        ThirdRound.expect(spaced, status: 1, placed: oncePlaced ? "-:2:2: syntax error:"
                          : "-:2:2: syntax error: expected an AiCOCO document (a JSON object, '{'), found 'x'", subcommand)
        // A temporary directory that cannot be used does not hide the garbage (the copy is made
        // with the first bytes that pass the first-byte check).
        let noTemporary = try ThirdRound.run("\(subcommand) -", prefix: "printf '  \\n x' | TMPDIR=/nonexistent-aicoco-tmp", in: directory)
        ThirdRound.expect(noTemporary, status: 1, placed: oncePlaced ? "-:2:2: syntax error:"
                          : "-:2:2: syntax error: expected an AiCOCO document (a JSON object, '{'), found 'x'", subcommand + " (TMPDIR missing)")
        #expect(ThirdRound.contents(directory).isEmpty, "\(ThirdRound.contents(directory))")
    }

    /// An endless pipe that opens like a document and goes wrong later (`/dev/urandom` after a
    /// `{` does so one time in 256): the copy is parsed as it is made, and stops at the first
    /// problem. Before, the subcommands that read twice copied all of it first: endless, until
    /// the disk was full. (The producer's own complaint, a broken pipe when the test runner
    /// ignores SIGPIPE, is silenced: only the subcommand's standard error is read.)
    @Test("an endless pipe that goes wrong after its first byte: exit 1 at its first problem, nothing left",
          arguments: subcommands)
    func endlessGarbage(subcommand: String) throws {
        let directory = try ThirdRound.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let syntax = try ThirdRound.run("\(subcommand) -", prefix: "{ printf '{\"images\": ['; yes '{\"id\": oops,'; } 2> /dev/null |", in: directory)
        ThirdRound.expect(syntax, status: 1, placed: "-:1:20: syntax error: unexpected character 'o'", subcommand)
        let schema = try ThirdRound.run("\(subcommand) -", prefix: "{ printf '{\"images\": ['; yes '{},'; } 2> /dev/null |", in: directory)
        ThirdRound.expect(schema, status: 1, placed: "-:1:13: schema error: missing required keys", subcommand)
        let gzip = try ThirdRound.run("\(subcommand) -", prefix: "{ printf '\\037\\213\\010\\000'; yes; } 2> /dev/null |", in: directory)
        ThirdRound.expect(gzip, status: 1, placed: "-:1:1: compression error: corrupt compressed data", subcommand)
        #expect(ThirdRound.contents(directory).isEmpty, "\(ThirdRound.contents(directory))")
    }
}

@Suite("Hostile input, third round: signals and -o (issue 25, items 3, 4 and 9; issue 20, item 6)")
struct SignalsAndOutputsTests {
    /// A parent thread that blocks the signals (a test runner, a thread pool) hands its mask
    /// down: before, a subcommand that writes no file beside an output never unblocked them,
    /// and `timeout`'s SIGTERM waited for ever.
    @Test("SIGTERM and SIGINT end a subcommand waiting on its input, though the parent blocked them",
          arguments: [("TERM", "validate -"), ("INT", "measure --image-size 64x64 -"), ("TERM", "render --index 0 -o out.svg -")])
    func inheritedBlockedSignals(signal: String, subcommand: String) throws {
        try inScratchDirectory { directory in
            let python = "import os, signal, sys; signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}); "
                + "os.execvp(sys.argv[1], sys.argv[1:])"
            // Standard input a FIFO this shell holds open for writing too: the subcommand waits
            // on it for ever. timeout sends the signal after 1 s, SIGKILL 30 s later.
            let script = "cd '\(directory)' && mkfifo in && exec 3<>in && "
                + "timeout -s \(signal) -k 30 1 python3 -c '\(python)' '\(Tool.path)' \(subcommand) <&3; echo \"status=$?\""
            let started = Date()
            let result = try Hostile.shell(script)
            #expect(result.stdout.contains("status=124"), "\(subcommand): \(result.stdout) \(result.stderr)")
            #expect(Date().timeIntervalSince(started) < 25, "\(subcommand): SIG\(signal) did not end it; SIGKILL did")
            #expect(ThirdRound.contents(directory) == ["in"], "\(ThirdRound.contents(directory))")
        }
    }

    @Test("nohup: SIGHUP does not end generate -o, the document is complete and valid; the same for an ignored SIGINT")
    func ignoredSignalsStayIgnored() throws {
        try inScratchDirectory { directory in
            for (name, prefix, signal) in [("nohup", "nohup", "HUP"), ("trap INT", "trap '' INT;", "INT")] {
                let script = "cd '\(directory)' && { \(prefix) '\(Tool.path)' generate --bytes 6M -o out.json > /dev/null 2>&1 & pid=$!; "
                    + "sleep 0.3; kill -\(signal) $pid; wait $pid; echo \"status=$?\"; }"
                let result = try Hostile.shell(script)
                #expect(result.stdout.contains("status=0"), "\(name): \(result.stdout) \(result.stderr)")
                let valid = try ThirdRound.run("validate out.json", in: directory)
                ThirdRound.expect(valid, status: 0, "\(name): the document")
                #expect(ThirdRound.contents(directory) == ["out.json"], "\(ThirdRound.contents(directory))")
                try FileManager.default.removeItem(atPath: directory + "/out.json")
            }
        }
    }

    @Test("-o to a FIFO or a device is refused (exit 2, says why); a symlink is followed; a replaced file keeps its mode")
    func outputTargets() throws {
        let directory = try ThirdRound.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fifo = try ThirdRound.run("generate --bytes 2k -o fifo", prefix: "mkfifo fifo &&", in: directory)
        ThirdRound.expect(fifo, status: 2, placed: "cannot write fifo: it is a FIFO (named pipe)", "-o FIFO")
        #expect(fifo.stderr.contains("redirect"))
        var info = stat()
        #expect(lstat(directory + "/fifo", &info) == 0 && (info.st_mode & S_IFMT) == S_IFIFO, "the FIFO is still there")
        let device = try ThirdRound.run("generate --bytes 2k -o /dev/null", in: directory)
        ThirdRound.expect(device, status: 2, placed: "cannot write /dev/null: it is a device", "-o /dev/null")
        #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR, "/dev/null is still a device")

        let kept = try ThirdRound.run("generate --bytes 2k -o link.json",
                                      prefix: "echo old > real.json && chmod 600 real.json && ln -s real.json link.json &&", in: directory)
        ThirdRound.expect(kept, status: 0, "-o through a symlink")
        #expect(lstat(directory + "/link.json", &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK, "the link stays a link")
        #expect(stat(directory + "/real.json", &info) == 0 && info.st_mode & 0o777 == 0o600, "mode 0600 kept: \(String(info.st_mode & 0o777, radix: 8))")
        #expect(try String(contentsOfFile: directory + "/real.json", encoding: .utf8).hasPrefix("{"))
        #expect(ThirdRound.contents(directory) == ["fifo", "link.json", "real.json"], "\(ThirdRound.contents(directory))")
    }

    @Test("generate --records N --artifact EXISTING, interrupted: the artifact and the document stay as they were")
    func artifactReplacedAtomically() throws {
        let directory = try ThirdRound.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "old artifact\n".write(toFile: directory + "/rows.jsonl", atomically: true, encoding: .utf8)
        try "old document\n".write(toFile: directory + "/doc.json", atomically: true, encoding: .utf8)
        for (index, signal) in ["TERM", "INT", "HUP", "TERM", "INT"].enumerated() {
            let delay = ["0.05", "0.2", "0.4", "0.7", "1.0"][index]
            let script = "cd '\(directory)' && { env --default-signal=INT '\(Tool.path)' generate --records 400000 --artifact rows.jsonl -o doc.json & pid=$!; "
                + "sleep \(delay); kill -\(signal) $pid; wait $pid; echo \"status=$?\"; }"
            let result = try Hostile.shell(script)
            let artifact = try String(contentsOfFile: directory + "/rows.jsonl", encoding: .utf8)
            let document = try String(contentsOfFile: directory + "/doc.json", encoding: .utf8)
            if result.stdout.contains("status=0") {
                // Finished before the signal: both new and whole.
                let valid = try ThirdRound.run("validate doc.json", in: directory)
                #expect(valid.status == 0, "\(valid.stderr)")
                return
            }
            #expect(artifact == "old artifact\n", "SIG\(signal) after \(delay) s: the artifact was touched")
            #expect(document == "old document\n", "SIG\(signal) after \(delay) s: the document was touched")
            #expect(ThirdRound.contents(directory) == ["doc.json", "rows.jsonl"], "\(ThirdRound.contents(directory))")
        }
    }

    @Test("no temporary file left beside an output after SIGINT, SIGTERM or SIGHUP at several points, for every subcommand that writes one")
    func noTemporaryFileLeft() throws {
        let directory = try ThirdRound.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = directory + "/in.json"
        let generated = try Hostile.shell("'\(Tool.path)' generate --bytes 4M --shape smooth > '\(input)'")
        #expect(generated.status == 0)
        let commands = [
            "convert --to nifti --image-size 256x256 -o out/v.nii in.json",
            "convert --to nifti --image-size 256x256 -o out/v.nii.gz in.json",
            "convert --to coco --image-size 256x256 -o out/c.json in.json",
            "filter --index 0...9999 -o out/f.json in.json",
            "render --index 1 --image-size 256x256 -o out/r.svg in.json",
            "generate --records 300000 --artifact out/a.jsonl -o out/d.json",
        ]
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
        for command in commands {
            for (index, signal) in ["INT", "TERM", "HUP"].enumerated() {
                let delay = ["0.1", "0.3", "0.6"][index]
                let script = "cd '\(directory)' && { env --default-signal=INT '\(Tool.path)' \(command) > /dev/null 2>&1 & pid=$!; "
                    + "sleep \(delay); kill -\(signal) $pid; wait $pid; echo \"status=$?\"; }"
                let result = try Hostile.shell(script)
                let left = ThirdRound.contents(directory + "/out").filter { $0.contains(".aicoco-") }
                #expect(left.isEmpty, "\(command), SIG\(signal) after \(delay) s (\(result.stdout)): \(left)")
            }
        }
    }

    @Test("records interrupted: what reached standard output ends on a whole line")
    func recordsWholeLines() throws {
        let directory = try ThirdRound.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let generated = try Hostile.shell("'\(Tool.path)' generate --bytes 8M > '\(directory)/in.json'")
        #expect(generated.status == 0)
        let script = "'\(Paths.root.path)/scripts/interrupt-records.sh' '\(Tool.path)' '\(directory)/in.json' 12"
        let result = try Hostile.shell(script)
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("ending mid-line: 0"), "\(result.stdout)")
    }
}

@Suite("Hostile input, third round: limits, numbers, artifact names, line readers (issue 25, items 5 to 8)")
struct ThirdRoundLimitTests {
    @Test("a string far longer than maxTokenBytes: the limit error is placed on its first byte",
          arguments: ["validate", "records", "measure --image-size 64x64", "stats"])
    func longStringPlaced(subcommand: String) throws {
        let directory = try ThirdRound.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // {"images":[{"id":"a","file_name":"xxxx... (20 MB, never closed before the limit)
        let prefix = "{\"images\":[{\"id\":\"a\",\"file_name\":"
        let made = try Hostile.shell("cd '\(directory)' && { printf '%s' '\(prefix)\"'; head -c 20000000 /dev/zero | tr '\\0' x; printf '\"}]}'; } > long.json")
        #expect(made.status == 0)
        // Small limits keep the run under 32 MiB (the held-back token takes about 3 times
        // maxTokenBytes, which is at least maxStringBytes).
        let run = try ThirdRound.run("\(subcommand) --max-string-bytes 1M --max-token-bytes 2M long.json", in: directory)
        ThirdRound.expect(run, status: 1, placed: "long.json:1:\(prefix.utf8.count + 1): limit error", subcommand)
        // With the default limits too (16 MiB: about 42 MiB of peak RSS, as before).
        let defaults = try ThirdRound.run("\(subcommand) long.json", in: directory)
        #expect(defaults.status == 1)
        #expect((defaults.stdout + defaults.stderr).contains("long.json:1:\(prefix.utf8.count + 1): limit error"),
                "\(defaults.stdout)\(defaults.stderr)")
    }

    @Test("coordinates valid in JSON whose COCO area or width overflow a double: a placed limit error, never a writer misuse")
    func overflowingCoordinates() throws {
        let path = ThirdRound.fixture("polygon-coordinate-overflow.json")
        let validate = try ThirdRound.run("validate '\(path)'")
        ThirdRound.expect(validate, status: 0, "validate")
        // A polygon's pixels are clipped to the image: a finite result (its pixels in the image).
        let coco = try ThirdRound.run("convert --to coco --image-size 64x64 '\(path)'")
        ThirdRound.expect(coco, status: 0, "convert --to coco")
        #expect(!coco.stderr.contains("misuse"))
        let document = try JSONSerialization.jsonObject(with: Data(coco.stdout.utf8)) as? [String: Any]
        let first = (document?["annotations"] as? [[String: Any]])?.first
        #expect((first?["area"] as? NSNumber)?.doubleValue ?? -1 > 0, "\(coco.stdout.prefix(400))")
        // A box whose width overflows a double has no COCO geometry: a placed limit error.
        let boxes = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "\"segmentation\":[[0,0,1.7e+308,0,-1.7e+308,1.7e+308]]", with: "\"segmentation\":null")
            .replacingOccurrences(of: "\"bbox\":[[112,87,160,139]]", with: "\"bbox\":[[-1.7e308,0,1.7e308,10]]")
        #expect(boxes.contains("1.7e308,10"))
        let boxPath = try temporaryFile(Array(boxes.utf8))
        defer { try? FileManager.default.removeItem(atPath: boxPath) }
        let box = try ThirdRound.run("convert --to coco --image-size 64x64 '\(boxPath)'")
        ThirdRound.expect(box, status: 1, placed: "\(boxPath):1:", "convert --to coco, boxes")
        #expect(box.stderr.contains("limit error") && box.stderr.contains("($.annotations[0])"), "\(box.stderr)")
        #expect(!box.stderr.contains("misuse"))
        #expect(box.stdout.isEmpty)
    }

    @Test("records.href with a NUL, a backslash or '..' as its name: a placed schema error",
          arguments: ["href-nul.json", "href-backslash.json", "href-dotdot.json"])
    func artifactNames(file: String) throws {
        let path = ThirdRound.fixture(file)
        let run = try ThirdRound.run("validate '\(path)'")
        ThirdRound.expect(run, status: 1, placed: "\(path):1:511: schema error: \"href\": expected a path ending in an artifact file name", file)
    }

    @Test("an artifact that is /dev/zero, or one long line: an error at once or at maxRecordBytes, in bounded memory")
    func artifactLines() throws {
        let directory = try ThirdRound.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let document = Paths.flavor.appendingPathComponent("flavor-tabular-classification.json").path
        let zero = try ThirdRound.run("validate --records /dev/zero '\(document)'")
        ThirdRound.expect(zero, status: 1, placed: "/dev/zero:1:", "artifact /dev/zero")
        #expect(zero.stdout.contains("syntax error"), "\(zero.stdout)")
        let made = try Hostile.shell("cd '\(directory)' && { printf '{\"id\":\"'; head -c 40000000 /dev/zero | tr '\\0' x; printf '\"}\\n'; } > long.jsonl")
        #expect(made.status == 0)
        let long = try ThirdRound.run("validate --max-record-bytes 8M --records long.jsonl '\(document)'", in: directory)
        ThirdRound.expect(long, status: 1, placed: "long.jsonl:1:", "artifact with a 40 MB line")
        #expect(long.stdout.contains("limit error") && long.stdout.contains("maxRecordBytes"), "\(long.stdout)")
    }
}
