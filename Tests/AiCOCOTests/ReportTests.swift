import Foundation
import Testing

@Suite("validate FILE... and stats --json")
struct ReportTests {
    @Test("validate several files: one report on standard output, in order, a verdict line each")
    func severalFiles() throws {
        let good = Paths.fixture("detection.json"), other = Paths.fixture("minimal.json")
        let bad = Paths.broken.appendingPathComponent("reference-dangling-image-id.json").path
        let result = try runTool(["validate", good, bad, other])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(lines)")
        #expect(lines.first == "\(good): valid")
        #expect(lines.dropFirst().first?.hasPrefix("\(bad):24:19: reference error:") == true)
        #expect(lines.dropFirst(2).first == "\(bad): 1 problem")
        #expect(lines.last == "\(other): valid")
        let allGood = try runTool(["validate", good, other])
        #expect(allGood.status == 0)
        let missing = try runTool(["validate", good, "/nonexistent/x.json", bad])
        #expect(missing.status == 2, "an unreadable file outranks an invalid one")
        #expect(missing.stdout.contains("/nonexistent/x.json: cannot be read"))
        #expect(missing.stdout.hasSuffix("\(bad): 1 problem\n"), "the files after it are still checked")
        let json = try runTool(["validate", "--format", "json", good, bad])
        let reports = try json.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        #expect(reports.map { $0["valid"] as? Bool } == [true, false])
        #expect(reports.map { $0["file"] as? String } == [good, bad])
    }

    @Test("stats --json: the meta section's counts, predicted category names and regression values")
    func statsMeta() throws {
        func meta(_ name: String) throws -> [String: Any] {
            let result = try runTool(["stats", "--json", Paths.flavor.appendingPathComponent(name).path])
            #expect(result.status == 0)
            let stats = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
            return stats["meta"] as! [String: Any]
        }
        let classification = try meta("flavor-classification.json")
        #expect(classification["category_ids"] as? Int == 2)
        #expect(classification["predicted_categories"] as? [String] == ["Atelectasis", "Effusion"])
        let regression = try meta("flavor-regression.json")
        #expect(regression["regressions"] as? Int == 2)
        let values = regression["regression_values"] as! [[String: Any]]
        #expect(values.map { $0["name"] as? String } == ["SBP", "DBP"])
        #expect(values.map { $0["value"] as? Double } == [132.5, 81])
        #expect(values.first?["unit"] as? String == "mmHg")
    }
}
