import Foundation
@testable import AiCOCO
import AiCOCOGen

/// Paths inside the repository (tests never read anything outside it).
enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Fixtures")
    static let broken = fixtures.appendingPathComponent("broken")
    static let conformance = fixtures.appendingPathComponent("JSONTestSuite/test_parsing")
    /// Real FLaVor outputs (see Fixtures/flavor/README.md).
    static let flavor = fixtures.appendingPathComponent("flavor")

    /// The interpreter for the Python cross-checks: the project's `.venv` (made by
    /// scripts/bootstrap.sh) when it exists, else `python3` from the PATH.
    static let python: String = {
        let venv = root.appendingPathComponent(".venv/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
    }()

    static let goodFixtures = ["segmentation-series.json", "detection.json", "classification.json",
                               "regression.json", "extras.json", "minimal.json"]

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// All records of an input, through the public pull API.
func readRecords(_ input: DocumentSource, options: RecordReader.Options = RecordReader.Options()) throws -> [Record] {
    let reader = RecordReader(input, options: options)
    var records: [Record] = []
    while let record = try reader.next() { records.append(record) }
    return records
}

/// All records of `bytes`, fed to the push parser in chunks of `chunkSize` (or of varying sizes).
func readRecordsChunked(_ bytes: [UInt8], chunkSizes: [Int], options: DocumentParsing.Options = DocumentParsing.Options()) throws
    -> [Record] {
    final class Box { var records: [Record] = [] }
    let box = Box()
    let builder = RecordBuilder(maxCoordinates: options.limits.maxCoordinatesPerRecord) { record, _ in
        box.records.append(record)
    }
    var parser = DocumentParser(visitor: builder, options: options)
    var position = 0
    var turn = 0
    while position < bytes.count {
        let size = chunkSizes[turn % chunkSizes.count]
        let end = min(bytes.count, position + size)
        try parser.feed(bytes[position..<end])
        position = end
        turn += 1
    }
    try parser.finish()
    return box.records
}

/// The first error of a strict parse, or nil.
func firstError(_ input: DocumentSource) -> DocumentError? {
    do {
        _ = try readRecords(input)
        return nil
    } catch let error as DocumentError {
        return error
    } catch {
        return DocumentError(kind: .io, message: "\(error)", path: "", location: SourceLocation(offset: -1, line: 0, column: 0))
    }
}

/// Every problem a validating parse reports (syntax errors end the list).
struct ProblemList: DocumentVisitor {
    var problems: [DocumentError] = []
    mutating func visitProblem(_ error: DocumentError) throws { problems.append(error) }
}

func validationProblems(_ input: DocumentSource, limits: DocumentParsing.Limits = DocumentParsing.Limits()) -> [DocumentError] {
    var parser = DocumentParser(visitor: ProblemList(), options: DocumentParsing.Options(limits: limits, validate: true))
    do {
        try parser.parse(input)
        return parser.visitor.problems
    } catch let error as DocumentError {
        return parser.visitor.problems + [error]
    } catch {
        return parser.visitor.problems
    }
}

/// Generates a document in memory.
func generate(bytes: Int, seed: UInt64 = 1, pretty: Bool = false,
              order: [Section] = DocumentGenerator.Options.imageSections,
              shape: DocumentGenerator.Options.Shape = .noisy) -> (bytes: [UInt8], summary: DocumentGenerator.Summary) {
    var output: [UInt8] = []
    var generator = DocumentGenerator(options: DocumentGenerator.Options(targetBytes: bytes, seed: seed, pretty: pretty, order: order,
                                                                        shape: shape))
    let summary = generator.generate { output.append(contentsOf: $0) }
    return (output, summary)
}

/// Records grouped by section, each group in file order (what key order must not change).
func bySection(_ records: [Record]) -> [Section: [Record]] {
    Dictionary(grouping: records, by: \.section)
}

// MARK: An independent reading with Foundation's JSONSerialization

/// Builds the records a document should give, from Foundation's JSON parser: an oracle that
/// shares no code with the library.
func oracleRecords(_ bytes: [UInt8]) throws -> [Section: [Record]] {
    let document = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) as! [String: Any]
    var result: [Section: [Record]] = [:]
    func strings(_ value: Any?) -> [String]? { (value as? [Any])?.map { $0 as! String } }
    func items(_ value: Any?) -> [RegressionItem]? {
        (value as? [[String: Any]])?.map {
            RegressionItem(regressionID: $0["regression_id"] as! String, value: number($0["value"]))
        }
    }
    func number(_ value: Any?) -> Double {
        if let number = value as? NSNumber { return number.doubleValue }
        fatalError("not a number: \(String(describing: value))")
    }
    func optionalString(_ value: Any?) -> String? { value is NSNull ? nil : value as? String }
    /// Foundation loses key order: extras are compared sorted by key (see `normalizedExtras`).
    func extras(_ object: [String: Any], known: Set<String>) -> [JSONMember] {
        object.keys.filter { !known.contains($0) }.sorted().map { JSONMember($0, normalized(json(object[$0]!))) }
    }
    for section in Section.allCases {
        guard let value = document[section.rawValue] else { continue }
        let objects: [[String: Any]] = section.isSingleObject ? [value as! [String: Any]] : value as! [[String: Any]]
        result[section] = objects.map { object in
            switch section {
            case .images:
                return .image(Image(id: object["id"] as! String, fileName: object["file_name"] as! String,
                                      index: number(object["index"]), categoryIDs: strings(object["category_ids"]),
                                      regressions: items(object["regressions"]),
                                      extra: extras(object, known: ["id", "file_name", "index", "category_ids", "regressions"])))
            case .annotations:
                let boxes = (object["bbox"] as? [[Any]])?.map { box in
                    BoundingBox(x1: number(box[0]), y1: number(box[1]), x2: number(box[2]), y2: number(box[3]))
                }
                let polygons = (object["segmentation"] as? [[Any]]).map { Polygons($0.map { $0.map(number) }) }
                return .annotation(Annotation(
                    id: object["id"] as! String, imageID: object["image_id"] as! String,
                    objectID: object["object_id"] as! String, iscrowd: Int(number(object["iscrowd"])),
                    bbox: boxes, segmentation: polygons,
                    extra: extras(object, known: ["id", "image_id", "object_id", "iscrowd", "bbox", "segmentation"])))
            case .categories:
                return .category(Category(id: object["id"] as! String, name: object["name"] as! String,
                                            supercategoryID: optionalString(object["supercategory_id"]),
                                            color: object["color"] as? String,
                                            extra: extras(object, known: ["id", "name", "supercategory_id", "color"])))
            case .regressions:
                var known: Set<String> = ["id", "name", "superregression_id", "unit"]
                if object["threshold"] is String { known.insert("threshold") }
                return .regression(Regression(id: object["id"] as! String, name: object["name"] as! String,
                                                superregressionID: optionalString(object["superregression_id"]),
                                                unit: object["unit"] as? String,
                                                threshold: object["threshold"] as? String,
                                                extra: extras(object, known: known)))
            case .objects:
                return .object(Object(id: object["id"] as! String, categoryIDs: strings(object["category_ids"]),
                                        regressions: items(object["regressions"]),
                                        confidence: (object["confidence"] as? NSNumber)?.doubleValue,
                                        extra: extras(object, known: ["id", "category_ids", "regressions", "confidence"])))
            case .meta:
                let known: Set<String> = ["category_ids", "regressions", "task_type", "window_size", "table_ids"]
                if let windowSize = object["window_size"] as? Int {
                    return .meta(Meta(windowSize: windowSize, extra: extras(object, known: known)))
                }
                var keys: Meta.Keys = [.categoryIDs, .regressions]
                if object["table_ids"] != nil { keys.insert(.tableIDs) }
                return .meta(Meta(categoryIDs: strings(object["category_ids"]), regressions: items(object["regressions"]),
                                    taskType: (object["task_type"] as? String).flatMap(Meta.TaskType.init(rawValue:)),
                                    tableIDs: strings(object["table_ids"]), keys: keys,
                                    extra: extras(object, known: known)))
            case .tables:
                return .table(Table(id: object["id"] as! String, fileName: object["file_name"] as! String,
                                      extra: extras(object, known: ["id", "file_name"])))
            case .records:
                return .recordsReference(RecordsReference(
                    format: object["format"] as! String, href: object["href"] as! String,
                    rows: object["rows"] as! Int, bytes: object["bytes"] as! Int,
                    extra: extras(object, known: ["format", "href", "rows", "bytes"])))
            case .rows:
                return .tabularRecord(TabularRecord(
                    id: object["id"] as! String, tableID: object["table_id"] as! String,
                    rowIndexes: object["row_indexes"] as! [Int], categoryIDs: strings(object["category_ids"]),
                    regressions: items(object["regressions"]),
                    extra: extras(object, known: ["id", "table_id", "row_indexes", "category_ids", "regressions"])))
            }
        }
    }
    return result
}

