import AiCOCO
import CYajlBaseline
import Foundation

/// Each workload reads a whole document and returns a count, so that nothing is optimized away.
enum Workload {
    static func cNoop(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBufferPointer { Int(aicoco_yajl_noop($0.baseAddress, $0.count, 1 << 20).numbers) }
    }

    static func cIntegers(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBufferPointer { Int(aicoco_yajl_integers($0.baseAddress, $0.count, 1 << 20).integer_sum) }
    }

    /// Typed records pulled with `next()`: counts coordinate pairs as `aicoco stats` does.
    static func recordsPull(_ bytes: [UInt8]) throws -> Int {
        let reader = AiCOCORecordReader(.bytes(bytes))
        var points = 0
        while let record = try reader.next() {
            if case .annotation(let annotation) = record { points += annotation.segmentation?.pointCount ?? 0 }
        }
        return points
    }

    static func recordsAsync(_ bytes: [UInt8]) async throws -> Int {
        var points = 0
        for try await record in AiCOCORecordReader(.bytes(bytes)).records {
            if case .annotation(let annotation) = record { points += annotation.segmentation?.pointCount ?? 0 }
        }
        return points
    }

    struct NumberCounter: DocumentVisitor {
        var numbers = 0
        var annotations = 0
        mutating func visitCoordinates(_ chunk: CoordinateChunk) throws { numbers += chunk.values.count }
        mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws { annotations += 1 }
    }

    /// The chunked event API, fed 1 MiB at a time.
    static func events(_ bytes: [UInt8]) throws -> Int {
        var parser = DocumentParser(visitor: NumberCounter())
        try feedInChunks(bytes, to: &parser)
        return parser.visitor.numbers
    }

    struct ProblemCounter: DocumentVisitor {
        var problems = 0
        mutating func visitProblem(_ error: AiCOCOError) throws { problems += 1 }
    }

    /// What `aicoco validate` does: schema, format rules and references in one pass.
    static func validate(_ bytes: [UInt8]) throws -> Int {
        var parser = DocumentParser(visitor: ProblemCounter(), options: DocumentParsing.Options(validate: true))
        try feedInChunks(bytes, to: &parser)
        return parser.visitor.problems
    }

    static func feedInChunks<V: DocumentVisitor>(_ bytes: [UInt8], to parser: inout DocumentParser<V>) throws {
        try bytes.withUnsafeBytes { raw in
            var position = 0
            while position < raw.count {
                let end = min(raw.count, position + (1 << 20))
                try parser.feed(UnsafeRawBufferPointer(rebasing: raw[position..<end]))
                position = end
            }
        }
        try parser.finish()
    }

    /// What `aicoco records` does: records out as JSON lines, rendered as they are parsed
    /// (`AiCOCORecordLines`, validating), to a sink that counts bytes.
    static func jsonLines(_ bytes: [UInt8]) throws -> Int {
        var written = 0
        let options = RecordReaderOptions(parser: DocumentParsing.Options(validate: true))
        let lines = AiCOCORecordLines(.bytes(bytes), options: options, envelope: true)
        while try lines.next({ text, _ in written += text.count }) {}
        return written
    }

    /// Typed records written one by one by `AiCOCORecordLineWriter` (without validation).
    static func typedJSONLines(_ bytes: [UInt8]) throws -> Int {
        var written = 0
        let lines = AiCOCORecordLineWriter(envelope: true, sink: { written += $0.count })
        let reader = AiCOCORecordReader(.bytes(bytes))
        while let record = try reader.next() { try lines.write(record) }
        try lines.flush()
        return written
    }

    /// The document writer alone: records already in memory written back as one AiCOCO document.
    static func writeDocument(_ records: [AiCOCORecord]) throws -> Int {
        var written = 0
        let writer = AiCOCOWriter(sink: { written += $0.count })
        try writer.writeDocument(records)
        return written
    }

    /// What a Swift user writes first: Codable structs and Foundation's JSONDecoder.
    static func foundationDecoder(_ bytes: [UInt8]) throws -> Int {
        let document = try JSONDecoder().decode(CodableAiCOCO.self, from: Data(bytes))
        return document.annotations.reduce(0) { total, annotation in
            total + (annotation.segmentation ?? []).reduce(0) { $0 + $1.count / 2 }
        }
    }
}

/// AiCOCO as plain Codable structs (the baseline a Swift user would write).
struct CodableAiCOCO: Decodable {
    struct RegressionItem: Decodable { let regression_id: String; let value: Double }
    struct Image: Decodable {
        let id: String; let file_name: String; let index: Double
        let category_ids: [String]?; let regressions: [RegressionItem]?
    }
    struct Annotation: Decodable {
        let id: String; let image_id: String; let object_id: String; let iscrowd: Int
        let bbox: [[Double]]?; let segmentation: [[Double]]?
    }
    struct Category: Decodable { let id: String; let name: String; let supercategory_id: String?; let color: String? }
    struct Regression: Decodable { let id: String; let name: String; let superregression_id: String?; let unit: String? }
    struct Object: Decodable {
        let id: String; let category_ids: [String]?; let regressions: [RegressionItem]?; let confidence: Double?
    }
    struct Meta: Decodable { let category_ids: [String]?; let regressions: [RegressionItem]?; let task_type: String? }
    let images: [Image]
    let annotations: [Annotation]
    let categories: [Category]
    let regressions: [Regression]
    let objects: [Object]
    let meta: Meta
}
