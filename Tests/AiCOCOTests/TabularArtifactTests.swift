import Foundation
import Testing
@testable import AiCOCO

/// The records artifact of tabular outputs, read on its own (the document's ids given by hand).
@Suite struct TabularArtifactTests {
    static let flavor = Paths.fixtures.appendingPathComponent("flavor")
    static let artifacts = [("flavor-tabular-classification.json", "records_b3UbJp42tMFsBzD8Ucw9W.jsonl"),
                            ("flavor-tabular-regression.json", "records_bXoh5OOKg_t9ut3J6EVbC.jsonl")]

    /// A checker that knows the tables, categories and regressions of `document` (read with Foundation).
    static func checker(for document: String) throws -> (ReferenceChecker, RecordsReference, Int) {
        let data = try Data(contentsOf: flavor.appendingPathComponent(document))
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let checker = ReferenceChecker()
        for section in [Section.tables, .categories, .regressions] {
            for (index, item) in (object[section.rawValue] as! [[String: Any]]).enumerated() {
                let site = ReferenceSite(section: section, record: index, field: .id)
                #expect(checker.define(section, id: item["id"] as! String, site: site,
                                       at: SourceLocation(offset: 0, line: 1, column: 1)) == nil)
            }
            checker.sectionCompleted(section)
        }
        let records = object["records"] as! [String: Any]
        let reference = RecordsReference(format: records["format"] as! String, href: records["href"] as! String,
                                           rows: records["rows"] as! Int, bytes: records["bytes"] as! Int)
        return (checker, reference, (object["meta"] as! [String: Any])["window_size"] as! Int)
    }

    static func read(_ artifact: String, document: String, bytes: [UInt8]? = nil, validate: Bool = true)
        throws -> (records: [TabularRecord], problems: [DocumentError]) {
        let (checker, reference, windowSize) = try checker(for: document)
        var records: [TabularRecord] = []
        var problems: [DocumentError] = []
        let stream = try RecordsArtifactStream(
            path: artifact, reader: bytes.map { MemoryReader($0) }, reference: reference, windowSize: windowSize,
            options: DocumentParsing.Options(validate: validate), checker: validate ? checker : nil,
            report: { problems.append($0) }, deliver: { record, index in
                #expect(index == records.count + problems.count || !problems.isEmpty)
                records.append(record)
            })
        while try stream.step() {}
        if validate { try checker.finish { problems.append($0) } }
        return (records, problems)
    }

    @Test(arguments: artifacts)
    func samplesReadAndWriteBackByteForByte(document: String, artifact: String) throws {
        let path = Self.flavor.appendingPathComponent(artifact).path
        let (records, problems) = try Self.read(path, document: document)
        #expect(problems == [])
        #expect(records.count == 60)
        var out: [UInt8] = []
        let lines = RecordLineWriter(envelope: false, sink: { out.append(contentsOf: $0) })
        for record in records { try lines.write(.tabularRecord(record)) }
        try lines.flush()
        #expect(out == (try Paths.bytes(path)))
    }
}
