import Foundation
import Testing

@Suite("filter selections")
struct FilterCLITests {
    static let series = Paths.fixture("segmentation-series.json")

    static func stats(_ document: String) throws -> [String: Any] {
        let path = try temporaryFile(Array(document.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try runTool(["stats", "--json", path])
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
    }

    @Test("nothing matches: says so, lists the category names, writes nothing, exits 1", arguments: [
        ["--category", "liver"], ["--object", "no-such-object"], ["--index", "100...200"], ["--image", "nope"],
        ["--category", "Liver", "--index", "100...200"],
    ])
    func nothingMatches(arguments: [String]) throws {
        let result = try runTool(["filter"] + arguments + [Self.series])
        #expect(result.status == 1, "\(arguments): \(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("nothing matches"))
        #expect(result.stderr.contains("categories: Abdomen, Kidney, Liver, Spleen"), "\(result.stderr)")
        if arguments.first == "--category" && arguments[1] == "liver" {
            #expect(result.stderr.contains("no category is named \"liver\""))
        }
    }

    @Test("a supercategory's name selects the objects of its children")
    func supercategory() throws {
        let result = try runTool(["filter", "--category", "Abdomen", Self.series])
        #expect(result.status == 0, "\(result.stderr)")
        let counts = try Self.stats(result.stdout)
        #expect(counts["objects"] as? Int == 4)
        #expect(counts["annotations"] as? Int == 15)
        #expect(counts["categories"] as? Int == 4)
        let liver = try Self.stats(try runTool(["filter", "--category", "Liver", Self.series]).stdout)
        #expect(liver["objects"] as? Int == 1)
        #expect(liver["categories"] as? Int == 2, "Liver and its supercategory Abdomen")
    }

    @Test("a name that matches nothing beside one that does: a note on standard error, exit 0")
    func partlyUnknown() throws {
        let result = try runTool(["filter", "--category", "Liver", "--category", "liver", Self.series])
        #expect(result.status == 0)
        #expect(result.stderr.contains("no category is named \"liver\""))
        #expect(try Self.stats(result.stdout)["objects"] as? Int == 1)
    }
}
