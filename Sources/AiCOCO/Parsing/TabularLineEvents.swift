/// The tokens of one artifact line, checked against the tabular record schema and assembled
/// into a record (yajl calls these through `LineTokens`).
extension TabularLineParser {
    func onStartObject() -> Bool {
        guard beginValue(container: true) else { return false }
        guard let top = frames.last else {
            seen = 0; valid = true; id = ""; tableID = ""; rowIndexes = []
            categoryIDs = nil; regressions = nil; extra = []
            return push(Frame(kind: .record, start: containerStart))
        }
        switch top.kind {
        case .record:
            if top.field == .extra { return openExtra(.object([], key: "")) }
            return wrongType(expected(top.field), found: "an object", at: containerStart, container: true)
        case .regressionList:
            itemSeen = 0; itemValid = true; itemID = ""; itemValue = 0; itemText = nil
            return push(Frame(kind: .regressionItem, start: containerStart))
        default:
            return openAlike(in: top, found: "an object", extra: .object([], key: ""))
        }
    }

    func onStartArray() -> Bool {
        guard beginValue(container: true) else { return false }
        guard let top = frames.last else {
            guard callbackProblem(.schema, "a record of the artifact is a JSON object, found an array",
                                  at: containerStart, path: "$[\(lineNumber - 1)]") else { return false }
            return push(Frame(kind: .skip, count: 1, start: containerStart))
        }
        switch top.kind {
        case .record:
            switch top.field {
            case .categoryIDs:
                categoryIDs = []
                return push(Frame(kind: .idList, field: .categoryIDs, start: containerStart))
            case .regressions:
                regressions = []
                return push(Frame(kind: .regressionList, field: .regressions, start: containerStart))
            case .rowIndexes:
                rowIndexes = []
                return push(Frame(kind: .rowIndexes, field: .rowIndexes, start: containerStart))
            case .extra:
                return openExtra(.array([]))
            default:
                return wrongType(expected(top.field), found: "an array", at: containerStart, container: true)
            }
        case .regressionList:
            return wrongType("a regression item object", found: "an array", at: containerStart, container: true)
        default:
            return openAlike(in: top, found: "an array", extra: .array([]))
        }
    }

    /// An object or an array opening in `top` where both are taken alike (not in a record or
    /// a regression list, where which one it is decides).
    private func openAlike(in top: Frame, found: String, extra: ExtraContainer) -> Bool {
        switch top.kind {
        case .skip:
            frames[frames.count - 1].count += 1
            return frames.count + top.count < limits.maxDepth
                || callbackProblem(.limit, "nesting deeper than \(limits.maxDepth) (limit maxDepth)", at: containerStart)
        case .regressionItem:
            if top.key != nil { return push(Frame(kind: .skip, count: 1, start: containerStart)) }
            itemValid = false
            return wrongType(top.field == .value ? "a number" : "a string", found: found, at: containerStart, container: true)
        case .idList:
            return wrongType("a string", found: found, at: containerStart, container: true)
        case .rowIndexes:
            return wrongType("a non-negative integer", found: found, at: containerStart, container: true)
        case .extra:
            return openExtra(extra)
        case .record, .regressionList:
            preconditionFailure("an object or an array in a record or a regression list is decided by the caller")
        }
    }

    /// An extra field's object or array opens.
    private func openExtra(_ container: ExtraContainer) -> Bool {
        extraStack.append(container)
        return push(Frame(kind: .extra, start: containerStart))
    }

    func onEndObject() -> Bool {
        guard let top = frames.last else { return true }
        switch top.kind {
        case .record: return endRecord()
        case .regressionItem: return endItem()
        case .extra: return endExtra()
        case .skip: return endSkip()
        default: return true
        }
    }

    func onEndArray() -> Bool {
        guard let top = frames.last else { return true }
        switch top.kind {
        case .skip: return endSkip()
        case .extra: return endExtra()
        case .rowIndexes:
            frames.removeLast()
            if let windowSize, checker != nil, top.count != windowSize {
                guard callbackProblem(.semantic, "\(top.count) row indexes, but meta.window_size is \(windowSize)",
                                      at: top.start) else { return false }
            }
            valueDone()
            return true
        case .idList, .regressionList:
            frames.removeLast()
            valueDone()
            return true
        default: return true
        }
    }

