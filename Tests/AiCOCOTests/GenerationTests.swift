import Foundation
import Testing
@testable import AiCOCO

/// Outputs of every FLaVor release (Fixtures/flavor/generations/, written by each release's own
/// code): inline `records` (2.1.0 to 2.2.1), `records_file` (2.2.2), `records.href` (2.2.3).
@Suite struct GenerationTests {
    static let generations = Paths.flavor.appendingPathComponent("generations")

    /// Each document, its artifact (if any) and its form.
    static let documents: [(name: String, artifact: String?, form: DocumentForm)] = [
        ("tabular-2.2.1-classification.json", nil, DocumentForm(kind: .tabular, records: .inline)),
        ("tabular-2.2.1-regression.json", nil, DocumentForm(kind: .tabular, records: .inline)),
        ("hybrid-2.2.1-classification.json", nil, DocumentForm(kind: .hybrid)),
        ("seg3d-background.json", nil, DocumentForm(kind: .image)),
        ("r222/tabular-2.2.2-regression.json", "r222/records_0n8FzNkmAoQAyroT5wZuW.jsonl",
         DocumentForm(kind: .tabular, records: .recordsFile)),
        ("../flavor-tabular-regression.json", "../records_bXoh5OOKg_t9ut3J6EVbC.jsonl",
         DocumentForm(kind: .tabular, records: .href)),
    ]

    static func path(_ name: String) -> String { generations.appendingPathComponent(name).standardized.path }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aicoco-gen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    static func jsonObject(_ path: String) throws -> NSDictionary {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! NSDictionary
    }

    @Test("every generation validates, and names its kind and FLaVor releases", arguments: documents.map(\.name))
    func validates(name: String) throws {
        let entry = Self.documents.first { $0.name == name }!
        #expect(validationProblems(.file(Self.path(name))) == [])
        var parser = DocumentParser(visitor: ProblemList(), options: DocumentParsing.Options(validate: true))
        try parser.parse(.file(Self.path(name)))
        #expect(parser.documentForm == entry.form)
        let report = try Tool.run(["validate", "--format", "json", Self.path(name)])
        #expect(report.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as! [String: Any]
        let document = object["document"] as! [String: Any]
        #expect(document["kind"] as? String == entry.form.kind.rawValue)
        #expect(document["records"] as? String == entry.form.records?.rawValue)
        #expect(document["flavor_releases"] as? String == entry.form.flavorReleases)
        let stats = try Tool.run(["stats", Self.path(name)])
        #expect(stats.stdout.contains("kind:         \(entry.form.described) (FLaVor \(entry.form.flavorReleases))"))
    }

    @Test("records | assemble gives each generation back JSON-equal, in its own form", arguments: documents.map(\.name))
    func roundTrip(name: String) throws {
        let entry = Self.documents.first { $0.name == name }!
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("out.json").path
        // The artifact under its original name: assemble's reference names the artifact it writes.
        let artifact = directory.appendingPathComponent(entry.artifact.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "rows.jsonl").path
        let lines = try Tool.run(["records", Self.path(name)])
        #expect(lines.status == 0, "\(lines.stderr)")
        let back = try Tool.run(["assemble", "-o", out] + (entry.artifact == nil ? [] : ["--artifact", artifact]),
                                input: Array(lines.stdout.utf8))
        #expect(back.status == 0, "\(back.stderr)")
        #expect(try Self.jsonObject(out) == Self.jsonObject(Self.path(name)))
        if let original = entry.artifact {
            #expect(try Data(contentsOf: URL(fileURLWithPath: artifact))
                == Data(contentsOf: URL(fileURLWithPath: Self.path(original))))
        } else {
            #expect(!FileManager.default.fileExists(atPath: artifact))
        }
    }

    /// Inline records are the same typed records as the same records in an artifact: the 2.2.1
    /// document rewritten in 2.2.3's form (records moved to a JSON-lines file) reads the same.
    @Test(arguments: ["tabular-2.2.1-classification.json", "tabular-2.2.1-regression.json"])
    func inlineRecordsAreTheArtifactsRecords(name: String) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var object = try Self.jsonObject(Self.path(name)) as! [String: Any]
        let rows = object["records"] as! [[String: Any]]
        #expect(rows.count > 10)
        var artifact = Data()
        for row in rows {
            artifact.append(try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys]))
            artifact.append(0x0A)
        }
        try artifact.write(to: directory.appendingPathComponent("records_x.jsonl"))
        object["records"] = ["format": "jsonl", "href": "/invocations/artifacts/records_x.jsonl",
                             "rows": rows.count, "bytes": artifact.count]
        let rewritten = directory.appendingPathComponent("doc.json").path
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: rewritten))
        #expect(validationProblems(.file(rewritten)) == [])
        let inline = try readRecords(.file(Self.path(name))).filter { $0.section == .rows }
        let fromArtifact = try readRecords(.file(rewritten)).filter { $0.section == .rows }
        #expect(inline.count == rows.count)
        #expect(inline == fromArtifact)
        // And `records` writes the same lines for them.
        let inlineLines = try Tool.run(["records", "--section", "rows", Self.path(name)])
        let artifactLines = try Tool.run(["records", "--section", "rows", rewritten])
        #expect(inlineLines.status == 0 && inlineLines.stdout == artifactLines.stdout)
    }

    @Test func recordsFileIsFoundBesideTheDocumentOrGiven() throws {
        let name = "r222/tabular-2.2.2-regression.json"
        let bytes = try Paths.bytes(Self.path(name))
        // From standard input there is no "beside": the error names records_file.path and --records.
        let missing = try Tool.run(["validate", "-"], input: bytes)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("records_file.path") && missing.stderr.contains("--records"))
        let given = try Tool.run(["validate", "--records", Self.path("r222/records_0n8FzNkmAoQAyroT5wZuW.jsonl"), "-"],
                                 input: bytes)
        #expect(given.status == 0, "\(given.stdout)")
        let records = try readRecords(.file(Self.path(name)))
        #expect(records.filter { $0.section == .rows }.count == 75)
        guard case .recordsReference(let reference)? = records.first(where: { $0.section == .records }) else {
            Issue.record("no records reference"); return
        }
        #expect(reference.form == .recordsFile && reference.fileName == "records_0n8FzNkmAoQAyroT5wZuW.jsonl")
    }
}
