import Foundation
import Testing
@testable import AiCOCO

/// `aicoco records` on invalid input: on a syntax error exactly the records that end before its
/// byte, on a dangling reference found at the end every record; in file order, the same on every run.
@Suite("records on invalid input")
struct RecordsCLITests {
    @Test("a syntax error half-way: the records before it, the same over 20 runs")
    func syntaxErrorHalfWay() throws {
        let document = generate(bytes: 2_000_000, seed: 5).bytes
        let valid = try temporaryFile(document)
        defer { try? FileManager.default.removeItem(atPath: valid) }
        let all = try runTool(["records", valid])
        #expect(all.status == 0)
        let lines = all.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        // Break the 1,000th annotation's first coordinate.
        let records = try readRecords(.bytes(document))
        let images = records.filter { $0.section == .images }.count
        guard case .annotation(let target) = records.filter({ $0.section == .annotations })[1000] else {
            Issue.record("no annotation 1000")
            return
        }
        let text = String(decoding: document, as: UTF8.self)
        let idRange = try #require(text.range(of: "\"\(target.id)\""))
        let segmentation = try #require(text.range(of: "\"segmentation\":[[", range: idRange.upperBound..<text.endIndex))
        var broken = document
        let offset = text.utf8.distance(from: text.startIndex, to: segmentation.upperBound)
        broken.insert(UInt8(ascii: "x"), at: offset)
        let path = try temporaryFile(broken)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let expected = lines.prefix(images + 1000).map { $0 + "\n" }.joined()
        for run in 0..<20 {
            let result = try runTool(["records", path])
            #expect(result.status == 1)
            #expect(result.stdout == expected, "run \(run): \(result.stdout.split(separator: "\n").count) lines, expected \(images + 1000)")
            #expect(result.stderr.contains("syntax error") && result.stderr.contains(":\(offset + 1):"), "\(result.stderr)")
        }
    }

    @Test("a reference found dangling only at the end: every record, then exit 1, over 20 runs")
    func danglingAtTheEnd() throws {
        let path = Paths.broken.appendingPathComponent("reference-dangling-object-id.json").path
        // Objects come after the annotations: the dangling object id is known only at the end.
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        let count = document.values.reduce(0) { $0 + (($1 as? [Any])?.count ?? 1) }
        #expect(count == 7)
        for run in 0..<20 {
            let result = try runTool(["records", path])
            #expect(result.status == 1)
            #expect(result.stdout.split(separator: "\n").count == count, "run \(run): every record")
            #expect(result.stderr.contains("reference error"))
        }
    }
}
