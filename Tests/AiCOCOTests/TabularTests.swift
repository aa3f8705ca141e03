import Foundation
import Testing
@testable import AiCOCO
import AiCOCOGen

/// Issue 12: tabular and hybrid outputs (the real FLaVor samples in Fixtures/flavor) and their
/// records artifacts, through the library and the command line.
@Suite struct TabularTests {
    static let flavor = Paths.fixtures.appendingPathComponent("flavor")
    static let brokenTabular = Paths.broken.appendingPathComponent("tabular")
    static let samples = ["flavor-tabular-classification.json", "flavor-tabular-regression.json",
                          "flavor-hybrid-classification.json", "flavor-hybrid-regression.json"]
    static let artifacts = ["flavor-tabular-classification.json": "records_b3UbJp42tMFsBzD8Ucw9W.jsonl",
                            "flavor-tabular-regression.json": "records_bXoh5OOKg_t9ut3J6EVbC.jsonl"]

    static func path(_ sample: String) -> String { flavor.appendingPathComponent(sample).path }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("aicoco-tabular-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The document's JSON and, for tabular outputs, the artifact's lines, as Foundation reads them.
    static func foundationJSON(_ path: String) throws -> NSDictionary {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! NSDictionary
    }

    // MARK: Kinds and records

    static func items(_ record: Record) -> [RegressionItem] {
        switch record {
        case .tabularRecord(let r): r.regressions ?? []
        case .meta(let r): r.regressions ?? []
        case .image(let r): r.regressions ?? []
        case .object(let r): r.regressions ?? []
        default: []
        }
    }

    static func withoutValues(_ record: Record) -> Record {
        func zero(_ items: [RegressionItem]?) -> [RegressionItem]? {
            items?.map { RegressionItem(regressionID: $0.regressionID, value: 0) }
        }
        switch record {
        case .tabularRecord(var r): r.regressions = zero(r.regressions); return .tabularRecord(r)
        case .meta(var r): r.regressions = zero(r.regressions); return .meta(r)
        default: return record
        }
    }

    static func closeValues(_ a: Record, _ b: Record) -> Bool {
        zip(items(a), items(b)).allSatisfy { abs($0.value - $1.value) <= 1e-12 * max(1, abs($0.value)) }
    }

    @Test("every sample validates, its artifact included", arguments: samples)
    func samplesValidate(sample: String) {
        #expect(validationProblems(.file(Self.path(sample))) == [])
    }

    @Test("the records are those Foundation reads, artifact included", arguments: samples)
    func recordsAreTheFile(sample: String) throws {
        let records = try readRecords(.file(Self.path(sample)))
        var expected = try oracleRecords(try Paths.bytes(Self.path(sample)))
        if let artifact = Self.artifacts[sample] {
            let lines = try String(contentsOfFile: Self.path(artifact), encoding: .utf8).split(separator: "\n")
            expected[.rows] = try lines.flatMap { line in
                try oracleRecords(Array("{\"rows\":[\(line)]}".utf8))[.rows] ?? []
            }
            #expect(expected[.rows]?.count == 60)
        }
        for section in Section.allCases {
            let ours = records.filter { $0.section == section }.map(normalizedExtras)
            let theirs = expected[section] ?? []
            #expect(ours.count == theirs.count, "\(sample) \(section)")
            // Foundation reads some doubles one unit in the last place off (our values write back
            // byte for byte, see roundTrip): regression values are compared within 1e-12.
            for (a, b) in zip(ours, theirs) where Self.withoutValues(a) != Self.withoutValues(b) || !Self.closeValues(a, b) {
                Issue.record("\(sample) \(section): \(a) != \(b)")
                break
            }
        }
        let hybrid = sample.contains("hybrid")
        #expect(records.contains { $0.section == .tables })
        #expect(records.contains { $0.section == .images } == hybrid)
        if hybrid, case .meta(let meta)? = records.last {
            #expect(meta.keys.contains(.tableIDs) && meta.tableIDs == nil)
        }
    }

    @Test("records | assemble gives back each sample, and its artifact byte for byte", arguments: samples)
    func roundTrip(sample: String) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let records = try readRecords(.file(Self.path(sample)))
        var lines: [UInt8] = []
        let writer = RecordLineWriter(envelope: true, sink: { lines.append(contentsOf: $0) })
        for record in records { try writer.write(record) }
        try writer.flush()

        // The artifact under its original name: assemble's reference names the artifact it writes.
        let name = Self.artifacts[sample].map { URL(fileURLWithPath: $0).lastPathComponent } ?? "artifact.jsonl"
        let artifact = directory.appendingPathComponent(name).path
        var document: [UInt8] = []
        try DocumentAssembler(artifact: artifact).assemble(.bytes(lines), to: DocumentWriter(sink: { document.append(contentsOf: $0) }))
        let copy = directory.appendingPathComponent(sample).path
        FileManager.default.createFile(atPath: copy, contents: Data(document))
        #expect(try Self.foundationJSON(copy) == (try Self.foundationJSON(Self.path(sample))))
        if let original = Self.artifacts[sample] {
            #expect(try Paths.bytes(artifact) == (try Paths.bytes(Self.path(original))))
            // The copy validates against the artifact written beside it.
            var options = DocumentParsing.Options(validate: true)
            options.recordsArtifact = .file(artifact)
            var parser = DocumentParser(visitor: ProblemList(), options: options)
            try parser.parse(.file(copy))
            #expect(parser.visitor.problems == [])
        } else {
            #expect(!FileManager.default.fileExists(atPath: artifact))
        }
    }

