import Foundation
import Testing

/// The command line's rough edges a new user meets: ranges a shell does not mangle, `help` of
/// a name that is no subcommand, several files for `stats`, a missing records artifact named as
/// such, predicted names and values in `stats`' text.
@Suite("Command-line edges")
struct CLIEdgeTests {
    /// The images `filter --index RANGE` keeps from the bundled series (indexes 0...7), by index.
    func keptIndexes(_ range: String) throws -> [Int] {
        let result = try Tool.run(["filter", "--index", range, Paths.fixture("segmentation-series.json")])
        #expect(result.status == 0, "\(range): \(result.stderr)")
        let lines = try Tool.run(["records", "--section", "images", "-"], input: Array(result.stdout.utf8))
        return try lines.stdout.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return (object["index"] as! NSNumber).intValue
        }
    }

    @Test("--index takes 10...19 and the slice 10:20, neither needs quoting; 10..<20 still reads")
    func ranges() throws {
        #expect(try keptIndexes("2...4") == [2, 3, 4])
        #expect(try keptIndexes("2:5") == [2, 3, 4])
        #expect(try keptIndexes("2..<5") == [2, 3, 4])
        #expect(try keptIndexes("5:") == [5, 6, 7])
        #expect(try keptIndexes(":2") == [0, 1])
        for bad in ["3:3", "5:2", ":", "a:3", "1:2:3"] {
            let result = try Tool.run(["filter", "--index", bad, Paths.fixture("segmentation-series.json")])
            #expect(result.status == 2, "\(bad)")
            #expect(result.stderr.contains("--index"), "\(bad): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }

    @Test("help of a name that is no subcommand exits 2 and lists the subcommands")
    func helpUnknown() throws {
        let result = try Tool.run(["help", "nosuch"])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("no subcommand is named \"nosuch\""))
        #expect(result.stderr.contains("validate"))
        let known = try Tool.run(["help", "stats"])
        #expect(known.status == 0)
        #expect(known.stdout.contains("USAGE: aicoco stats"))
    }

    @Test("stats FILE...: each file in turn, in argument order; a bad one does not stop the others")
    func statsManyFiles() throws {
        let files = [Paths.fixture("minimal.json"), Paths.fixture("broken/syntax-truncated.json"),
                     "/nonexistent/aicoco.json", Paths.fixture("detection.json")]
        let json = try Tool.run(["stats", "--json"] + files)
        #expect(json.status == 2, "an unreadable file makes the exit 2")
        let objects = try json.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        #expect(objects.map { $0["file"] as? String } == [files[0], files[3]])
        #expect(objects.map { ($0["annotations"] as! NSNumber).intValue } == [0, 4])
        #expect(json.stderr.contains("syntax-truncated.json:"))
        #expect(json.stderr.contains("cannot open /nonexistent/aicoco.json"))

        let invalidOnly = try Tool.run(["stats", files[0], files[1]])
        #expect(invalidOnly.status == 1)
        let text = try Tool.run(["stats", files[0], files[3]])
        #expect(text.status == 0)
        #expect(text.stdout.contains("file:         \(files[0])\n"))
        #expect(text.stdout.contains("\n\nfile:         \(files[3])\n"), "reports are separated by a blank line")
        // One file: the JSON is what it always was, without a "file" key.
        let single = try Tool.run(["stats", "--json", files[3]])
        #expect(single.status == 0)
        #expect(single.stdout.hasPrefix("{\"images\":3,"))
    }

    @Test("stats' text shows a classification's predicted names and a regression's values")
    func statsTextMeta() throws {
        let classification = try Tool.run(["stats", Paths.flavor.appendingPathComponent("flavor-classification.json").path])
        #expect(classification.status == 0)
        #expect(classification.stdout.contains("\npredicted:    Atelectasis, Effusion\n"))
        let regression = try Tool.run(["stats", Paths.flavor.appendingPathComponent("flavor-regression.json").path])
        #expect(regression.status == 0)
        #expect(regression.stdout.contains("\nregression values: SBP 132.5 mmHg, DBP 81 mmHg\n"))
    }

    @Test("a tabular output whose artifact is missing: the artifact named, where it was looked for")
    func missingArtifact() throws {
        let directory = NSTemporaryDirectory() + "aicoco-edge-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let document = directory + "/tabular.json"
        try FileManager.default.copyItem(atPath: Paths.flavor.appendingPathComponent("flavor-tabular-regression.json").path,
                                         toPath: document)
        let expected = directory + "/records_bXoh5OOKg_t9ut3J6EVbC.jsonl"
        let text = try Tool.run(["validate", document])
        #expect(text.status == 2)
        #expect(text.stdout == "\(document): its records artifact \(expected) cannot be read\n")
        #expect(text.stderr.contains("cannot open \(expected): No such file or directory"))
        let json = try Tool.run(["validate", "--format", "json", document])
        #expect(json.status == 2)
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect(report["readable"] as? Bool == true)
        #expect(report["artifact_readable"] as? Bool == false)
        #expect(report["artifact"] as? String == expected)
        // An unreadable document is still "cannot be read".
        let missing = try Tool.run(["validate", directory + "/none.json"])
        #expect(missing.stdout == "\(directory)/none.json: cannot be read\n")
    }
}

