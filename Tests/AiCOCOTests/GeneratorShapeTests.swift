import Foundation
import Testing
import AiCOCO
import AiCOCOGen

/// The generator's real shapes against the real FLaVor outputs they imitate (Fixtures/flavor/).
@Suite struct GeneratorShapeTests {
    /// What a document looks like, in the terms of Fixtures/flavor/README.md.
    struct Shape {
        var sections: [String] = []
        var keyOrders: [String: [String]] = [:]
        var annotationsPerMB = 0.0
        var imagesPerMB = 0.0
        var annotationsPerImage = 0.0
        var contoursPerAnnotation = 0.0
        var pointsPerContour = 0.0
        var onePointShare = 0.0
        var twoPointShare = 0.0
        var maxPoints = 0
        var bboxShare = 0.0
        /// Whether every object comes after the first annotation that uses it (FLaVor's order).
        var objectsAfterAnnotations = false

        init(_ data: Data) throws {
            let mb = Double(data.count) / 1_000_000
            // Key order: JSONSerialization loses it, so read the top-level keys and each record's keys
            // from the first record's text.
            let text = String(decoding: data, as: UTF8.self)
            let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            for name in ["images", "annotations", "categories", "regressions", "objects", "meta"] {
                if let range = text.range(of: "\"\(name)\":") { sections.append(name + "@\(text.distance(from: text.startIndex, to: range.lowerBound))") }
            }
            sections = sections.sorted { Int($0.split(separator: "@")[1])! < Int($1.split(separator: "@")[1])! }
                .map { String($0.split(separator: "@")[0]) }
            for name in ["images", "annotations", "objects"] {
                guard let first = (document[name] as? [[String: Any]])?.first else { continue }
                keyOrders[name] = Self.keys(ofFirstRecordIn: name, text)
                #expect(Set(keyOrders[name]!) == Set(first.keys))
            }
            let images = document["images"] as? [[String: Any]] ?? []
            let annotations = document["annotations"] as? [[String: Any]] ?? []
            annotationsPerMB = Double(annotations.count) / mb
            imagesPerMB = Double(images.count) / mb
            annotationsPerImage = Double(annotations.count) / Double(max(1, images.count))
            var contours = 0, points = 0, one = 0, two = 0, boxes = 0
            for annotation in annotations {
                if annotation["bbox"] is [[Any]] { boxes += 1 }
                for polygon in annotation["segmentation"] as? [[Any]] ?? [] {
                    contours += 1
                    points += polygon.count / 2
                    maxPoints = max(maxPoints, polygon.count / 2)
                    if polygon.count == 2 { one += 1 }
                    if polygon.count == 4 { two += 1 }
                }
            }
            contoursPerAnnotation = Double(contours) / Double(max(1, annotations.count))
            pointsPerContour = Double(points) / Double(max(1, contours))
            onePointShare = Double(one) / Double(max(1, contours))
            twoPointShare = Double(two) / Double(max(1, contours))
            bboxShare = Double(boxes) / Double(max(1, annotations.count))
            let objectsAt = text.range(of: "\"objects\":").map { text.distance(from: text.startIndex, to: $0.lowerBound) } ?? 0
            let annotationsAt = text.range(of: "\"annotations\":").map { text.distance(from: text.startIndex, to: $0.lowerBound) } ?? 0
            objectsAfterAnnotations = objectsAt > annotationsAt
        }