    func onKey(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        if _slowPath(strictText.firstBad != Int.max), strictTextFailed() { return false }
        guard let top = frames.last else { return true }
        let start = scalarStart(key.count, string: true)
        switch top.kind {
        case .record:
            let field = Field.lookup(key, in: .rows)
            frames[frames.count - 1].field = field
            if field == .extra {
                let name = String(decoding: key, as: UTF8.self)
                frames[frames.count - 1].key = name
                if extra.contains(where: { $0.key == name }) {
                    return callbackProblem(.semantic, "duplicate key \(jsonQuoted(name))", at: start)
                }
                return true
            }
            frames[frames.count - 1].key = nil
            if seen & field.bit != 0 {
                return callbackProblem(.semantic, "duplicate key \"\(field.jsonKey)\"", at: start)
            }
            seen |= field.bit
            return true
        case .regressionItem:
            let field = Field.lookupRegressionItemKey(key)
            frames[frames.count - 1].field = field
            if field == .extra {
                let name = String(decoding: key, as: UTF8.self)
                frames[frames.count - 1].key = name
                itemValid = false
                return callbackProblem(.schema, "a regression item has only regression_id and value, found key \(jsonQuoted(name))",
                                       at: top.start, path: currentPath(includeCurrent: false))
            }
            frames[frames.count - 1].key = nil
            if itemSeen & field.bit != 0 {
                itemValid = false
                return callbackProblem(.semantic, "duplicate key \"\(field.jsonKey)\"", at: start)
            }
            itemSeen |= field.bit
            return true
        case .extra:
            let name = String(decoding: key, as: UTF8.self)
            if case .object(let members, _) = extraStack[extraStack.count - 1] {
                extraStack[extraStack.count - 1] = .object(members, key: name)
                if members.contains(where: { $0.key == name }) {
                    return callbackProblem(.semantic, "duplicate key \(jsonQuoted(name))", at: start)
                }
            }
            return true
        default:
            return true
        }
    }

