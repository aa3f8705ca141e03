import Foundation
import Testing
@testable import AiCOCO
import AiCOCOGen

/// `convert --to coco` reads its input once and spills the converted annotations until their
/// objects are known. These tests hold it to a model of the conversion written the plain way
/// (every record in memory, then the COCO document written annotation by annotation, as the
/// two-pass converter did), byte for byte, compact and pretty, in every section order, with the
/// catalog's tables in memory and spilled.
@Suite("COCO conversion in one pass")
struct COCOSinglePassTests {
    /// The COCO document of `bytes` written the plain way, with its summary.
    static func model(_ bytes: [UInt8], imageSize: (width: Int, height: Int), pretty: Bool,
                      form: COCOConverter.SegmentationForm = .polygon) throws
        -> (bytes: [UInt8], summary: COCOConverter.Summary) {
        let reader = RecordReader(.bytes(bytes))
        var images: [Image] = [], categories: [Category] = [], objects: [String: Object] = [:]
        var annotations: [Annotation] = []
        var meta: Meta?
        while let record = try reader.next() {
            switch record {
            case .image(let image): images.append(image)
            case .category(let category): categories.append(category)
            case .object(let object): if objects[object.id] == nil { objects[object.id] = object }
            case .annotation(let annotation): annotations.append(annotation)
            case .meta(let record): meta = record
            default: break
            }
        }
        var out: [UInt8] = []
        let json = JSONWriter(pretty: pretty, sink: { out.append(contentsOf: $0) })
        var summary = COCOConverter.Summary()
        try json.beginObject()
        try json.key("info")
        try json.beginObject()
        try json.field("description", "Converted from AiCOCO by aicoco convert --to coco")
        if let meta { try json.key("aicoco_meta"); try json.record(.meta(meta)) }
        try json.endObject()
        try json.key("licenses"); try json.beginArray(); try json.endArray()
        try json.key("images")
        try json.beginArray()
        var imageNumbers: [String: Int] = [:], imageSizes: [String: (width: Int, height: Int)] = [:]
        for (index, image) in images.enumerated() {
            let size = COCOConverter.Catalog.size(of: image.extra)
            if imageNumbers[image.id] == nil {
                imageNumbers[image.id] = index + 1
                imageSizes[image.id] = (size.width ?? imageSize.width, size.height ?? imageSize.height)
            }
            try json.beginObject()
            try json.key("id"); try json.number(index + 1)
            try json.field("file_name", image.fileName)
            try json.key("width"); try json.number(size.width ?? imageSize.width)
            try json.key("height"); try json.number(size.height ?? imageSize.height)
            try json.field("aicoco_id", image.id)
            try json.endObject()
            summary.images += 1
        }
        try json.endArray()
        try json.key("categories")
        try json.beginArray()
        var categoryNumbers: [String: Int] = [:]
        for (index, category) in categories.enumerated() { categoryNumbers[category.id] = index + 1 }
        let names = Dictionary(categories.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        for (index, category) in categories.enumerated() {
            try json.beginObject()
            try json.key("id"); try json.number(index + 1)
            try json.field("name", category.name)
            try json.field("supercategory", category.supercategoryID.flatMap { names[$0] } ?? "")
            try json.field("aicoco_id", category.id)
            try json.endObject()
            summary.categories += 1
        }
        try json.endArray()
        try json.key("annotations")
        try json.beginArray()
        var geometry = COCOGeometry()
        var number = 0
        for annotation in annotations {
            let object = objects[annotation.objectID]
            let numbers = (object?.categoryIDs ?? []).compactMap { categoryNumbers[$0] }
            guard !numbers.isEmpty else { summary.skippedNoCategory += 1; continue }
            // With contour points: the pixels, filled over the whole image (PolygonRasterizer).
            var pixels: (area: Int, box: [Int], mask: [UInt8], width: Int, height: Int)?
            if let polygons = annotation.segmentation, polygons.ends.contains(where: { _ in true }),
               polygons.coordinates.count >= 2 {
                let size = imageSizes[annotation.imageID] ?? imageSize
                var mask = [UInt8](repeating: 0, count: size.width * size.height)
                if size.width > 0 && size.height > 0 {
                    var rasterizer = PolygonRasterizer(width: size.width, height: size.height)
                    rasterizer.fill(polygons, value: 1, into: &mask)
                }
                var count = 0, low = (x: Int.max, y: Int.max), high = (x: Int.min, y: Int.min)
                for index in mask.indices where mask[index] != 0 {
                    let (y, x) = index.quotientAndRemainder(dividingBy: size.width)
                    count += 1
                    low = (min(low.x, x), min(low.y, y))
                    high = (max(high.x, x), max(high.y, y))
                }
                guard count > 0 else { summary.skippedOutsideImage += 1; continue }
                pixels = (count, [low.x, low.y, high.x - low.x + 1, high.y - low.y + 1], mask, size.width, size.height)
            } else {
                guard geometry.build(boxes: annotation.bbox, segmentation: annotation.segmentation != nil)
                else { summary.skippedNoGeometry += 1; continue }
            }
            for category in numbers {
                number += 1
                try json.beginObject()
                try json.key("id"); try json.number(number)
                try json.key("image_id"); try json.number(imageNumbers[annotation.imageID] ?? 0)
                try json.key("category_id"); try json.number(category)
                try json.key("segmentation")
                if let pixels {
                    if form == .rle {
                        try json.beginObject()
                        try json.key("size")
                        try json.beginArray(); try json.number(pixels.height); try json.number(pixels.width); try json.endArray()
                        try json.field("counts", Self.rleString(pixels.mask, width: pixels.width, height: pixels.height))
                        try json.endObject()
                    } else {
                        var mask = COCOMask(maxPixels: 1 << 26)
                        let polygons = annotation.segmentation!
                        _ = try polygons.coordinates.withUnsafeBufferPointer {
                            try mask.fill($0, ends: polygons.ends, width: pixels.width, height: pixels.height)
                        }
                        try mask.write(.polygon, to: json.generator)
                    }
                    try json.key("area"); try json.number(pixels.area)
                    try json.key("bbox")
                    try json.beginArray()
                    for value in pixels.box { try json.number(value) }
                    try json.endArray()
                } else {
                    try json.beginArray()
                    var start = 0
                    for end in geometry.ends {
                        try json.beginArray()
                        try geometry.coordinates[start..<end].withUnsafeBufferPointer { try json.numbers($0) }
                        try json.endArray()
                        start = end
                    }
                    try json.endArray()
                    try json.key("area"); try json.number(geometry.area)
                    try json.key("bbox")
                    try json.beginArray()
                    for value in [geometry.x, geometry.y, geometry.width, geometry.height] { try json.number(value) }
                    try json.endArray()
                }
                try json.key("iscrowd"); try json.number(annotation.iscrowd)
                if let confidence = object?.confidence { try json.key("score"); try json.number(confidence) }
                try json.field("aicoco_id", annotation.id)
                try json.field("aicoco_object_id", annotation.objectID)
                try json.endObject()
                summary.annotations += 1
            }
        }
        try json.endArray()
        try json.endObject()
        try json.flush()
        return (out, summary)
    }

    /// pycocotools' compressed RLE string of a row-major `mask` (`rleToString`), written the
    /// plain way: the whole image, column by column.
    static func rleString(_ mask: [UInt8], width: Int, height: Int) -> String {
        var counts: [Int] = [], value: UInt8 = 0, run = 0
        for x in 0..<width {
            for y in 0..<height {
                if mask[y * width + x] != value { counts.append(run); run = 0; value = mask[y * width + x] }
                run += 1
            }
        }
        if run > 0 { counts.append(run) }
        var text = ""
        for (index, count) in counts.enumerated() {
            var rest = index > 2 ? count - counts[index - 2] : count, more = true
            while more {
                var chunk = rest & 0x1F
                rest >>= 5
                more = chunk & 0x10 != 0 ? rest != -1 : rest != 0
                if more { chunk |= 0x20 }
                text.append(Character(Unicode.Scalar(UInt8(chunk + 48))))
            }
        }
        return text
    }

    static func converted(_ bytes: [UInt8], imageSize: (width: Int, height: Int), pretty: Bool, memoryLimit: Int,
                          form: COCOConverter.SegmentationForm = .polygon)
        throws -> (bytes: [UInt8], summary: COCOConverter.Summary) {
        var out: [UInt8] = []
        let json = JSONWriter(pretty: pretty, sink: { out.append(contentsOf: $0) })
        let converter = COCOConverter(parserOptions: DocumentParsing.Options(memoryLimit: memoryLimit), imageSize: imageSize, pretty: pretty,
                                      segmentation: form)
        let summary = try converter.convert(.bytes(bytes), to: json)
        try json.flush()
        return (out, summary)
    }

    static func expectSameAsModel(_ bytes: [UInt8], imageSize: (width: Int, height: Int) = (512, 512),
                                  _ comment: String) throws {
        for (pretty, form) in [(false, COCOConverter.SegmentationForm.polygon), (true, .polygon), (false, .rle), (true, .rle)] {
            let expected = try model(bytes, imageSize: imageSize, pretty: pretty, form: form)
            for memoryLimit in [DocumentParsing.Options.defaultMemoryLimit, 16 << 10] {
                let got = try converted(bytes, imageSize: imageSize, pretty: pretty, memoryLimit: memoryLimit, form: form)
                // Where they differ (comparing the arrays inside #expect would diff them, slowly).
                let same = got.bytes == expected.bytes
                let at = (0..<min(got.bytes.count, expected.bytes.count)).first { got.bytes[$0] != expected.bytes[$0] } ?? min(got.bytes.count, expected.bytes.count)
                #expect(same, "\(comment), \(form), pretty \(pretty), memory \(memoryLimit): \(got.bytes.count) vs \(expected.bytes.count) bytes, first difference at \(at): \(String(decoding: got.bytes[max(0, at - 40)..<min(got.bytes.count, at + 40)], as: UTF8.self).debugDescription) vs \(String(decoding: expected.bytes[max(0, at - 40)..<min(expected.bytes.count, at + 40)], as: UTF8.self).debugDescription)")
                #expect(got.summary == expected.summary, "\(comment), \(form), pretty \(pretty), memory \(memoryLimit)")
            }
        }
    }

    static func generated(bytes: Int, order: [Section], shape: GeneratorOptions.Shape = .noisy, seed: UInt64 = 7) -> [UInt8] {
        var generator = AiCOCOGenerator(options: GeneratorOptions(targetBytes: bytes, seed: seed, order: order, shape: shape))
        var out: [UInt8] = []
        _ = generator.generate { out.append(contentsOf: $0) }
        return out
    }

    @Test("generated real-shaped files, in the format's order and others: the same bytes as the model")
    func generatedOrders() throws {
        let orders: [[Section]] = [
            GeneratorOptions.imageSections,
            GeneratorOptions.imageSections.reversed(),
            [.objects, .categories, .annotations, .meta, .regressions, .images],
            [.annotations, .images, .objects, .categories, .regressions, .meta],
        ]
        for order in orders {
            let bytes = Self.generated(bytes: 200_000, order: order)
            try Self.expectSameAsModel(bytes, "order \(order.map(\.rawValue))")
        }
        try Self.expectSameAsModel(Self.generated(bytes: 300_000, order: GeneratorOptions.imageSections, shape: .detection), "detection")
        try Self.expectSameAsModel(Self.generated(bytes: 300_000, order: GeneratorOptions.imageSections, shape: .long), "long")
    }

    /// Objects of 0, 1 and 2 categories (one unknown), with and without confidence, whose
    /// annotations come in interleaved runs; annotations without geometry, with boxes only, an
    /// id too long for the image cache, one annotation whose contours are larger than the spill
    /// reader's window, written twice (two categories), and one whose contours lie outside its image.
    static func handMade(objectsFirst: Bool) -> [UInt8] {
        let longImage = String(repeating: "i", count: 40)
        let images = #"{"id":"img1","file_name":"a.dcm","index":0,"category_ids":null,"regressions":null},"#
            + #"{"id":"\#(longImage)","file_name":"b.dcm","index":1,"category_ids":null,"regressions":null,"width":64,"height":32}"#
        // 60,000 points on row 0, most far right of the image: cheap to fill, 300 KB packed.
        let big = (0..<120_000).map { String($0 % 2 == 0 ? ($0 / 2 * 7919) % 3_000_000 : 0) }.joined(separator: ",")
        let annotations = [
            #"{"id":"a1","image_id":"img1","object_id":"two","iscrowd":0,"bbox":null,"segmentation":[[1,1,5,1,5,5,1,5],[9,9]]}"#,
            #"{"id":"a2","image_id":"\#(longImage)","object_id":"two","iscrowd":0,"bbox":null,"segmentation":[[\#(big)]]}"#,
            #"{"id":"a3","image_id":"img1","object_id":"none","iscrowd":0,"bbox":null,"segmentation":[[1,1,2,2]]}"#,
            #"{"id":"a4","image_id":"img1","object_id":"one","iscrowd":1,"bbox":[[2,3,8,9]],"segmentation":null}"#,
            #"{"id":"a5","image_id":"img1","object_id":"one","iscrowd":0,"bbox":null,"segmentation":null}"#,
            #"{"id":"a6","image_id":"\#(longImage)","object_id":"two","iscrowd":0,"bbox":[[0,0,3,3]],"segmentation":[]}"#,
            #"{"id":"a7","image_id":"img1","object_id":"none","iscrowd":0,"bbox":null,"segmentation":null}"#,
            #"{"id":"a8","image_id":"img1","object_id":"one","iscrowd":0,"bbox":null,"segmentation":[[4,4,4,6,4,9]]}"#,
            #"{"id":"a9","image_id":"img1","object_id":"one","iscrowd":0,"bbox":[[1,1,2,2]],"segmentation":[[600,600,700,600,700,700]]}"#,
        ].joined(separator: ",")
        let categories = #"{"id":"c1","name":"Liver","supercategory_id":null},{"id":"c2","name":"Tumor","supercategory_id":"c1"}"#
        let objects = #"{"id":"two","category_ids":["c2","c1"],"regressions":null,"confidence":0.875},"#
            + #"{"id":"one","category_ids":["c1"],"regressions":null},"#
            + #"{"id":"none","category_ids":[],"regressions":null,"confidence":1}"#
        let sections = objectsFirst
            ? #""objects":[\#(objects)],"categories":[\#(categories)],"annotations":[\#(annotations)],"images":[\#(images)],"#
            : #""images":[\#(images)],"annotations":[\#(annotations)],"categories":[\#(categories)],"objects":[\#(objects)],"#
        return Array(("{" + sections + #""regressions":[],"meta":{"category_ids":null,"regressions":null}}"#).utf8)
    }

    @Test("objects of 0 to 2 categories, interleaved runs, no geometry, a fragment larger than the read window")
    func handMadeCases() throws {
        for objectsFirst in [false, true] {
            let bytes = Self.handMade(objectsFirst: objectsFirst)
            try Self.expectSameAsModel(bytes, "hand-made, objects first \(objectsFirst)")
            let summary = try Self.converted(bytes, imageSize: (16, 16), pretty: false, memoryLimit: 16 << 10).summary
            #expect(summary.annotations == 8 && summary.skippedNoCategory == 2 && summary.skippedNoGeometry == 1
                    && summary.skippedOutsideImage == 1, "\(summary)")
        }
    }

    @Test("empty ids are ids: the annotation's image is found, in both section orders")
    func emptyIDs() throws {
        let image = #"{"id":"","file_name":"a.dcm","index":0,"category_ids":null,"regressions":null}"#
        let annotations = #"[{"id":"a1","image_id":"","object_id":"","iscrowd":0,"bbox":null,"segmentation":[[1,1,5,1,5,5]]},"#
            + #"{"id":"a2","image_id":"","object_id":"","iscrowd":0,"bbox":null,"segmentation":[[2,2,6,2,6,6]]}]"#
        let objects = #"[{"id":"","category_ids":["c1"],"regressions":null}]"#
        let categories = #"[{"id":"c1","name":"Liver","supercategory_id":null}]"#
        for objectsFirst in [false, true] {
            let text = objectsFirst
                ? #"{"images":[\#(image)],"objects":\#(objects),"categories":\#(categories),"regressions":[],"annotations":\#(annotations),"meta":{"category_ids":null,"regressions":null}}"#
                : #"{"images":[\#(image)],"annotations":\#(annotations),"categories":\#(categories),"regressions":[],"objects":\#(objects),"meta":{"category_ids":null,"regressions":null}}"#
            let bytes = Array(text.utf8)
            try Self.expectSameAsModel(bytes, imageSize: (8, 8), "empty ids, objects first \(objectsFirst)")
            let got = try Self.converted(bytes, imageSize: (8, 8), pretty: false, memoryLimit: DocumentParsing.Options.defaultMemoryLimit)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(got.bytes)) as? [String: Any])
            let converted = try #require(document["annotations"] as? [[String: Any]])
            #expect(converted.count == 2)
            #expect(converted.map { $0["image_id"] as? Int } == [1, 1], "\(converted)")
            #expect(converted.map { $0["category_id"] as? Int } == [1, 1], "\(converted)")
        }
    }

    @Test("an invalid input writes nothing, whatever was converted before the problem")
    func invalidWritesNothing() throws {
        var bytes = Self.handMade(objectsFirst: false)
        // An annotation whose object does not exist: reported at the end of the document.
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: #""object_id":"one","iscrowd":1"#,
                                                                                with: #""object_id":"gone","iscrowd":1"#)
        bytes = Array(text.utf8)
        var out: [UInt8] = []
        let json = JSONWriter(sink: { out.append(contentsOf: $0) })
        #expect(throws: DocumentError.self) { _ = try COCOConverter(imageSize: (8, 8)).convert(.bytes(bytes), to: json) }
        try json.flush()
        #expect(out.isEmpty)
    }
}
