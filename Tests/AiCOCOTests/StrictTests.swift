import Foundation
import Testing
@testable @_spi(Testing) import AiCOCO

/// `validate --strict` held to the verdicts of FLaVor's own output models and of the schema,
/// recorded once by scripts/flavor_verdict.py in Fixtures/strict/verdicts.tsv, on every real
/// sample and every mutation in Fixtures/strict/ (scripts/make_strict_fixtures.py).
@Suite struct StrictTests {
    struct Verdict {
        var file: String
        var kind: String
        /// valid, invalid, or n/a (tabular and hybrid outputs: the upstream schema knows no tables).
        var schema: String
        var modelAccepts: Bool
        var modelPath: String
    }

    static let verdicts: [Verdict] = {
        let text = try! String(contentsOf: Paths.fixtures.appendingPathComponent("strict/verdicts.tsv"), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return Verdict(file: f[0], kind: f[1], schema: f[2], modelAccepts: f[3] == "accept", modelPath: f[4])
        }
    }()

    /// The rules `--strict` names (FLaVor's model and field).
    static let rules = ["AiImage.index", "AiAnnotation.bbox", "AiAnnotation.segmentation",
                        "AiCOCOTabularRecordsArtifact", "AiHybridMeta.table_ids"]

    struct Report: Decodable {
        struct Problem: Decodable {
            var kind: String
            var message: String
            var path: String
            var line: Int
            var column: Int
            var offset: Int
            var file: String?
        }
        var valid: Bool
        var errors: [Problem]
        var error_count: Int
    }

    static func validate(_ path: String, strict: Bool) throws -> Report {
        let result = try Tool.run(["validate", "--format", "json"] + (strict ? ["--strict"] : []) + [path])
        #expect(result.status == (result.stdout.contains("\"valid\":true") ? 0 : 1), "\(path): \(result.stderr)")
        return try JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
    }

    @Test func verdictsCoverEverySampleAndMutation() throws {
        let listed = Set(Self.verdicts.map(\.file))
        for directory in ["flavor", "strict"] {
            let names = try FileManager.default.contentsOfDirectory(atPath: Paths.fixtures.appendingPathComponent(directory).path)
            for name in names where name.hasSuffix(".json") {
                #expect(listed.contains("Fixtures/\(directory)/\(name)"), "no verdict for \(directory)/\(name)")
            }
        }
        let mutations = Self.verdicts.filter { $0.file.hasPrefix("Fixtures/strict/") }
        #expect(mutations.count >= 40)
        // Both outcomes, and every kind of output, among the mutations.
        #expect(mutations.contains { $0.modelAccepts } && mutations.contains { !$0.modelAccepts })
        #expect(Set(mutations.map(\.kind)) == ["image", "tabular", "hybrid"])
    }

