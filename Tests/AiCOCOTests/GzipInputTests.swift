import Foundation
import Testing
@testable import AiCOCO

/// gzip input (recognised by its first bytes, inflated as it is parsed) and `-o FILE.gz` output.
@Suite("gzip input and output")
struct GzipInputTests {
    /// `bytes` gzip-compressed (one member), by the library's own writer.
    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        let writer = try GzipWriter(level: 6) { out.append(contentsOf: $0) }
        try bytes.withUnsafeBytes { try writer.write($0) }
        try writer.finish()
        return out
    }

    static func directory() throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("aicoco-gzip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ bytes: [UInt8], to url: URL) throws { try Data(bytes).write(to: url) }

    /// Runs `command` through /bin/sh with `AICOCO` set to the tool.
    static func shell(_ command: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.environment = ProcessInfo.processInfo.environment.merging(["AICOCO": Tool.path]) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        final class Sink: @unchecked Sendable { var data = Data() }
        let errSink = Sink()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errSink.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: errSink.data, as: UTF8.self))
    }

    /// Every fixture that reads alone (tabular ones with their artifacts beside them), and the broken ones.
    static let fixtures: [String] = Paths.goodFixtures.map(Paths.fixture)
        + ((try? FileManager.default.contentsOfDirectory(atPath: Paths.flavor.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted().map { Paths.flavor.appendingPathComponent($0).path }
        + ((try? FileManager.default.contentsOfDirectory(atPath: Paths.broken.path)) ?? [])
            .filter { $0.hasSuffix(".json") && $0 != "expected.json" }.sorted()
            .map { Paths.broken.appendingPathComponent($0).path }

    /// Output with the file name and the timing fields taken out, and the decompressed-text note
    /// (counted) taken out.
    static func normalized(_ text: String, file: String) -> (text: String, notes: Int) {
        var text = text.replacingOccurrences(of: file, with: "FILE")
        let notes = text.components(separatedBy: DocumentError.decompressedNote).count - 1
        text = text.replacingOccurrences(of: DocumentError.decompressedNote, with: "")
        text = text.replacingOccurrences(of: #""elapsed_seconds":[0-9.e+-]+,"mb_per_second":[0-9.e+-]+,"#, with: "",
                                         options: .regularExpression)
        return (text, notes)
    }

    @Test("a gzip'd fixture gives what the plain one gives: stats, validate, records", arguments: fixtures)
    func sameAsPlain(path: String) throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let name = URL(fileURLWithPath: path).lastPathComponent
        let plain = directory.appendingPathComponent(name)
        let packed = directory.appendingPathComponent(name + ".gz")
        let bytes = try Paths.bytes(path)
        try Self.write(bytes, to: plain)
        try Self.write(try Self.gzip(bytes), to: packed)
        for artifact in (try FileManager.default.contentsOfDirectory(atPath: Paths.flavor.path)) where artifact.hasSuffix(".jsonl") {
            try FileManager.default.copyItem(at: Paths.flavor.appendingPathComponent(artifact),
                                             to: directory.appendingPathComponent(artifact))
        }
        for command in [["stats", "--json"], ["validate", "--format", "json"], ["records"]] {
            let a = try runTool(command + [plain.path])
            let b = try runTool(command + [packed.path])
            let c = try Self.shell("exec \"$AICOCO\" \(command.joined(separator: " ")) < '\(packed.path)'")
            let d = try Self.shell("exec \"$AICOCO\" \(command.joined(separator: " ")) < '\(plain.path)'")
            #expect(b.status == a.status, "\(command) \(name): \(b.stderr)")
            #expect(c.status == d.status, "\(command) \(name) on standard input: \(c.stderr)")
            let expected = Self.normalized(a.stdout + a.stderr, file: plain.path)
            let fromFile = Self.normalized(b.stdout + b.stderr, file: packed.path)
            let fromStdin = Self.normalized(c.stdout + c.stderr, file: "\u{0}")
            #expect(fromFile.text == expected.text, "\(command) \(name)")
            #expect(fromStdin.text == Self.normalized(d.stdout + d.stderr, file: "\u{0}").text, "\(command) \(name) on standard input")
            #expect(expected.notes == 0)
            // The places are in the decompressed text, which the first placed error says once.
            let placed = a.status == 1 && (command[0] != "stats" || !a.stderr.isEmpty)
            #expect(fromFile.notes == (placed ? 1 : 0), "\(command) \(name): \(b.stdout)\(b.stderr)")
        }
    }

    @Test("piped gzip input through the two-pass commands (filter, measure) gives the plain output")
    func twoPassFromPipe() throws {
        let path = Paths.fixture("segmentation-series.json")
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let packed = directory.appendingPathComponent("series.json.gz")
        try Self.write(try Self.gzip(try Paths.bytes(path)), to: packed)
        for command in ["filter --category Liver", "measure --image-size 512x512", "filter --index 1...2",
                        "convert --to coco --image-size 512x512"] {
            let plain = try Self.shell("exec \"$AICOCO\" \(command) '\(path)'")
            let piped = try Self.shell("cat '\(packed.path)' | \"$AICOCO\" \(command)")
            let named = try Self.shell("exec \"$AICOCO\" \(command) '\(packed.path)'")
            #expect(plain.status == 0, "\(command): \(plain.stderr)")
            #expect(piped.status == 0 && piped.stdout == plain.stdout, "\(command): \(piped.stderr)")
            #expect(named.status == 0 && named.stdout == plain.stdout, "\(command): \(named.stderr)")
        }
    }

    @Test("concatenated gzip members read as one text", arguments: [1, 2, 3, 7])
    func concatenatedMembers(parts: Int) throws {
        let bytes = try Paths.bytes(Paths.fixture("detection.json"))
        var packed: [UInt8] = []
        for part in 0..<parts {
            let range = (bytes.count * part / parts)..<(bytes.count * (part + 1) / parts)
            packed += try Self.gzip(Array(bytes[range]))
        }
        packed += try Self.gzip([])
        #expect(try readRecords(.bytes(packed)) == readRecords(.bytes(bytes)))
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("members.json.gz")
        try Self.write(packed, to: file)
        let result = try runTool(["validate", file.path])
        #expect(result.status == 0 && result.stdout.hasSuffix("valid\n"), "\(result.stdout)\(result.stderr)")
    }

    @Test("a gzip input cut at any byte is a compression error: the stream ends early")
    func cutAnywhere() throws {
        let bytes = try Paths.bytes(Paths.fixture("detection.json"))
        let packed = try Self.gzip(bytes)
        for length in 1..<packed.count {
            do {
                _ = try readRecords(.bytes(Array(packed[0..<length])))
                Issue.record("cut at \(length) of \(packed.count): read without an error")
            } catch let error as DocumentError {
                #expect(error.kind == .compression, "cut at \(length): \(error)")
                #expect(error.message.contains("the compressed stream ends early"), "cut at \(length): \(error)")
                #expect(error.message.contains("compressed byte \(length)"), "cut at \(length): \(error)")
            }
        }
    }

    @Test("the command line on a cut gzip file: exit 1, the stream ends early, at the compressed offset",
          arguments: [1, 2, 9, 10, 11, 40, 300, 700, -9, -8, -5, -1])
    func cutOnCommandLine(cut: Int) throws {
        let packed = try Self.gzip(try Paths.bytes(Paths.fixture("segmentation-series.json")))
        let length = cut > 0 ? cut : packed.count + cut
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("cut.json.gz")
        try Self.write(Array(packed[0..<length]), to: file)
        for command in [["stats"], ["validate"], ["records"], ["convert", "--to", "coco", "--image-size", "512x512"],
                        ["filter", "--category", "Liver"], ["measure", "--image-size", "512x512"]] {
            let result = try runTool(command + [file.path])
            #expect(result.status == 1, "\(command) cut at \(length): \(result.stderr)")
            #expect((result.stdout + result.stderr).contains("compression error: the compressed stream ends early"),
                    "\(command) cut at \(length): \(result.stdout)\(result.stderr)")
            #expect((result.stdout + result.stderr).contains("compressed byte \(length)"), "\(command): \(result.stderr)")
        }
        let piped = try Self.shell("cat '\(file.path)' | \"$AICOCO\" stats")
        #expect(piped.status == 1 && piped.stderr.contains("the compressed stream ends early"), "\(piped.stderr)")
    }

    @Test("corrupt gzip data is a compression error naming it: a bad block type, a bad check value, trailing garbage")
    func corrupt() throws {
        let bytes = try Paths.bytes(Paths.fixture("detection.json"))
        let packed = try Self.gzip(bytes)
        var badBlock = packed
        badBlock[10] |= 0x06  // the first deflate block's type: 3, which does not exist
        var badCheck = packed
        badCheck[packed.count - 8] ^= 0xFF  // the CRC-32 of the text
        var badLength = packed
        badLength[packed.count - 1] ^= 0x01  // the length of the text
        var badMethod = packed
        badMethod[2] = 7  // not deflate
        let garbage = packed + Array("{}".utf8)
        let cases: [([UInt8], String)] = [(badBlock, "invalid block type"), (badCheck, "incorrect data check"),
                                          (badLength, "incorrect length check"), (badMethod, "unknown compression method"),
                                          (garbage, "incorrect header check")]
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (data, reason) in cases {
            do {
                _ = try readRecords(.bytes(data))
                Issue.record("\(reason): read without an error")
            } catch let error as DocumentError {
                #expect(error.kind == .compression, "\(reason): \(error)")
                #expect(error.message.contains("corrupt compressed data at compressed byte "), "\(error)")
                #expect(error.message.contains(reason), "\(error)")
            }
            let file = directory.appendingPathComponent("corrupt.json.gz")
            try Self.write(data, to: file)
            let result = try runTool(["stats", file.path])
            #expect(result.status == 1, "\(reason): \(result.stderr)")
            #expect(result.stderr.contains("compression error: corrupt compressed data at compressed byte"), "\(result.stderr)")
        }
    }

    @Test("any byte of the compressed data or trailer changed is a compression error, even when the text it garbles fails first")
    func corruptAnywhere() throws {
        let packed = try Self.gzip(try Paths.bytes(Paths.fixture("detection.json")))
        var kinds: [String: Int] = [:]
        for offset in 10..<packed.count {
            var data = packed
            data[offset] ^= 0xFF
            do {
                _ = try readRecords(.bytes(data))
                Issue.record("byte \(offset) changed: read without an error")
            } catch let error as DocumentError {
                #expect(error.kind == .compression, "byte \(offset) changed: \(error)")
                let reason = error.message.contains("corrupt compressed data") ? "corrupt" : "other"
                kinds[reason, default: 0] += 1
            }
        }
        #expect(kinds["corrupt", default: 0] > packed.count / 2, "\(kinds)")
        // Through the command line, a JSON error in garbled text is reported as the corruption.
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("garbled.json.gz")
        var garbled = packed
        garbled[packed.count / 2] ^= 0xFF
        try Self.write(garbled, to: file)
        for command in [["stats"], ["validate"], ["records"]] {
            let result = try runTool(command + [file.path])
            #expect(result.status == 1, "\(command): \(result.stderr)")
            #expect((result.stdout + result.stderr).contains("compression error:"), "\(command): \(result.stdout)\(result.stderr)")
        }
    }

    /// The problems a validating parse finds in `bytes` (gzip), inflated on a thread of its own
    /// (`threaded`) or by the reader itself, as a small input is.
    static func problems(_ bytes: [UInt8], threaded: Bool) throws -> [DocumentError] {
        var parser = DocumentParser(visitor: ProblemList(), options: DocumentParsing.Options(validate: true))
        do {
            try parser.parse(reader: GzipReader(source: MemoryReader(bytes), prefix: [], size: threaded ? nil : bytes.count))
            return parser.visitor.problems
        } catch let error as DocumentError {
            return parser.visitor.problems + [error]
        }
    }

    @Test("the inflating thread and the inline inflater give the same text, cuts and corruptions")
    func threadedAsInline() throws {
        let (document, _) = generate(bytes: 3 << 20, shape: .noisy)
        let packed = try Self.gzip(document)
        #expect(packed.count > 600 << 10)
        var broken = Array(document)
        broken[document.count / 2] = UInt8(ascii: "#")
        let variants = [packed, try Self.gzip(broken), Array(packed.prefix(packed.count / 3)),
                        Array(packed.dropLast(2)), try Self.gzip(Array(document.prefix(1 << 20))) + Self.gzip(Array(document.dropFirst(1 << 20)))]
        var corrupt = packed
        corrupt[packed.count / 2] ^= 0xFF
        for (number, bytes) in (variants + [corrupt]).enumerated() {
            let threaded = try Self.problems(bytes, threaded: true)
            let inline = try Self.problems(bytes, threaded: false)
            #expect(threaded == inline, "variant \(number)")
            #expect(threaded.count == [0, 1, 1, 1, 0, 1][number], "variant \(number): \(threaded)")
        }
        #expect(try Self.problems(corrupt, threaded: true).last?.kind == .compression)
        #expect(try Self.problems(packed, threaded: true) == validationProblems(.bytes(Array(document))))
    }

    @Test("JSON errors in gzip input are placed in the decompressed text, and say so once")
    func placesInDecompressedText() throws {
        let bytes = try Paths.bytes(Paths.broken.appendingPathComponent("syntax-missing-comma.json").path)
        let plain = firstError(.bytes(bytes))
        let packed = firstError(.bytes(try Self.gzip(bytes)))
        #expect(plain != nil && packed?.location == plain?.location && packed?.path == plain?.path)
        #expect(packed?.message == (plain?.message ?? "") + DocumentError.decompressedNote)
    }

    static let writers: [[String]] = [
        ["convert", "--to", "coco", "--image-size", "512x512", Paths.fixture("segmentation-series.json")],
        ["filter", "--category", "Liver", Paths.fixture("segmentation-series.json")],
        ["generate", "--bytes", "300k", "--shape", "noisy"],
    ]

    @Test("-o FILE.json.gz writes gzip that decompresses to the bytes standard output gets", arguments: writers)
    func compressedOutput(arguments: [String]) throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("out.json.gz")
        let plain = try runTool(arguments)
        let packed = try runTool(Array(arguments.prefix(1)) + ["-o", file.path] + arguments.dropFirst())
        #expect(plain.status == 0 && packed.status == 0, "\(packed.stderr)")
        let written = try Paths.bytes(file.path)
        #expect(Array(written.prefix(2)) == [0x1F, 0x8B])
        let inflated = try Self.shell("gzip -dc '\(file.path)'")
        #expect(inflated.status == 0 && inflated.stdout == plain.stdout)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.json.gz"])
        if arguments[0] != "convert" {
            // An AiCOCO document: it reads back as it was written.
            let stats = try runTool(["validate", file.path])
            #expect(stats.status == 0, "\(stats.stdout)\(stats.stderr)")
        }
    }

    @Test("assemble -o FILE.gz, and a gzip'd records artifact given with --records")
    func assembleAndArtifact() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let series = Paths.fixture("segmentation-series.json")
        let file = directory.appendingPathComponent("back.json.gz")
        let plain = try Self.shell("\"$AICOCO\" records '\(series)' | \"$AICOCO\" assemble")
        let packed = try Self.shell("\"$AICOCO\" records '\(series)' | \"$AICOCO\" assemble -o '\(file.path)'")
        #expect(plain.status == 0 && packed.status == 0, "\(packed.stderr)")
        #expect(try Self.shell("gzip -dc '\(file.path)'").stdout == plain.stdout)

        let document = Paths.flavor.appendingPathComponent("flavor-tabular-regression.json").path
        let artifact = Paths.flavor.appendingPathComponent("records_bXoh5OOKg_t9ut3J6EVbC.jsonl").path
        let packedArtifact = directory.appendingPathComponent("records.jsonl.gz")
        let artifactBytes = try Paths.bytes(artifact)
        try Self.write(try Self.gzip(artifactBytes), to: packedArtifact)
        let a = try runTool(["records", "--records", artifact, document])
        let b = try runTool(["records", "--records", packedArtifact.path, document])
        #expect(a.status == 0 && b.status == 0 && a.stdout == b.stdout, "\(b.stderr)")
        try Self.write(Array(try Self.gzip(artifactBytes).dropLast(3)), to: packedArtifact)
        let cut = try runTool(["validate", "--records", packedArtifact.path, document])
        #expect(cut.status == 1, "\(cut.stdout)")
        #expect(cut.stdout.contains("\(packedArtifact.path):"), "\(cut.stdout)")
        #expect(cut.stdout.contains("the compressed stream ends early"), "\(cut.stdout)")
    }
}
