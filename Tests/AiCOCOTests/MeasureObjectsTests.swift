import Foundation
import Testing
@testable import AiCOCO

/// `measure`'s objects and images held flat (`IDTable`, `MeasureObjects`, `MeasureImages`): many
/// of them, ids of every kind, at a tiny memory limit, against totals known by construction.
@Suite("measure: objects and images in flat tables")
struct MeasureObjectsTests {
    /// A nanoid-shaped id (21 characters of `[A-Za-z0-9_-]`: held packed) for `number` (< 64^4).
    static func nanoid(_ number: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        return "Zq9_xV-3kLmN0pQ" + "Rs" + String((0..<4).reversed().map { alphabet[(number >> (6 * $0)) & 63] })
    }

    /// `text` as a JSON string (quotes escaped; the ids here have no other special character).
    static func jsonString(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }

    /// The id of object `number`: short (inline), a nanoid (packed) or long (a `String`), in turn.
    static func objectID(_ number: Int) -> String {
        switch number % 3 {
        case 0: "o\(number)"
        case 1: nanoid(number)
        default: "object \"long\", number \(number) of the many"
        }
    }

    @Test("IDTable: ids of every kind get ordinals in order of first sight, found again after the table grows")
    func idTable() {
        var table = IDTable()
        let ids = (0..<5000).map(Self.objectID)
        #expect(Set(ids).count == ids.count)
        for (number, id) in ids.enumerated() {
            let (ordinal, isNew) = table.ordinal(of: RecordID(id))
            #expect(ordinal == number && isNew)
        }
        for (number, id) in ids.enumerated().reversed() {
            #expect(table.ordinal(of: RecordID(id)) == (number, false))
            #expect(table.find(RecordID(id)) == number && table.id(number).string == id)
        }
        #expect(table.count == 5000 && table.find(RecordID("not there")) == nil && table.find(RecordID(Self.nanoid(5001))) == nil)
    }

    /// `objects` objects, object n a square of side 2 + n % 4 on image n % 3 (cells of 8 pixels
    /// on 512x512 images, so that none overlap), objects n % 4 == 0 a second time on image 3;
    /// objects n % 5 == 0 have categories c and d, the others c; the last 10 objects have no
    /// annotation. With `objectsFirst`, the objects section comes before the annotations.
    static func document(objects: Int, objectsFirst: Bool) -> String {
        func square(_ cell: Int, _ side: Int) -> String {
            let x = (cell % 64) * 8, y = (cell / 64) * 8
            return "[[\(x),\(y),\(x + side - 1),\(y),\(x + side - 1),\(y + side - 1),\(x),\(y + side - 1)]]"
        }
        let images = (0..<4).map {
            "{\"id\":\"\(nanoid(100_000 + $0))\",\"file_name\":\"\($0).dcm\",\"index\":\(10 - $0),\"category_ids\":null,\"regressions\":null,\"width\":512,\"height\":512}"
        }.joined(separator: ",")
        var annotations: [String] = []
        for number in 0..<(objects - 10) {
            let object = Self.jsonString(objectID(number)), side = 2 + number % 4
            annotations.append("{\"id\":\"a\(number)\",\"image_id\":\"\(nanoid(100_000 + number % 3))\",\"object_id\":\(object),\"iscrowd\":0,\"bbox\":null,\"segmentation\":\(square(number / 3, side))}")
            if number % 4 == 0 {
                annotations.append("{\"id\":\"b\(number)\",\"image_id\":\"\(nanoid(100_003))\",\"object_id\":\(object),\"iscrowd\":0,\"bbox\":null,\"segmentation\":\(square(number / 4, side))}")
            }
        }
        let list = (0..<objects).map {
            "{\"id\":\(Self.jsonString(objectID($0))),\"category_ids\":\($0 % 5 == 0 ? "[\"c\",\"d\"]" : "[\"c\"]"),\"regressions\":null}"
        }.joined(separator: ",")
        let sections = ["\"images\":[\(images)]", "\"annotations\":[\(annotations.joined(separator: ","))]",
                        "\"categories\":[{\"id\":\"c\",\"name\":\"Organ, left\",\"supercategory_id\":null},{\"id\":\"d\",\"name\":\"Lesion\",\"supercategory_id\":null}]",
                        "\"regressions\":[]", "\"objects\":[\(list)]", "\"meta\":{\"category_ids\":null,\"regressions\":null}"]
        let order = objectsFirst ? [0, 4, 1, 2, 3, 5] : [0, 1, 2, 3, 4, 5]
        return "{" + order.map { sections[$0] }.joined(separator: ",") + "}"
    }

    @Test("3,000 objects of every id kind at a 16 KiB memory limit: each object's voxels, slices and categories as built, in file order",
          arguments: [false, true])
    func manyObjects(objectsFirst: Bool) throws {
        let count = 3000
        let (path, directory) = try MeasureTests.write(Self.document(objects: count, objectsFirst: objectsFirst))
        defer { try? FileManager.default.removeItem(at: directory) }
        let tiny = try SegmentationMeasure(parserOptions: DocumentParsing.Options(memoryLimit: 16 << 10)).measure(.file(path))
        #expect(tiny.rows?.hasRuns == true, "the rows spilled")
        #expect(tiny.objectCount == count && tiny.imageCount == 4 && tiny.imageID(2) == Self.nanoid(100_002))
        var organ = 0, lesion = 0
        for (number, object) in try tiny.objects.enumerated() {
            let side = 2 + number % 4, annotated = number < count - 10
            let slices = annotated ? (number % 4 == 0 ? 2 : 1) : 0
            #expect(object.id == Self.objectID(number))
            #expect(object.categoryIDs == (number % 5 == 0 ? ["c", "d"] : ["c"]))
            #expect(object.name == (number % 5 == 0 ? "Organ, left;Lesion" : "Organ, left"))
            #expect(object.totals.voxels == slices * side * side && object.totals.sliceCount == slices)
            let first = Double(10 - number % 3)
            #expect(object.totals.indexRange == (slices == 0 ? nil : slices == 2 ? 7...first : first...first))
            organ += slices * side * side
            if number % 5 == 0 { lesion += slices * side * side }
        }
        #expect(tiny.categories.map(\.totals.voxels) == [organ, lesion])
        #expect(tiny.categories.map(\.objects) == [count, count / 5])
        #expect(try tiny.objectOverlaps.isEmpty && tiny.categoryOverlaps.count == 1)
        // The same in memory, and through the command line at any limit and number of threads.
        let large = try SegmentationMeasure().measure(.file(path))
        #expect(try large.objects == tiny.objects && large.categories == tiny.categories)
        // The totals' table (spilled at 16 KiB) read out of order: back from the end, then a stride.
        #expect(tiny.objectTotalTable?.hasRuns == true, "the totals spilled")
        let objects = try tiny.objects
        #expect(try (0..<count).reversed().allSatisfy { try tiny.object(at: $0) == objects[$0] })
        #expect(try stride(from: 7, to: count, by: 97).allSatisfy { try tiny.objectTotals($0) == objects[$0].totals })
        let csv = try Tool.run(["measure", "--memory-limit", "16K", "--threads", "1", path])
        #expect(csv.status == 0 && csv.stdout.contains("object,\"object \"\"long\"\", number 2 of the many\",\"Organ, left\",8,\(Self.nanoid(100_002)),16,,,,,\n"))
        for arguments in [["--threads", "2"], ["--memory-limit", "64M"]] {
            #expect(try Tool.run(["measure"] + arguments + [path]).stdout == csv.stdout)
        }
    }
}
