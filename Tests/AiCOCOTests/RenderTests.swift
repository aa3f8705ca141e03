import Foundation
import Testing
import AiCOCO

@Suite("render")
struct RenderTests {
    /// The `<g>` elements of the drawing: annotation id -> (fill, the numbers of each path).
    static func groups(_ svg: String) -> [(id: String, fill: String, paths: [[Double]])] {
        var groups: [(id: String, fill: String, paths: [[Double]])] = []
        for part in svg.components(separatedBy: "<g id=\"").dropFirst() {
            let id = String(part.prefix { $0 != "\"" })
            guard id != "legend" else { continue }
            let fill = part.components(separatedBy: "fill=\"")[1].prefix { $0 != "\"" }
            let body = part.components(separatedBy: "</g>")[0]
            let paths = body.components(separatedBy: "<path d=\"").dropFirst().map { path in
                path.prefix { $0 != "\"" }.split(whereSeparator: { " MLZ".contains($0) }).compactMap { Double($0) }
            }
            groups.append((id, String(fill), paths))
        }
        return groups
    }

    @Test("the SVG of a real slice: every contour of the slice, in its category's color, and a legend")
    func realSlice() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aicoco-render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sample = Paths.flavor.appendingPathComponent("flavor-seg3d-smooth.json").path
        let out = directory.appendingPathComponent("slice.svg").path
        let result = try Tool.run(["render", "--index", "20", "--image-size", "512x512", "-o", out, sample])
        #expect(result.status == 0, "\(result.stderr)")
        let svg = try String(contentsOfFile: out, encoding: .utf8)
        #expect(svg.contains("width=\"512\" height=\"512\" viewBox=\"0 0 512 512\""))

