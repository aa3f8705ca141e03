/// The keys the format names, across all sections.
enum Field: UInt8 {
    case none
    case id, fileName, index, categoryIDs, regressions
    case imageID, objectID, iscrowd, bbox, segmentation
    case name, supercategoryID, superregressionID, color, unit, threshold
    case confidence, taskType
    case regressionID, value
    // Tabular and hybrid outputs.
    case tableID, rowIndexes, windowSize, tableIDs, format, href, rows, bytes
    /// `records_file.path` (FLaVor 2.2.2's form of `records.href`).
    case path
    /// A key the format does not name: kept as a JSON value.
    case extra

    var bit: UInt32 { 1 << UInt32(rawValue) }

    /// The key as written in a file.
    var jsonKey: String {
        switch self {
        case .none, .extra: ""
        case .id: "id"
        case .fileName: "file_name"
        case .index: "index"
        case .categoryIDs: "category_ids"
        case .regressions: "regressions"
        case .imageID: "image_id"
        case .objectID: "object_id"
        case .iscrowd: "iscrowd"
        case .bbox: "bbox"
        case .segmentation: "segmentation"
        case .name: "name"
        case .supercategoryID: "supercategory_id"
        case .superregressionID: "superregression_id"
        case .color: "color"
        case .unit: "unit"
        case .threshold: "threshold"
        case .confidence: "confidence"
        case .taskType: "task_type"
        case .regressionID: "regression_id"
        case .value: "value"
        case .tableID: "table_id"
        case .rowIndexes: "row_indexes"
        case .windowSize: "window_size"
        case .tableIDs: "table_ids"
        case .format: "format"
        case .href: "href"
        case .rows: "rows"
        case .bytes: "bytes"
        case .path: "path"
        }
    }

    /// The fields a record of `section` must have.
    static func required(in section: Section) -> [Field] {
        switch section {
        case .images: [.id, .fileName, .index, .categoryIDs, .regressions]
        case .annotations: [.id, .imageID, .objectID, .iscrowd, .bbox, .segmentation]
        case .categories: [.id, .name, .supercategoryID]
        case .regressions: [.id, .name, .superregressionID]
        case .objects: [.id, .categoryIDs, .regressions]
        case .meta: [.categoryIDs, .regressions]
        case .tables: [.id, .fileName]
        case .records: [.format, .href, .rows, .bytes]
        case .rows: [.id, .tableID, .rowIndexes, .categoryIDs, .regressions]
        }
    }

    static let requiredMasks: [UInt32] = Section.allCases.map { section in
        required(in: section).reduce(0) { $0 | $1.bit }
    }

    /// Which field `key` names in a record of `section` (`.extra` when the format does not name it).
    static func lookup(_ key: UnsafeBufferPointer<UInt8>, in section: Section) -> Field {
        let field: Field
        switch key.count {
        case 2: field = matches(key, "id") ? .id : .extra
        case 4: field = matches(key, "bbox") ? .bbox : matches(key, "name") ? .name : matches(key, "unit") ? .unit
            : matches(key, "href") ? .href : matches(key, "rows") ? .rows : matches(key, "path") ? .path : .extra
        case 5: field = matches(key, "index") ? .index : matches(key, "color") ? .color : matches(key, "value") ? .value
            : matches(key, "bytes") ? .bytes : .extra
        case 6: field = matches(key, "format") ? .format : .extra
        case 7: field = matches(key, "iscrowd") ? .iscrowd : .extra
        case 8: field = matches(key, "image_id") ? .imageID : matches(key, "table_id") ? .tableID : .extra
        case 9: field = matches(key, "file_name") ? .fileName : matches(key, "object_id") ? .objectID
            : matches(key, "threshold") ? .threshold : matches(key, "task_type") ? .taskType
            : matches(key, "table_ids") ? .tableIDs : .extra
        case 10: field = matches(key, "confidence") ? .confidence : .extra
        case 11: field = matches(key, "regressions") ? .regressions : matches(key, "row_indexes") ? .rowIndexes
            : matches(key, "window_size") ? .windowSize : .extra
        case 12: field = matches(key, "category_ids") ? .categoryIDs : matches(key, "segmentation") ? .segmentation : .extra
        case 13: field = matches(key, "regression_id") ? .regressionID : .extra
        case 16: field = matches(key, "supercategory_id") ? .supercategoryID : .extra
        case 18: field = matches(key, "superregression_id") ? .superregressionID : .extra
        default: field = .extra
        }
        return field != .extra && field.belongs(to: section) ? field : .extra
    }

    /// Whether the format names this field in records of `section` (a mask test: this runs per key).
    func belongs(to section: Section) -> Bool {
        let fields: UInt32
        switch section {
        case .images: fields = Field.id.bit | Field.fileName.bit | Field.index.bit | Field.categoryIDs.bit | Field.regressions.bit
        case .annotations: fields = Field.id.bit | Field.imageID.bit | Field.objectID.bit | Field.iscrowd.bit
            | Field.bbox.bit | Field.segmentation.bit
        case .categories: fields = Field.id.bit | Field.name.bit | Field.supercategoryID.bit | Field.color.bit
        case .regressions: fields = Field.id.bit | Field.name.bit | Field.superregressionID.bit | Field.unit.bit
            | Field.threshold.bit
        case .objects: fields = Field.id.bit | Field.categoryIDs.bit | Field.regressions.bit | Field.confidence.bit
        case .meta: fields = Field.categoryIDs.bit | Field.regressions.bit | Field.taskType.bit | Field.windowSize.bit
            | Field.tableIDs.bit
        case .tables: fields = Field.id.bit | Field.fileName.bit
        case .records: fields = Field.format.bit | Field.href.bit | Field.rows.bit | Field.bytes.bit | Field.path.bit
        case .rows: fields = Field.id.bit | Field.tableID.bit | Field.rowIndexes.bit | Field.categoryIDs.bit
            | Field.regressions.bit
        }
        return fields & bit != 0
    }

    /// Keys of a regression item.
    static func lookupRegressionItemKey(_ key: UnsafeBufferPointer<UInt8>) -> Field {
        if matches(key, "regression_id") { return .regressionID }
        if matches(key, "value") { return .value }
        return .extra
    }

    @inline(__always)
    static func matches(_ key: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        bytesEqual(key, literal)
    }

    private static let allKeyBytes: [[UInt8]] = (0...Field.path.rawValue).map {
        Array(Field(rawValue: $0)!.jsonKey.utf8)
    }

    var keyBytes: [UInt8] { Field.allKeyBytes[Int(rawValue)] }
}

extension Section {
    /// Which section `key` names at the top level, if any.
    static func lookup(_ key: UnsafeBufferPointer<UInt8>) -> Section? {
        for section in documentKeys where sectionKeyBytes[section.ordinal].elementsEqual(key) { return section }
        return nil
    }

    /// The sections that are top-level keys of a document (all but `rows`).
    static let documentKeys: [Section] = allCases.filter { $0 != .rows }

    private static let sectionKeyBytes: [[UInt8]] = allCases.map { Array($0.rawValue.utf8) }

    /// Position in `allCases`.
    var ordinal: Int {
        switch self {
        case .images: 0
        case .annotations: 1
        case .categories: 2
        case .regressions: 3
        case .objects: 4
        case .meta: 5
        case .tables: 6
        case .records: 7
        case .rows: 8
        }
    }
}
