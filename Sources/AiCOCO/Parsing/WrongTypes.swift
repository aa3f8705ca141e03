/// Values of the wrong type: what each field expects, and the problem reported when a value
/// does not fit.
extension DocumentEngine {
    /// Reports a value of the wrong type at the current place, and passes over it.
    mutating func wrongType(_ expected: String, found: String, at location: SourceLocation, container: Bool) throws(EngineStop) {
        let path = currentPath()
        var message = "expected \(expected), found \(found)"
        if let frame = frames.last, frame.kind == .record || frame.kind == .regressionItem,
           frame.field != .none, frame.field != .extra {
            message = "\"\(frame.field.jsonKey)\": " + message
        } else if let frame = frames.last, frame.kind == .idList {
            message = "\"\(frame.field.jsonKey)\" entry: " + message
        }
        try problem(.schema, message, at: location, path: path)
        if container { return try skipContainer() }
        valueDone()
        return
    }

    func expectedType(of field: Field) -> String {
        switch field {
        case .id, .fileName, .imageID, .objectID, .name, .color, .unit, .taskType, .regressionID: "a string"
        case .supercategoryID, .superregressionID: "a string or null"
        case .index, .confidence, .value: "a number"
        case .iscrowd: "0 or 1"
        case .categoryIDs: "an array of strings or null"
        case .regressions: "an array of regression items or null"
        case .bbox: "an array of [x1, y1, x2, y2] arrays or null"
        case .segmentation: "an array of polygons (arrays of numbers) or null"
        case .threshold, .extra, .none: "a value"
        case .tableID, .format, .href, .path: "a string"
        case .rowIndexes: "an array of non-negative integers"
        case .rows, .bytes: "a non-negative integer"
        case .windowSize: "a positive integer"
        case .tableIDs: "an array of strings or null"
        }
    }
}

/// The kind of a scalar JSON value.
enum ScalarKind {
    case null, trueValue, falseValue, number, string

    var described: String {
        switch self {
        case .null: "null"
        case .trueValue: "true"
        case .falseValue: "false"
        case .number: "a number"
        case .string: "a string"
        }
    }
}
