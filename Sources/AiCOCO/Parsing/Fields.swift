/// The keys the format names, across all sections.
enum Field: UInt8 {
    case none
    case id, fileName, index, categoryIDs, regressions
    case imageID, objectID, iscrowd, bbox, segmentation
    case name, supercategoryID, superregressionID, color, unit, threshold
    case confidence, taskType
    case regressionID, value
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
        }
    }

    /// The fields a record of `section` must have.
    static func required(in section: AiCOCOSection) -> [Field] {
        switch section {
        case .images: [.id, .fileName, .index, .categoryIDs, .regressions]
        case .annotations: [.id, .imageID, .objectID, .iscrowd, .bbox, .segmentation]
        case .categories: [.id, .name, .supercategoryID]
        case .regressions: [.id, .name, .superregressionID]
        case .objects: [.id, .categoryIDs, .regressions]
        case .meta: [.categoryIDs, .regressions]
        }
    }

    static let requiredMasks: [UInt32] = AiCOCOSection.allCases.map { section in
        required(in: section).reduce(0) { $0 | $1.bit }
    }

    /// Which field `key` names in a record of `section` (`.extra` when the format does not name it).
    static func lookup(_ key: UnsafeBufferPointer<UInt8>, in section: AiCOCOSection) -> Field {
        let candidates: [Field] = switch section {
        case .images: [.id, .fileName, .index, .categoryIDs, .regressions]
        case .annotations: [.id, .imageID, .objectID, .iscrowd, .bbox, .segmentation]
        case .categories: [.id, .name, .supercategoryID, .color]
        case .regressions: [.id, .name, .superregressionID, .unit, .threshold]
        case .objects: [.id, .categoryIDs, .regressions, .confidence]
        case .meta: [.categoryIDs, .regressions, .taskType]
        }
        for field in candidates where field.keyBytes.elementsEqual(key) { return field }
        return .extra
    }

    /// Keys of a regression item.
    static func lookupRegressionItemKey(_ key: UnsafeBufferPointer<UInt8>) -> Field {
        if Field.regressionID.keyBytes.elementsEqual(key) { return .regressionID }
        if Field.value.keyBytes.elementsEqual(key) { return .value }
        return .extra
    }

    private static let allKeyBytes: [[UInt8]] = (0...Field.value.rawValue).map {
        Array(Field(rawValue: $0)!.jsonKey.utf8)
    }

    var keyBytes: [UInt8] { Field.allKeyBytes[Int(rawValue)] }
}

extension AiCOCOSection {
    /// Which section `key` names at the top level, if any.
    static func lookup(_ key: UnsafeBufferPointer<UInt8>) -> AiCOCOSection? {
        for section in allCases where sectionKeyBytes[section.ordinal].elementsEqual(key) { return section }
        return nil
    }

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
        }
    }
}