        /// The keys of the first record of a top-level array, in file order (compact JSON).
        static func keys(ofFirstRecordIn section: String, _ text: String) -> [String] {
            guard let start = text.range(of: "\"\(section)\":[{") else { return [] }
            var keys: [String] = []
            var depth = 0, inString = false, escaped = false, keyStart: String.Index?
            var index = text.index(start.upperBound, offsetBy: -1)
            while index < text.endIndex {
                let c = text[index]
                if inString {
                    if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" {
                        inString = false
                        if let s = keyStart, depth == 1, text[text.index(after: index)] == ":" {
                            keys.append(String(text[text.index(after: s)..<index]))
                        }
                        keyStart = nil
                    }
                } else if c == "\"" {
                    inString = true
                    keyStart = index
                } else if c == "{" || c == "[" {
                    depth += 1
                } else if c == "}" || c == "]" {
                    depth -= 1
                    if depth == 0 { break }
                }
                index = text.index(after: index)
            }
            return keys
        }
    }

    static func generated(_ shape: DocumentGenerator.Options.Shape, bytes: Int = 2_000_000) -> Data {
        var output: [UInt8] = []
        var generator = DocumentGenerator(options: DocumentGenerator.Options(targetBytes: bytes, seed: 5, shape: shape))
        let summary = generator.generate { output.append(contentsOf: $0) }
        #expect(summary.bytes == output.count)
        return Data(output)
    }

    static func sample(_ name: String) throws -> Data {
        try Data(contentsOf: Paths.fixtures.appendingPathComponent("flavor/\(name)"))
    }

    /// `a` within `tolerance` (relative) of `b`.
    static func near(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool {
        abs(a - b) <= tolerance * abs(b)
    }

    @Test func noisyMatchesTheRealNoisySeries() throws {
        let real = try Shape(Self.sample("flavor-seg3d-noisy.json"))
        let ours = try Shape(Self.generated(.noisy))
        #expect(ours.sections == real.sections)
        #expect(ours.keyOrders == real.keyOrders)
        #expect(Self.near(ours.annotationsPerMB, real.annotationsPerMB, 0.2), "\(ours.annotationsPerMB) vs \(real.annotationsPerMB)")
        #expect(Self.near(ours.imagesPerMB, real.imagesPerMB, 0.2), "\(ours.imagesPerMB) vs \(real.imagesPerMB)")
        #expect(Self.near(ours.annotationsPerImage, real.annotationsPerImage, 0.2))
        #expect(Self.near(ours.contoursPerAnnotation, real.contoursPerAnnotation, 0.2),
                "\(ours.contoursPerAnnotation) vs \(real.contoursPerAnnotation)")
        #expect(Self.near(ours.pointsPerContour, real.pointsPerContour, 0.2), "\(ours.pointsPerContour) vs \(real.pointsPerContour)")
        #expect(abs(ours.onePointShare - real.onePointShare) < 0.08, "\(ours.onePointShare) vs \(real.onePointShare)")
        #expect(abs(ours.twoPointShare - real.twoPointShare) < 0.05, "\(ours.twoPointShare) vs \(real.twoPointShare)")
        #expect(ours.maxPoints > 500 && real.maxPoints > 500)
        #expect(ours.bboxShare == real.bboxShare)
        #expect(ours.objectsAfterAnnotations && real.objectsAfterAnnotations)
    }

    @Test func smoothMatchesTheRealSmoothSeries() throws {
        let real = try Shape(Self.sample("flavor-seg3d-smooth.json"))
        let ours = try Shape(Self.generated(.smooth))
        #expect(ours.sections == real.sections)
        #expect(ours.keyOrders == real.keyOrders)
        #expect(Self.near(ours.annotationsPerMB, real.annotationsPerMB, 0.2), "\(ours.annotationsPerMB) vs \(real.annotationsPerMB)")
        #expect(ours.contoursPerAnnotation == 1 && real.contoursPerAnnotation == 1)
        #expect(Self.near(ours.pointsPerContour, real.pointsPerContour, 0.2), "\(ours.pointsPerContour) vs \(real.pointsPerContour)")
        #expect(ours.onePointShare == 0 && real.onePointShare == 0)
    }

    @Test func detectionMatchesTheRealDetection() throws {
        let real = try Shape(Self.sample("flavor-detection.json"))
        let ours = try Shape(Self.generated(.detection, bytes: 500_000))
        #expect(ours.sections == real.sections)
        #expect(ours.keyOrders == real.keyOrders)
        #expect(Self.near(ours.annotationsPerMB, real.annotationsPerMB, 0.25), "\(ours.annotationsPerMB) vs \(real.annotationsPerMB)")
        #expect(ours.bboxShare == 1 && real.bboxShare == 1)
        #expect(ours.contoursPerAnnotation == 0)
    }

    @Test(arguments: DocumentGenerator.Options.Shape.allCases)
    func everyShapeIsValidNearItsSizeAndSeeded(_ shape: DocumentGenerator.Options.Shape) throws {
        let target = 1_000_000
        let data = Self.generated(shape, bytes: target)
        #expect(Self.near(Double(data.count), Double(target), 0.1), "\(data.count)")
        #expect(Self.generated(shape, bytes: target) == data)
        let order: [Section] = [.meta, .annotations, .objects, .categories, .regressions, .images]
        var reordered: [UInt8] = []
        var generator = DocumentGenerator(options: DocumentGenerator.Options(targetBytes: target, seed: 5, order: order, shape: shape))
        _ = generator.generate { reordered.append(contentsOf: $0) }
        let problems = validationProblems(.bytes(reordered))
        #expect(problems.isEmpty, "\(problems.prefix(3))")
        #expect(validationProblems(.bytes(Array(data))).isEmpty)
    }
}