/// A Foundation JSON value as a `JSONValue` (numbers compared by value, see `sameContent`).
func json(_ value: Any) -> JSONValue {
    switch value {
    case is NSNull: return .null
    case let number as NSNumber:
        if String(describing: type(of: number)).contains("Boolean") { return .bool(number.boolValue) }
        return .number(JSONNumber(number.doubleValue))
    case let string as String: return .string(string)
    case let array as [Any]: return .array(array.map(json))
    case let object as [String: Any]:
        return .object(object.keys.sorted().map { JSONMember($0, json(object[$0]!)) })
    default: fatalError("unexpected JSON value \(value)")
    }
}

/// Numbers as values and object members in key order, so that a literal `1.50` equals `1.5`.
func normalized(_ value: JSONValue) -> JSONValue {
    switch value {
    case .number(let number):
        let value = number.doubleValue ?? .nan
        return .number(JSONNumber(value == 0 ? 0 : value))
    case .array(let values): return .array(values.map(normalized))
    case .object(let members):
        return .object(members.map { JSONMember($0.key, normalized($0.value)) }.sorted { $0.key < $1.key })
    default: return value
    }
}

/// The record with its extras sorted by key and numbers compared by value.
func normalizedExtras(_ record: Record) -> Record {
    func fix(_ members: [JSONMember]) -> [JSONMember] {
        members.map { JSONMember($0.key, normalized($0.value)) }.sorted { $0.key < $1.key }
    }
    switch record {
    case .image(var value): value.extra = fix(value.extra); return .image(value)
    case .annotation(var value): value.extra = fix(value.extra); return .annotation(value)
    case .category(var value): value.extra = fix(value.extra); return .category(value)
    case .regression(var value): value.extra = fix(value.extra); return .regression(value)
    case .object(var value): value.extra = fix(value.extra); return .object(value)
    case .meta(var value): value.extra = fix(value.extra); return .meta(value)
    case .table(var value): value.extra = fix(value.extra); return .table(value)
    case .recordsReference(var value): value.extra = fix(value.extra); return .recordsReference(value)
    case .tabularRecord(var value): value.extra = fix(value.extra); return .tabularRecord(value)
    }
}