    @Test func assembleNeedsAnArtifactForTabularRecords() throws {
        let records = try readRecords(.file(Self.path("flavor-tabular-regression.json")))
        var lines: [UInt8] = []
        let writer = RecordLineWriter(envelope: true, sink: { lines.append(contentsOf: $0) })
        for record in records { try writer.write(record) }
        try writer.flush()
        #expect(throws: DocumentAssembler.ArtifactNeeded.self) {
            try DocumentAssembler().assemble(.bytes(lines), to: DocumentWriter(sink: { _ in }))
        }
    }

    @Test func artifactSourcesAndTheirErrors() throws {
        let sample = Self.path("flavor-tabular-classification.json")
        let bytes = try Paths.bytes(sample)
        // From memory there is no directory to look in: a plain io error, unless told where.
        let problems = validationProblems(.bytes(bytes))
        #expect(problems.count == 1 && problems[0].kind == .io && problems[0].message.contains("--records"))
        var options = DocumentParsing.Options(validate: true)
        options.recordsArtifact = .file(Self.path("records_b3UbJp42tMFsBzD8Ucw9W.jsonl"))
        var parser = DocumentParser(visitor: ProblemList(), options: options)
        try parser.parse(.bytes(bytes))
        #expect(parser.visitor.problems == [])
        // The other sample's artifact: other rows, bytes, and references that dangle.
        options.recordsArtifact = .file(Self.path("records_bXoh5OOKg_t9ut3J6EVbC.jsonl"))
        parser = DocumentParser(visitor: ProblemList(), options: options)
        try parser.parse(.bytes(bytes))
        #expect(parser.visitor.problems.contains { $0.kind == .reference && $0.path == "$[0].regressions[0].regression_id" })
        #expect(parser.visitor.problems.allSatisfy { $0.file == Self.path("records_bXoh5OOKg_t9ut3J6EVbC.jsonl") })
        // Skipped: the document alone.
        options.recordsArtifact = .skip
        let records = try readRecords(.bytes(bytes), options: RecordReader.Options(parser: options))
        #expect(!records.contains { $0.section == .rows } && records.contains { $0.section == .records })
        // A missing artifact: io, naming it.
        options.recordsArtifact = .file("/nonexistent/records.jsonl")
        #expect(throws: DocumentError.self) { _ = try readRecords(.bytes(bytes), options: RecordReader.Options(parser: options)) }
        let missing = validationProblems(.bytes(bytes))
        #expect(missing.first?.kind == .io)
    }

    @Test func convertAndFilterSayTabularOutputsHaveNothingToDo() throws {
        let sample = Self.path("flavor-tabular-regression.json")
        #expect(throws: NothingToDoForTabular.self) {
            _ = try COCOConverter(imageSize: (4, 4)).convert(.file(sample), to: JSONWriter(sink: { _ in }))
        }
        #expect(throws: NothingToDoForTabular.self) {
            _ = try DocumentFilter(criteria: DocumentFilter.Criteria()).filter(passes: { .file(sample) },
                                                                        to: DocumentWriter(sink: { _ in }))
        }
        // Hybrid: the image part is converted; tables are kept by filter.
        var out: [UInt8] = []
        let hybrid = Self.path("flavor-hybrid-classification.json")
        let summary = try DocumentFilter(criteria: DocumentFilter.Criteria(categoryNames: ["Edema"]))
            .filter(passes: { .file(hybrid) }, to: DocumentWriter(sink: { out.append(contentsOf: $0) }))
        #expect(summary.kept[.tables] == 2 && summary.kept[.images] == 2)
        #expect(validationProblems(.bytes(out)) == [])
    }

    // MARK: Broken fixtures

    struct Expected: Decodable {
        let file: String, kind: String, offset: Int, line: Int, column: Int, path: String, contains: String
    }

    static let expected: [String: Expected] = {
        let data = try! Data(contentsOf: brokenTabular.appendingPathComponent("expected.json"))
        return try! JSONDecoder().decode([String: Expected].self, from: data)
    }()

    @Test("each rule of tabular and hybrid outputs has a fixture with its one problem, at its place",
          arguments: expected.keys.sorted())
    func brokenFixture(name: String) throws {
        let expected = Self.expected[name]!
        let document = Self.brokenTabular.appendingPathComponent(name + ".json").path
        let problems = validationProblems(.file(document))
        #expect(problems.count == 1, "\(name): \(problems)")
        guard let problem = problems.first else { return }
        #expect(problem.kind.rawValue == expected.kind, "\(name): \(problem)")
        #expect(problem.location == SourceLocation(offset: expected.offset, line: expected.line, column: expected.column),
                "\(name): \(problem)")
        #expect(problem.path == expected.path, "\(name): \(problem)")
        #expect(problem.message.lowercased().contains(expected.contains.lowercased()), "\(name): \(problem.message)")
        let inArtifact = expected.file.hasSuffix(".jsonl")
        #expect(problem.file == (inArtifact ? Self.brokenTabular.appendingPathComponent(expected.file).path : nil),
                "\(name): \(problem)")
    }

    // MARK: Generator

    @Test(arguments: TabularGeneratorOptions.Task.allCases)
    func generatedOutputsValidateAndAreStable(task: TabularGeneratorOptions.Task) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let options = TabularGeneratorOptions(records: 5_000, seed: 3, task: task, windowSize: 4, tables: 3,
                                              artifactName: "rows.jsonl")
        var artifact: [UInt8] = []
        var document: [UInt8] = []
        let reference = try TabularGenerator(options: options).generate(artifact: { artifact.append(contentsOf: $0) },
                                                                        document: { document.append(contentsOf: $0) })
        #expect(reference.rows == 5_000 && reference.bytes == artifact.count)
        FileManager.default.createFile(atPath: directory.appendingPathComponent("rows.jsonl").path, contents: Data(artifact))
        let path = directory.appendingPathComponent("doc.json").path
        FileManager.default.createFile(atPath: path, contents: Data(document))
        #expect(validationProblems(.file(path)) == [])
        let records = try readRecords(.file(path))
        #expect(records.filter { $0.section == .rows }.count == 5_000)
        #expect(records.filter { $0.section == .tables }.count == 3)
        var again: [UInt8] = []
        try TabularGenerator(options: options).generate(artifact: { again.append(contentsOf: $0) }, document: { _ in })
        #expect(again == artifact)
    }

    // MARK: Command line

    @Test func commandLine() throws {
        guard FileManager.default.isExecutableFile(atPath: Tool.path) else { return }
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let sample = Self.path("flavor-tabular-classification.json")
        // records of the artifact alone are the artifact.
        let rows = try runTool(["records", "--section", "rows", sample])
        #expect(rows.status == 0)
        #expect(rows.stdout == (try String(contentsOfFile: Self.path("records_b3UbJp42tMFsBzD8Ucw9W.jsonl"), encoding: .utf8)))
        // An artifact problem is printed with the artifact's name.
        let broken = Self.brokenTabular.appendingPathComponent("artifact-dangling-table-id.json").path
        let validate = try runTool(["validate", broken])
        #expect(validate.status == 1)
        let artifactName = Self.brokenTabular.appendingPathComponent("artifact-dangling-table-id.jsonl").path
        #expect(validate.stdout.hasPrefix(artifactName + ":2:42: reference error"), "\(validate.stdout)")
        let json = try runTool(["validate", "--format", "json", broken])
        #expect(json.stdout.contains("\"file\":") && json.stdout.contains("\"line\":2"))
        // --records names the artifact; convert says plainly there is nothing to convert.
        let other = try runTool(["validate", "--records", Self.path("records_bXoh5OOKg_t9ut3J6EVbC.jsonl"), sample])
        #expect(other.status == 1)
        let convert = try runTool(["convert", "--to", "coco", sample])
        #expect(convert.status == 2 && convert.stdout.isEmpty && convert.stderr.contains("nothing to convert"))
        // generate --tabular writes the document and its artifact; both validate.
        let artifact = directory.appendingPathComponent("records_gen.jsonl").path
        let document = directory.appendingPathComponent("gen.json").path
        FileManager.default.createFile(atPath: document, contents: nil)
        let generate = try runTool(["generate", "--records", "2000", "--task", "regression", "--artifact", artifact], stdoutPath: document)
        #expect(generate.status == 0, "\(generate.stderr)")
        #expect(FileManager.default.fileExists(atPath: artifact))
        let check = try runTool(["validate", document])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }
}