        let records = try readRecords(.file(sample))
        let image = records.compactMap { if case .image(let image) = $0, image.index == 20 { image } else { nil } }.first!
        let categories = records.compactMap { if case .category(let category) = $0 { category } else { nil } }
        var categoryOfObject: [String: Category] = [:]
        for case .object(let object) in records {
            categoryOfObject[object.id] = categories.first { $0.id == object.categoryIDs?.first }
        }
        let annotations = records.compactMap { if case .annotation(let a) = $0, a.imageID == image.id { a } else { nil } }
        #expect(annotations.count >= 10)
        let drawn = Self.groups(svg)
        #expect(drawn.map(\.id) == annotations.map(\.id), "one group per annotation, in file order")
        for (group, annotation) in zip(drawn, annotations) {
            let category = try #require(categoryOfObject[annotation.objectID])
            #expect(group.fill == category.color!.lowercased(), "\(annotation.id)")
            let contours = annotation.segmentation!.map { Array($0) }
            #expect(group.paths == contours.map { $0.map { $0 + 0.5 } }, "\(annotation.id): the path goes through the pixel centres")
        }
        // The legend names each category on the slice once, with its color.
        let legend = svg.components(separatedBy: "<g id=\"legend\"")[1]
        let names = Set(annotations.compactMap { categoryOfObject[$0.objectID]?.name })
        for name in names {
            #expect(legend.components(separatedBy: ">\(name)</text>").count == 2, "\(name) in the legend")
            let color = categories.first { $0.name == name }!.color!.lowercased()
            #expect(legend.contains("fill=\"\(color)\"/><text"))
        }
    }

    @Test("a palette where categories have no color; names are escaped; a wrong index is a usage error")
    func paletteAndErrors() throws {
        let sample = Paths.flavor.appendingPathComponent("flavor-seg2d.json").path
        let result = try Tool.run(["render", "--index", "0", "--image-size", "512x512", "-o", "-", sample])
        #expect(result.status == 0, "\(result.stderr)")
        let fills = Set(Self.groups(result.stdout).map(\.fill))
        #expect(!fills.isEmpty && fills.isSubset(of: ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]), "\(fills)")
        let wrong = try Tool.run(["render", "--index", "99", "--image-size", "512x512", "-o", "-", sample])
        #expect(wrong.status == 2 && wrong.stderr.contains("no image has index 99"))
        #expect(wrong.stderr.contains("See 'aicoco render --help'"), "\(wrong.stderr)")
        let noSize = try Tool.run(["render", "--index", "0", "-o", "-", sample])
        #expect(noSize.status == 2 && noSize.stderr.contains("--image-size"))
    }

    @Test("category names escaped scalar by scalar: an ampersand before a combining mark too")
    func namesEscaped() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aicoco-render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sample = Paths.flavor.appendingPathComponent("flavor-seg2d.json")
        var document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: sample)) as? [String: Any])
        var categories = try #require(document["categories"] as? [[String: Any]])
        for index in categories.indices { categories[index]["name"] = "A&\u{301}<B>\"'\(index)" }
        document["categories"] = categories
        let path = directory.appendingPathComponent("names.json").path
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: path))
        let result = try Tool.run(["render", "--index", "0", "--image-size", "512x512", "-o", "-", path])
        #expect(result.status == 0, "\(result.stderr)")
        let scalars = Array(result.stdout.unicodeScalars)
        func has(_ text: String) -> Bool {
            let needle = Array(text.unicodeScalars)
            return scalars.indices.contains { scalars[$0...].starts(with: needle) }
        }
        #expect(has("A&amp;\u{301}&lt;B&gt;&quot;&apos;"), "the legend names the categories, escaped")
        #expect(!has("&\u{301}") && !has("<B") && !has("B>"), "no name's special character left as it was")
    }

    @Test("control characters in names replaced (XML 1.0 forbids them); NaN coordinates left out, with a note")
    func controlCharactersAndNonFinite() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aicoco-render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let annotation = #"{"id":"a%@","image_id":"i","object_id":"o","iscrowd":0,"bbox":null,"segmentation":[[%@]]}"#
        let document = #"{"images":[{"id":"i","index":0,"file_name":"a","category_ids":null,"regressions":null,"width":10,"height":10}],"annotations":["#
            + String(format: annotation, "1", "1,1,5,1,5,5") + "," + String(format: annotation, "2", "1,1,NaN,2,Infinity,5")
            + #"],"categories":[{"id":"c","name":"A\u0001B\uFFFF","supercategory_id":null}],"regressions":[],"#
            + #""objects":[{"id":"o","category_ids":["c"],"regressions":null}],"meta":{"category_ids":null,"regressions":null}}"#
        let path = directory.appendingPathComponent("control.json").path
        try Data(document.utf8).write(to: URL(fileURLWithPath: path))
        let out = directory.appendingPathComponent("control.svg").path
        let result = try Tool.run(["render", "--allow-nan", "--index", "0", "-o", out, path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("left out 1 contours or boxes with a NaN or infinite coordinate"), "\(result.stderr)")
        let svg = try String(contentsOfFile: out, encoding: .utf8)
        #expect(svg.contains("A\u{FFFD}B\u{FFFD}") && !svg.contains("nan") && !svg.contains("inf"))
        #expect(Self.groups(svg).map(\.paths) == [[[1.5, 1.5, 5.5, 1.5, 5.5, 5.5]], []])
        let parsed = try Tool.run(executable: "/usr/bin/env", [Paths.python, "-c",
            "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])", out])
        #expect(parsed.status == 0, "a strict XML parser reads it: \(parsed.stderr)")
    }

    @Test("boxes only (detection): the slice's boxes drawn as outlines, and a note")
    func boxes() throws {
        let sample = Paths.flavor.appendingPathComponent("flavor-detection.json").path
        let result = try Tool.run(["render", "--index", "0", "--image-size", "512x512", "-o", "-", sample])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("no segmentation") && result.stderr.contains("40 boxes"))
        // One outlined rectangle per annotation, corners from its bbox: [227,132,311,159] first.
        let rects = result.stdout.components(separatedBy: "<rect x=\"").count - 1
        #expect(rects == 1 + 40 + 1 + 3)  // the canvas, the boxes, the legend's box and its 3 swatches
        #expect(result.stdout.contains("fill=\"none\"") && result.stdout.contains("<rect x=\"227\" y=\"132\" width=\"84\" height=\"27\"/>"))
        #expect(result.stdout.hasSuffix("</svg>\n"))
    }

    @Test("invalid input as validate rejects it: exit 1, the existing file untouched, no temporary file left")
    func invalidInput() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aicoco-render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let document = """
        {"images":[{"id":"i","file_name":"a","index":0,"category_ids":null,"regressions":null,"width":8,"height":8}],
         "annotations":[{"id":"a","image_id":"i","object_id":"A","iscrowd":0,"bbox":null,"segmentation":[[1,1,5,1,5,5]]},
                        {"id":"a","image_id":"i","object_id":"Z","iscrowd":0,"bbox":null,"segmentation":[[1,1,5,1,5,5]]}],
         "categories":[],"regressions":[],"objects":[{"id":"A","category_ids":null,"regressions":null}],
         "meta":{"category_ids":null,"regressions":null}}
        """
        let path = directory.appendingPathComponent("bad.json").path
        try Data(document.utf8).write(to: URL(fileURLWithPath: path))
        let out = directory.appendingPathComponent("slice.svg").path
        try Data("before".utf8).write(to: URL(fileURLWithPath: out))
        let result = try Tool.run(["render", "--index", "0", "-o", out, path])
        #expect(result.status == 1 && result.stderr.contains(path + ":") && result.stderr.contains("error:"), "\(result.stderr)")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "before")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["bad.json", "slice.svg"])
        // Valid again: the file is replaced whole, nothing else left beside it.
        let fixed = document.replacingOccurrences(of: "{\"id\":\"a\",\"image_id\":\"i\",\"object_id\":\"Z\"", with: "{\"id\":\"b\",\"image_id\":\"i\",\"object_id\":\"A\"")
        try Data(fixed.utf8).write(to: URL(fileURLWithPath: path))
        let good = try Tool.run(["render", "--index", "0", "-o", out, path])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(try String(contentsOfFile: out, encoding: .utf8).hasSuffix("</svg>\n"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["bad.json", "slice.svg"])
    }
}
