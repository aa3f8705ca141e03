/// Fields the format does not name: kept whole as JSON values, built container by container
/// in `record.extraStack`.
enum ExtraContainer {
    case array([JSONValue])
    case object([JSONMember], key: String)
}

extension DocumentEngine {
    func jsonValue(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> JSONValue {
        switch kind {
        case .null: .null
        case .trueValue: .bool(true)
        case .falseValue: .bool(false)
        case .number: .number(JSONNumber(literal: string(text)))
        case .string: .string(string(text))
        }
    }


    mutating func appendExtra(_ value: JSONValue) {
        guard !record.extraStack.isEmpty else { return }
        switch record.extraStack[record.extraStack.count - 1] {
        case .array(var values):
            record.extraStack[record.extraStack.count - 1] = .array([])
            values.append(value)
            record.extraStack[record.extraStack.count - 1] = .array(values)
        case .object(var members, let key):
            record.extraStack[record.extraStack.count - 1] = .array([])
            members.append(JSONMember(key, value))
            record.extraStack[record.extraStack.count - 1] = .object(members, key: key)
        }
        valueDone()
    }

    mutating func endExtra() throws(EngineStop) {
        pop()
        let value: JSONValue
        switch record.extraStack.removeLast() {
        case .array(let values): value = .array(values)
        case .object(let members, _): value = .object(members)
        }
        if record.extraStack.isEmpty {
            if let key = frames[frames.count - 1].key {
                record.fields.extra.append(JSONMember(key, value))
            }
            valueDone()
        } else {
            appendExtra(value)
        }
        try checkRecordSize()
    }
}