    func onNull() -> Bool { scalar(.null, UnsafeBufferPointer(start: nil, count: 0)) }
    func onBool(_ value: Bool) -> Bool { scalar(value ? .trueValue : .falseValue, UnsafeBufferPointer(start: nil, count: 0)) }
    func onNumber(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        if nonFinite.pending > 0, let token = nonFinite.take(at: tokenEnd - text.count) {
            let literal = token.text
            return scalar(.number, UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        }
        return scalar(.number, text)
    }
    func onString(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        if _slowPath(strictText.firstBad != Int.max), strictTextFailed() { return false }
        return scalar(.string, text)
    }

    func scalar(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard beginValue(container: false) else { return false }
        let length: Int
        switch kind {
        case .null, .trueValue: length = 4
        case .falseValue: length = 5
        case .number, .string: length = text.count
        }
        let start = scalarStart(length, string: kind == .string)
        if kind == .string, text.count > limits.maxStringBytes {
            return callbackProblem(.limit, "string of \(text.count) bytes is longer than \(limits.maxStringBytes) (limit maxStringBytes)", at: start)
        }
        if kind == .number, text.count > limits.maxNumberBytes {
            return callbackProblem(.limit, "number of \(text.count) bytes is longer than \(limits.maxNumberBytes) (limit maxNumberBytes)", at: start)
        }
        guard let top = frames.last else {
            return callbackProblem(.schema, "a record of the artifact is a JSON object, found \(kind.described)",
                                   at: start, path: "$[\(lineNumber - 1)]")
        }
        switch top.kind {
        case .skip:
            return true
        case .record:
            return recordField(top.field, kind, text, at: start)
        case .idList:
            guard kind == .string else { return wrongType("a string", found: kind.described, at: start, container: false) }
            let value = String(decoding: text, as: UTF8.self)
            if let checker {
                let site = ReferenceSite(section: .rows, record: lineNumber - 1, field: .categoryIDs, listIndex: top.count)
                guard referenceProblem(checker.reference(to: .categories, id: value, site: site, at: location(start)))
                else { return false }
            }
            categoryIDs?.append(value)
        case .rowIndexes:
            guard kind == .number else {
                return wrongType("a non-negative integer", found: kind.described, at: start, container: false)
            }
            guard let index = Self.nonNegativeInteger(text) else {
                return wrongType("a non-negative integer", found: String(decoding: text, as: UTF8.self), at: start, container: false)
            }
            // Past `window_size` (when checked) the record is left out: its indexes need not be kept.
            if checker == nil || windowSize.map({ rowIndexes.count < $0 }) ?? true { rowIndexes.append(index) }
        case .regressionList:
            return wrongType("a regression item object", found: kind.described, at: start, container: false)
        case .regressionItem:
            switch top.field {
            case .regressionID:
                guard kind == .string else {
                    itemValid = false
                    return wrongType("a string", found: kind.described, at: start, container: false)
                }
                itemID = String(decoding: text, as: UTF8.self)
                if let checker {
                    let site = ReferenceSite(section: .rows, record: lineNumber - 1, field: .regressions,
                                             listIndex: frames[frames.count - 2].count, leaf: .regressionID)
                    guard referenceProblem(checker.reference(to: .regressions, id: itemID, site: site, at: location(start)))
                    else { return false }
                }
            case .value:
                guard kind == .number else {
                    itemValid = false
                    return wrongType("a number", found: kind.described, at: start, container: false)
                }
                guard let value = parseJSONNumber(text) else {
                    itemValid = false
                    return callbackProblem(.semantic, "number \(String(decoding: text, as: UTF8.self)) does not fit a 64-bit float", at: start)
                }
                itemValue = value
                itemText = numberText(text, value)
            default:
                break
            }
        case .extra:
            appendExtra(extraValue(kind, text))
            return true
        }
        valueDone()
        return true
    }

    func recordField(_ field: Field, _ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>,
                             at start: Int) -> Bool {
        switch field {
        case .id, .tableID:
            guard kind == .string else { return wrongType("a string", found: kind.described, at: start, container: false) }
            let value = String(decoding: text, as: UTF8.self)
            if field == .id {
                id = value
            } else {
                tableID = value
                if let checker {
                    let site = ReferenceSite(section: .rows, record: lineNumber - 1, field: .tableID)
                    guard referenceProblem(checker.reference(to: .tables, id: value, site: site, at: location(start)))
                    else { return false }
                }
            }
        case .categoryIDs, .regressions:
            guard kind == .null else { return wrongType(expected(field), found: kind.described, at: start, container: false) }
            if field == .categoryIDs { categoryIDs = nil } else { regressions = nil }
        case .rowIndexes:
            return wrongType(expected(field), found: kind.described, at: start, container: false)
        case .extra:
            if let key = frames[frames.count - 1].key { extra.append(JSONMember(key, extraValue(kind, text))) }
        default:
            break
        }
        return true
    }

    func expected(_ field: Field) -> String {
        switch field {
        case .id, .tableID: "a string"
        case .rowIndexes: "an array of non-negative integers"
        case .categoryIDs: "an array of strings or null"
        case .regressions: "an array of regression items or null"
        default: "a value"
        }
    }

    /// `0`, `17`...: digits only (no sign, fraction or exponent), within `Int`.
    static func nonNegativeInteger(_ text: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !text.isEmpty, text.count <= 18 else {
            return text.count > 18 && text.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
                ? Int(String(decoding: text, as: UTF8.self)) : nil
        }
        var value = 0
        for byte in text {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    func extraValue(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> JSONValue {
        switch kind {
        case .null: .null
        case .trueValue: .bool(true)
        case .falseValue: .bool(false)
        case .number: .number(JSONNumber(literal: String(decoding: text, as: UTF8.self)))
        case .string: .string(String(decoding: text, as: UTF8.self))
        }
    }

    func appendExtra(_ value: JSONValue) {
        switch extraStack[extraStack.count - 1] {
        case .array(var items):
            extraStack[extraStack.count - 1] = .array([])
            items.append(value)
            extraStack[extraStack.count - 1] = .array(items)
            frames[frames.count - 1].count += 1
        case .object(var members, let key):
            extraStack[extraStack.count - 1] = .object([], key: key)
            members.append(JSONMember(key, value))
            extraStack[extraStack.count - 1] = .object(members, key: key)
        }
    }

    func endExtra() -> Bool {
        frames.removeLast()
        let value: JSONValue
        switch extraStack.removeLast() {
        case .array(let items): value = .array(items)
        case .object(let members, _): value = .object(members)
        }
        if extraStack.isEmpty {
            if let key = frames[frames.count - 1].key { extra.append(JSONMember(key, value)) }
        } else {
            appendExtra(value)
        }
        return true
    }

    func endSkip() -> Bool {
        frames[frames.count - 1].count -= 1
        if frames[frames.count - 1].count == 0 {
            frames.removeLast()
            valueDone()
        }
        return true
    }

    func endItem() -> Bool {
        let top = frames[frames.count - 1]
        for field in [Field.regressionID, .value] where itemSeen & field.bit == 0 {
            itemValid = false
            guard callbackProblem(.schema, "missing required key \"\(field.jsonKey)\" in a regression item",
                                  at: top.start, path: currentPath(includeCurrent: false)) else { return false }
        }
        frames.removeLast()
        if itemValid { regressions?.append(RegressionItem(regressionID: itemID, value: itemValue, valueText: itemText)) }
        valueDone()
        return true
    }

    func endRecord() -> Bool {
        let top = frames[frames.count - 1]
        let missing = Field.required(in: .rows).filter { seen & $0.bit == 0 }
        if !missing.isEmpty {
            let names = missing.map { "\"\($0.jsonKey)\"" }
            guard callbackProblem(.schema, (names.count == 1 ? "missing required key " : "missing required keys ")
                                  + names.joined(separator: ", "), at: top.start, path: "$[\(lineNumber - 1)]")
            else { return false }
        }
        frames.removeLast()
        guard valid else { return true }
        let record = TabularRecord(id: id, tableID: tableID, rowIndexes: rowIndexes, categoryIDs: categoryIDs,
                                     regressions: regressions, extra: extra)
        extra = []
        do {
            try deliver(record, lineNumber - 1)
        } catch {
            failure = error
            return false
        }
        delivered += 1
        return true
    }
}