/// Two images with one `index` are a problem of `validate` (they would be stacked into one
/// slice), found in the same pass within the memory limit, in memory or spilled.
@Suite("Duplicate image indexes")
struct DuplicateIndexTests {
    /// `count` images with indexes 0..<count, but those of `repeats` (position → index taken).
    func document(images count: Int, repeats: [Int: Int]) -> [UInt8] {
        var text = "{\"images\":["
        for position in 0..<count {
            if position > 0 { text += "," }
            let index = repeats[position] ?? position
            text += "{\"id\":\"image-\(position)\",\"file_name\":\"\(position).dcm\",\"index\":\(index),\"category_ids\":null,\"regressions\":null}"
        }
        text += "],\"annotations\":[],\"categories\":[],\"regressions\":[],\"objects\":[],\"meta\":{\"category_ids\":null,\"regressions\":null}}"
        return Array(text.utf8)
    }

    @Test("each later image with a taken index is placed, whatever the memory limit", arguments: ["64M", "64K"])
    func duplicates(memoryLimit: String) throws {
        let count = 30_000
        // -0 and 0 are one index; 5.0 and 5 too.
        let path = try temporaryFile(document(images: count, repeats: [count - 1: 0, 20_000: 12_345, 25_000: 29_000]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Tool.run(["validate", "--format", "json", "--memory-limit", memoryLimit, path])
        #expect(result.status == 1)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let errors = report["errors"] as! [[String: Any]]
        #expect(errors.map { $0["path"] as! String } == ["$.images[20000].index", "$.images[29000].index", "$.images[29999].index"])
        #expect(errors.allSatisfy { $0["kind"] as? String == "semantic" })
        #expect((errors[0]["message"] as! String).hasPrefix("another image has the index 12345:"))
        let bytes = try Paths.bytes(path)
        for error in errors {
            let offset = (error["offset"] as! NSNumber).intValue
            #expect(bytes[offset...].starts(with: Array("\((error["message"] as! String).split(separator: " ")[5].dropLast())".utf8)))
        }
        let unique = try temporaryFile(document(images: count, repeats: [:]))
        defer { try? FileManager.default.removeItem(atPath: unique) }
        #expect(try Tool.run(["validate", "--memory-limit", memoryLimit, unique]).status == 0)
    }

    @Test("-0 and 0, 5 and 5.0 are the same index")
    func sameNumber() throws {
        var text = String(decoding: document(images: 8, repeats: [:]), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"index\":7,", with: "\"index\":-0,")
            .replacingOccurrences(of: "\"index\":6,", with: "\"index\":5.0,")
        let path = try temporaryFile(Array(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Tool.run(["validate", path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("another image has the index 5: "))
        #expect(result.stdout.contains("another image has the index 0: "))
        #expect(result.stdout.contains("($.images[6].index)"))
        #expect(result.stdout.contains("($.images[7].index)"))
    }
}

/// `records` on invalid input writes the records that end before the problem, every one of
/// them (not only those before the 64 KiB piece of input that holds it), then exits 1.
@Suite("Records before a problem")
struct RecordsBeforeProblemTests {
    /// A generated document of about 3 MB with annotation `broken` changed by `change`.
    func brokenDocument(annotation broken: Int, _ change: (inout [UInt8], Int) -> Void) throws -> (path: String, images: Int) {
        let generated = try Tool.run(["generate", "--bytes", "3M", "--seed", "11"])
        #expect(generated.status == 0)
        var bytes = Array(generated.stdout.utf8)
        let images = try Tool.run(["records", "--section", "images", "-"], input: bytes).stdout.split(separator: "\n").count
        // The annotations section's records start with {"id":"...","image_id"
        let marker = Array("\",\"image_id\":".utf8)
        var found = -1, position = 0
        while found < broken, position < bytes.count {
            if bytes[position...].starts(with: marker) { found += 1 }
            position += 1
        }
        #expect(found == broken, "the generated file holds fewer annotations")
        change(&bytes, position)
        return (try temporaryFile(bytes), images)
    }

    func replace(_ old: String, with new: String) -> (inout [UInt8], Int) -> Void {
        { bytes, from in
            let needle = Array(old.utf8)
            var index = from
            while !bytes[index...].starts(with: needle) { index += 1 }
            bytes.replaceSubrange(index..<index + needle.count, with: Array(new.utf8))
        }
    }

    /// Drops the first number of the annotation's first polygon: an odd count.
    func dropFirstNumber(_ bytes: inout [UInt8], from: Int) {
        let needle = Array("\"segmentation\":[[".utf8)
        var index = from
        while !bytes[index...].starts(with: needle) { index += 1 }
        index += needle.count
        let comma = bytes[index...].firstIndex(of: UInt8(ascii: ","))!
        bytes.removeSubrange(index...comma)
    }

    @Test("a wrong type, a missing key, an odd polygon: every record before it, in order", arguments: [0, 1, 2])
    func recordsBefore(change: Int) throws {
        let broken = 2_500
        let changes = [replace("\"iscrowd\":0", with: "\"iscrowd\":\"x\""), replace("\"iscrowd\":0,", with: ""), dropFirstNumber]
        let (path, images) = try brokenDocument(annotation: broken, changes[change])
        defer { try? FileManager.default.removeItem(atPath: path) }
        let all = try Tool.run(["records", path])
        #expect(all.status == 1)
        #expect(all.stderr.contains("$.annotations[\(broken)]"), "\(all.stderr)")
        let lines = all.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "", "ends on a whole line")
        #expect(lines.count - 1 == images + broken)
        let annotations = try Tool.run(["records", "--section", "annotations", path])
        #expect(annotations.status == 1)
        let kept = annotations.stdout.split(separator: "\n")
        #expect(kept.count == broken)
        // The same lines as the valid records of a file cut just before the broken one.
        let whole = try Tool.run(["records", "--section", "annotations", "-"],
                                 input: Array(try Tool.run(["generate", "--bytes", "3M", "--seed", "11"]).stdout.utf8))
        let same = Array(whole.stdout.split(separator: "\n").prefix(broken)) == kept
        #expect(same, "the lines kept are the first lines of the valid file")
    }
}

/// `assemble --artifact NAME` writes the reference to the artifact it wrote, so that the
/// rebuilt pair validates as it is.
@Suite("assemble --artifact names its artifact")
struct AssembleArtifactNameTests {
    @Test("records | assemble --artifact NAME: href (2.2.3) or path (2.2.2) ends in NAME, the pair validates",
          arguments: ["flavor-tabular-regression.json", "generations/r222/tabular-2.2.2-regression.json"])
    func rewritten(sample: String) throws {
        let directory = NSTemporaryDirectory() + "aicoco-assemble-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lines = try Tool.run(["records", Paths.flavor.appendingPathComponent(sample).path])
        #expect(lines.status == 0, "\(lines.stderr)")
        let document = directory + "/copy.json", artifact = directory + "/copy-records.jsonl"
        let assembled = try Tool.run(["assemble", "--artifact", artifact, "-o", document], input: Array(lines.stdout.utf8))
        #expect(assembled.status == 0, "\(assembled.stderr)")
        let text = try String(contentsOfFile: document, encoding: .utf8)
        let key = sample.contains("2.2.2") ? "\"path\":\"" : "\"href\":\""
        let value = text.components(separatedBy: key).dropFirst().first?.prefix { $0 != "\"" } ?? ""
        #expect(value.hasSuffix("/copy-records.jsonl"), "\(value)")
        let validated = try Tool.run(["validate", document])
        #expect(validated.status == 0, "\(validated.stdout)\(validated.stderr)")
        #expect(validated.stdout == "\(document): valid\n")
    }
}

/// Help examples work as pasted from any folder: they name the user's files, never this
/// repository's fixtures.
@Suite("Help examples name the user's files")
struct HelpExampleFileTests {
    @Test("no help names Fixtures/")
    func noFixtures() throws {
        for subcommand in ["stats", "validate", "generate", "records", "assemble", "convert", "filter", "measure", "render"] {
            let help = try Tool.run(["help", subcommand])
            #expect(help.status == 0)
            #expect(help.stdout.contains("Examples:"), "\(subcommand)")
            #expect(!help.stdout.contains("Fixtures/"), "\(subcommand): \(help.stdout)")
        }
    }
}
