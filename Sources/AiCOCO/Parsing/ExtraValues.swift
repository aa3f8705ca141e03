/// Fields the format does not name: kept whole as JSON values, built container by container
/// in `extraStack`.
enum ExtraContainer {
    case array([JSONValue])
    case object([JSONMember], key: String)
}

extension ParserState {
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
        guard !extraStack.isEmpty else { return }
        switch extraStack[extraStack.count - 1] {
        case .array(var values):
            extraStack[extraStack.count - 1] = .array([])
            values.append(value)
            extraStack[extraStack.count - 1] = .array(values)
        case .object(var members, let key):
            extraStack[extraStack.count - 1] = .array([])
            members.append(JSONMember(key, value))
            extraStack[extraStack.count - 1] = .object(members, key: key)
        }
        valueDone()
    }

    mutating func endExtra() -> Bool {
        pop()
        let value: JSONValue
        switch extraStack.removeLast() {
        case .array(let values): value = .array(values)
        case .object(let members, _): value = .object(members)
        }
        if extraStack.isEmpty {
            if let key = frames[frames.count - 1].key {
                record.extra.append(JSONMember(key, value))
            }
            valueDone()
        } else {
            appendExtra(value)
        }
        return !recordTooBig()
    }
}