    @Test(arguments: verdicts.map(\.file))
    func strictAgreesWithModelsAndSchema(_ file: String) throws {
        let verdict = Self.verdicts.first { $0.file == file }!
        let path = Paths.root.appendingPathComponent(file).path
        let plain = try Self.validate(path, strict: false)
        if verdict.schema == "n/a" {
            // Tabular and hybrid outputs: the default checks are the schema; on these files they
            // refuse only what FLaVor's models refuse too (the artifact's lines, AiRecord).
            #expect(plain.valid || !verdict.modelAccepts, "\(file): default \(plain.valid)")
        } else {
            #expect(plain.valid == (verdict.schema == "valid"), "\(file): default \(plain.valid), schema \(verdict.schema)")
        }
        let strict = try Self.validate(path, strict: true)
        #expect(strict.valid == (plain.valid && verdict.modelAccepts),
                "\(file): strict \(strict.valid), default \(plain.valid), model accepts \(verdict.modelAccepts)")
        #expect(strict.error_count >= plain.error_count)
        guard !strict.valid else { return }
        #expect(!strict.errors.isEmpty)
        for problem in strict.errors {
            // Placed: the line and column are those of the offset, in the file the problem is in.
            let placeFile = problem.file ?? path
            let bytes = try Paths.bytes(placeFile)
            #expect(problem.offset >= 0 && problem.offset < bytes.count, "\(file): \(problem)")
            let before = bytes[..<min(problem.offset, bytes.count)]
            let line = before.filter { $0 == 0x0A }.count + 1
            let column = problem.offset - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
            #expect(problem.line == line && problem.column == column, "\(file): \(problem)")
            #expect(problem.path.hasPrefix("$"))
        }
        if plain.valid {
            // Only FLaVor's models refuse it: each problem names the rule, at the model's place.
            for problem in strict.errors {
                #expect(problem.kind == "strict", "\(file): \(problem)")
                #expect(Self.rules.contains { problem.message.contains($0) }, "\(file): \(problem.message)")
                #expect(verdict.modelPath.hasPrefix(problem.path), "\(file): \(problem.path) vs \(verdict.modelPath)")
            }
            let text = try Tool.run(["validate", "--strict", path])
            let first = strict.errors[0]
            #expect(text.status == 1)
            #expect(text.stdout.contains("\(path):\(first.line):\(first.column): strict error: \(first.message) (\(first.path))"),
                    "\(text.stdout)")
        }
    }

    /// What pydantic 2.14's lax `int` takes (probed on FLaVor 2.2.3's AiImage.index).
    @Test func integerTokensAsPydanticTakesThem() {
        let cases: [(String, Bool)] = [
            ("3", true), ("-0", true), ("3.0", true), ("1e2", true), ("1E+2", true), ("-0.0", true), ("0.5e1", true),
            ("123456789012345678901234567890", true), ("-9223372036854775809", true), ("9.2e18", true),
            ("1.0000000000000000001", true), ("9223372036854774784.0", true), ("-1e-400", true),
            ("3.5", false), ("1e300", false), ("1e19", false), ("9223372036854775808.0", false),
            ("-9223372036854775808.0", false), ("5e-324", false), ("0.1", false),
        ]
        for (token, taken) in cases {
            let bytes = Array(token.utf8)
            let value = bytes.withUnsafeBufferPointer { parseJSONNumber($0) }!
            #expect(bytes.withUnsafeBufferPointer { takenAsInt($0, value) } == taken, "\(token)")
        }
    }

    /// The strict checks see each number whatever the chunks it comes in, read by the coordinate
    /// scanner or by yajl, and the default parse (no --strict) reports none of them.
    @Test(arguments: ["seg-segmentation-fraction.json", "seg-segmentation-exponent-fraction.json",
                      "det-bbox-negative-fraction.json", "seg-segmentation-big-float.json"])
    func chunkedAndDefault(_ name: String) throws {
        let path = Paths.fixtures.appendingPathComponent("strict/" + name).path
        let bytes = try Paths.bytes(path)
        let expected = validationProblems(.file(path))
        #expect(expected.isEmpty)
        let verdict = Self.verdicts.first { $0.file == "Fixtures/strict/" + name }!
        var places: Set<String> = []
        for (size, scanner) in [(1, true), (7, true), (64, true), (bytes.count, true), (5, false), (bytes.count, false)] {
            var options = DocumentParsing.Options(validate: true)
            options.strict = true
            options.readsPolygonsWithoutYajl = scanner
            var parser = DocumentParser(visitor: ProblemList(), options: options)
            var start = 0
            while start < bytes.count {
                let end = min(start + size, bytes.count)
                try parser.feed(bytes[start..<end])
                start = end
            }
            try parser.finish()
            let problems = parser.visitor.problems
            #expect(problems.map(\.kind) == [.strict], "chunks of \(size), scanner \(scanner)")
            #expect(problems.first?.path == verdict.modelPath)
            if let first = problems.first { places.insert("\(first.location)") }
        }
        #expect(places.count == 1, "\(places)")
    }
}
