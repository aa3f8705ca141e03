import Foundation
import Testing

/// A tabular output's records artifact kept gzip'd (issue 19): `NAME.jsonl.gz` beside the document
/// stands for the `NAME.jsonl` its `records.href` or `records_file.path` names, and an href that
/// names a `.gz` is read inflated; either way the report is the plain artifact's.
@Suite("gzip'd records artifacts")
struct GzipArtifactTests {
    /// Documents (href, records_file) with their artifact beside them.
    static let documents = [
        "flavor-tabular-classification.json", "generations/r222/tabular-2.2.2-regression.json",
    ]

    static func run(_ arguments: String, in directory: String) throws -> (status: Int32, stdout: String, stderr: String) {
        try GzipInputTests.shell("cd '\(directory)' && \"$AICOCO\" \(arguments)")
    }

    /// A copy of `document` and its artifact in a new directory: the artifact's name, and the directory.
    static func copy(_ document: String) throws -> (artifact: String, directory: String) {
        let source = Paths.flavor.appendingPathComponent(document)
        let directory = try ThirdRound.directory()
        let text = try String(contentsOf: source, encoding: .utf8)
        let artifact = try #require(text.firstMatch(of: /records_[A-Za-z0-9_-]+\.jsonl/)).output
        try FileManager.default.copyItem(atPath: source.path, toPath: directory + "/doc.json")
        try FileManager.default.copyItem(atPath: source.deletingLastPathComponent().appendingPathComponent(String(artifact)).path,
                                         toPath: directory + "/" + artifact)
        return (String(artifact), directory)
    }

    @Test("NAME.jsonl.gz beside the document: validate and records read it as the plain artifact", arguments: documents)
    func compressedBeside(document: String) throws {
        let (artifact, directory) = try Self.copy(document)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let plain = try Self.run("validate doc.json && \"$AICOCO\" records doc.json", in: directory)
        #expect(plain.status == 0, "\(plain.stdout)\(plain.stderr)")
        let zipped = try GzipInputTests.shell("cd '\(directory)' && gzip '\(artifact)' && ls")
        #expect(zipped.stdout.contains(artifact + ".gz") && !zipped.stdout.contains(artifact + "\n"))
        let compressed = try Self.run("validate doc.json && \"$AICOCO\" records doc.json", in: directory)
        #expect(compressed.status == 0, "\(compressed.stdout)\(compressed.stderr)")
        #expect(compressed.stdout == plain.stdout)
        // A broken line in the compressed artifact: placed in its decompressed text, in NAME.jsonl.gz.
        _ = try GzipInputTests.shell("cd '\(directory)' && gzip -dc '\(artifact).gz' | sed '3s/\"table_id\":\"[^\"]*\"/\"table_id\":\"nowhere\"/' | gzip > x && mv x '\(artifact).gz'")
        let broken = try Self.run("validate doc.json", in: directory)
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("\(artifact).gz:3:"), "\(broken.stdout)")
        #expect(broken.stdout.contains("reference error: record refers to table \"nowhere\""), "\(broken.stdout)")
    }

    @Test("an href naming NAME.jsonl.gz: read inflated, checked against the document's rows and bytes")
    func hrefToCompressed() throws {
        let (artifact, directory) = try Self.copy(Self.documents[0])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let plain = try Self.run("records doc.json", in: directory)
        _ = try GzipInputTests.shell("cd '\(directory)' && gzip '\(artifact)' && sed -i 's/\(artifact)/\(artifact).gz/' doc.json")
        let run = try Self.run("validate doc.json && \"$AICOCO\" records doc.json", in: directory)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        // The artifact's 60 records, the last lines, as from the plain artifact.
        let rows = { (text: String) in text.split(separator: "\n").suffix(60) }
        #expect(plain.status == 0 && rows(plain.stdout).count == 60)
        #expect(rows(run.stdout) == rows(plain.stdout))
    }
}

/// gzip input as GNU gzip reads it (issue 19): zeros after the last member are padding, and the
/// progress line counts compressed bytes against the compressed size.
@Suite("gzip padding and progress")
struct GzipPaddingTests {
    @Test("zero bytes after the last member: a warning, the same report; zeros then data: a compression error")
    func trailingZeros() throws {
        try inScratchDirectory { directory in
            let document = Paths.flavor.appendingPathComponent("flavor-detection.json").path
            let made = try GzipInputTests.shell("""
                cd '\(directory)' && gzip -c '\(document)' > plain.json.gz && \
                { cat plain.json.gz; head -c 70000 /dev/zero; } > padded.json.gz && \
                { cat plain.json.gz; head -c 3000 /dev/zero; printf x; } > garbage.json.gz
                """)
            #expect(made.status == 0)
            let plain = try GzipInputTests.shell("cd '\(directory)' && \"$AICOCO\" validate plain.json.gz && \"$AICOCO\" records plain.json.gz")
            let padded = try GzipInputTests.shell("cd '\(directory)' && \"$AICOCO\" validate padded.json.gz && \"$AICOCO\" records padded.json.gz")
            #expect(plain.status == 0 && padded.status == 0, "\(padded.stderr)")
            #expect(padded.stdout == plain.stdout.replacingOccurrences(of: "plain.json.gz", with: "padded.json.gz"))
            #expect(padded.stderr.contains("aicoco: warning: padded.json.gz: decompression OK, 70000 trailing zero bytes ignored"),
                    "\(padded.stderr)")
            #expect(plain.stderr.isEmpty, "\(plain.stderr)")
            let garbage = try GzipInputTests.shell("cd '\(directory)' && \"$AICOCO\" stats garbage.json.gz")
            #expect(garbage.status == 1)
            #expect(garbage.stderr.contains("compression error: corrupt compressed data at compressed byte"), "\(garbage.stderr)")
        }
    }

    @Test("records --progress on a gzip input: never past 100%, 100.0% at the end")
    func progressOfCompressedInput() throws {
        let directory = try ThirdRound.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try GzipInputTests.shell("""
            cd '\(directory)' && "$AICOCO" generate --bytes 3M --shape noisy | gzip > in.json.gz && \
            "$AICOCO" records --progress in.json.gz > /dev/null
            """)
        #expect(run.status == 0, "\(run.stderr)")
        let percents = run.stderr.matches(of: /([0-9]+\.[0-9])%/).compactMap { Double($0.output.1) }
        #expect(!percents.isEmpty, "\(run.stderr)")
        #expect(percents.allSatisfy { $0 <= 100 }, "\(run.stderr)")
        #expect(percents.last == 100.0, "\(run.stderr)")
    }
}
