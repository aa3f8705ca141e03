import Testing
@testable import AiCOCO

/// One record grammar: a tabular record read inline in a document (`records: [...]`) and the
/// same record read as a line of a records artifact give the same problems, with the same
/// messages, at the same place within the record.
@Suite struct RecordGrammarTests {
    static let table = "pL_QEti-WqMT6rulL7Vix"
    static let regression = "ZCbxop5vPxKRSMSQbXhJd"
    static let good = #"{"id":"r0","table_id":"\#(table)","row_indexes":[0,1,2],"category_ids":null,"regressions":[{"regression_id":"\#(regression)","value":1.5}]}"#
    static let long = String(repeating: "k", count: 50)

    /// Bad records: each a replacement in `good`.
    static let cases: [(String, String)] = [
        ("\"regression_id\":\"\(regression)\"", "\"regression_id\":5"),
        ("\"regression_id\":\"\(regression)\"", "\"regression_id\":[1]"),
        ("\"regression_id\":\"\(regression)\"", "\"regression_id\":\"nope\""),
        ("\"regression_id\":\"\(regression)\"", "\"zz\":1,\"regression_id\":\"\(regression)\""),
        ("\"value\":1.5", "\"value\":\"x\""),
        ("\"value\":1.5", "\"value\":1\(String(repeating: "0", count: 50))e999"),
        (",\"value\":1.5", ""),
        ("[0,1,2]", "[0,-1,2]"),
        ("[0,1,2]", "[0,1]"),
        ("[0,1,2]", "[[0],1,2]"),
        ("[0,1,2]", "\"x\""),
        ("\"table_id\":\"\(table)\"", "\"table_id\":7"),
        ("\"table_id\":\"\(table)\"", "\"table_id\":\"nope\""),
        ("\"category_ids\":null", "\"category_ids\":[1,\"x\",{}]"),
        ("\"category_ids\":null", "\"category_ids\":5"),
        ("\"regressions\":[", "\"regressions\":[5,[1],"),
        ("\"id\":\"r0\"", "\"id\":\"a\",\"id\":\"b\""),
        ("\"id\":\"r0\",", ""),
        ("\"id\":\"r0\"", "\"id\":\"r0\",\"\(long)\":1,\"\(long)\":2,\"x\":{\"a\":1,\"a\":2}"),
    ]

    /// The problems of `record` read inline, their paths taken from the record on (`@`).
    static func inline(_ record: String) -> [String] {
        let document = #"{"tables":[{"id":"\#(table)","file_name":"a.csv"}],"categories":[],"regressions":[{"id":"\#(regression)","name":"HR","superregression_id":null,"unit":"bpm"}],"records":[\#(record)],"meta":{"window_size":3}}"#
        return inRecord(validationProblems(.bytes(Array(document.utf8))))
    }

    /// The problems of `record` read as the one line of an artifact, paths from the record on.
    static func artifact(_ record: String) throws -> [String] {
        let read = try TabularArtifactTests.read("records.jsonl", document: "flavor-tabular-regression.json",
                                                 bytes: Array((record + "\n").utf8))
        return inRecord(read.problems)
    }

    /// The problems placed in the record (not the artifact's own checks of its rows and bytes),
    /// its path (`$.records[0]` inline, `$[0]` in an artifact and for references) written `@`.
    static func inRecord(_ problems: [DocumentError]) -> [String] {
        problems.compactMap { problem in
            guard let prefix = ["$.records[0]", "$[0]"].first(where: { problem.path.hasPrefix($0) }) else { return nil }
            return "\(problem.kind) \(problem.message) @\(problem.path.dropFirst(prefix.count))"
        }
    }

    @Test(arguments: cases)
    func sameProblemsInlineAndAsALine(from: String, to: String) throws {
        let record = Self.good.replacingOccurrences(of: from, with: to)
        let inline = Self.inline(record)
        #expect(!inline.isEmpty)
        #expect(try Self.artifact(record) == inline)
    }

    @Test func aGoodRecordHasNoProblemEitherWay() throws {
        #expect(Self.inline(Self.good).isEmpty)
        #expect(try Self.artifact(Self.good).isEmpty)
    }
}
