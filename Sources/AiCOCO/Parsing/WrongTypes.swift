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

    func expectedType(of field: Field) -> String { field.expectedType }
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