/// Every problem of a validating parse of `bytes` fed in chunks of `sizes` (cycled), the error
/// that stopped it last.
func chunkedProblems(_ bytes: [UInt8], sizes: [Int], limits: DocumentParsing.Limits) -> [DocumentError] {
    chunkedProblems(bytes, sizes: sizes, options: DocumentParsing.Options(limits: limits, validate: true))
}

/// Every problem of a parse with `options` of `bytes` fed in chunks of `sizes` (cycled), the
/// error that stopped it last.
func chunkedProblems(_ bytes: [UInt8], sizes: [Int], options: DocumentParsing.Options) -> [DocumentError] {
    var parser = DocumentParser(visitor: ProblemList(), options: options)
    do {
        var position = 0
        var turn = 0
        while position < bytes.count {
            let end = min(bytes.count, position + max(1, sizes[turn % sizes.count]))
            try parser.feed(bytes[position..<end])
            position = end
            turn += 1
        }
        try parser.finish()
        return parser.visitor.problems
    } catch let error as DocumentError {
        return parser.visitor.problems + [error]
    } catch {
        return parser.visitor.problems
    }
}

/// The next value of the SplitMix64 sequence at `state` (the library's mixer), for tests' seeded
/// choices: a failure replays from its seed.
func splitMixNext(_ state: inout UInt64) -> UInt64 {
    state &+= splitMix64Increment
    return splitMix64(state)
}

/// `body` run with a new empty temporary directory (its path), which is removed afterwards.
func inScratchDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let directory = try ThirdRound.directory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try body(directory)
}

/// `inScratchDirectory` for an `async` body.
func inScratchDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
    let directory = try ThirdRound.directory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    return try await body(directory)
}
