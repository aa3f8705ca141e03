/// The grammar of a tabular record (`id`, `table_id`, `row_indexes` of non-negative integers,
/// `category_ids` or null, `regressions` of regression items or null, extra fields kept), one
/// for both places it is read: inline in a document (`records: [...]`, FLaVor 2.1.0 to 2.2.1)
/// and as a line of a records artifact (`TabularLineParser`). It recognises each key and value,
/// keeps what it takes in the record being read and says what is wrong with the rest; the
/// reader places the problem (a document's line and column and `$.records[i]...`, or the
/// artifact's and `$[i]...`) and reports it.
///
/// The regression items, `category_ids` entries, keys and extra values of the image sections'
/// records follow the same rules and go through the same methods.
extension RecordInProgress {
    /// A record of `section` starts.
    mutating func begin(_ section: Section, at start: SourceLocation) {
        if section == .rows {
            // Only what a tabular record holds (a whole `RecordFields` made anew, per line of an
            // artifact, costs more than the rest of the record's fields).
            fields.seen = 0
            fields.valid = true
            fields.cost = 0
            fields.id = ""
            fields.categoryIDs = nil
            fields.regressions = nil
            fields.extra = []
            rowTableID = ""
            rowIndexes.removeAll(keepingCapacity: true)
        } else {
            fields = RecordFields()
        }
        fields.start = start
    }

    /// A key of a record of `section`: its field, the key itself when the format does not name
    /// it (kept as an extra field), and whether the record has it already (`duplicateKey`'s
    /// problem, at the key). Answers in registers: this runs for every key.
    mutating func key(_ key: UnsafeBufferPointer<UInt8>, in section: Section) -> (field: Field, name: String?, duplicate: Bool) {
        let field = Field.lookup(key, in: section)
        if field == .extra {
            let name = string(key)
            fields.cost += key.count
            return (field, name, fields.extra.contains(where: { $0.key == name }))
        }
        if fields.seen & field.bit != 0 { return (field, nil, true) }
        fields.seen |= field.bit
        return (field, nil, false)
    }

    /// A key of a regression item: `regression_id` and `value` only, once each; `wrong` when it
    /// is neither or given twice (`itemKeyProblem`).
    mutating func itemKey(_ key: UnsafeBufferPointer<UInt8>) -> (field: Field, name: String?, wrong: Bool) {
        let field = Field.lookupRegressionItemKey(key)
        if field == .extra {
            item.valid = false
            return (field, string(key), true)
        }
        if item.seen & field.bit != 0 {
            item.valid = false
            return (field, nil, true)
        }
        item.seen |= field.bit
        return (field, nil, false)
    }

    /// A key of the regression item whose object is the innermost of `frames`: names that frame's
    /// field, and answers the problem of a wrong key (`itemKeyProblem`), if it is one.
    mutating func itemKey(_ key: UnsafeBufferPointer<UInt8>, naming frames: inout FrameStack)
        -> (kind: DocumentError.Kind, message: String, place: GrammarPlace)? {
        let (field, name, wrong) = itemKey(key)
        frames.name(field, key: name)
        return wrong ? Self.itemKeyProblem(field, name: name) : nil
    }

    /// The problem of a key given twice (`name`: an extra field's or member's key).
    static func duplicateKey(_ field: Field, name: String?) -> String {
        name.map { "duplicate key \(quotedKey($0))" } ?? "duplicate key \"\(field.jsonKey)\""
    }

    /// The problem of a wrong key of a regression item: one it does not have (placed at the
    /// item), or one given twice (at the key).
    static func itemKeyProblem(_ field: Field, name: String?) -> (DocumentError.Kind, String, GrammarPlace) {
        guard let name, field == .extra else { return (.semantic, duplicateKey(field, name: nil), .token) }
        return (.schema, "a regression item has only regression_id and value, found key \(quotedKey(name))", .container)
    }

    /// A scalar as the value of `field` of a tabular record (`key`: an extra field's key).
    mutating func rowValue(_ field: Field, key: String?, _ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> GrammarAnswer {
        fields.cost += text.count
        switch field {
        case .id, .tableID:
            guard kind == .string else { return .wrongType(expected: field.expectedType, found: kind.described) }
            if field == .id {
                fields.id = string(text)
                return .taken
            }
            rowTableID = string(text)
            return .names(.tables)
        case .categoryIDs, .regressions:
            guard kind == .null else { return .wrongType(expected: field.expectedType, found: kind.described) }
            if field == .categoryIDs { fields.categoryIDs = nil } else { fields.regressions = nil }
        case .rowIndexes:
            return .wrongType(expected: field.expectedType, found: kind.described)
        case .extra:
            fields.cost += 16
            if let key { fields.extra.append(JSONMember(key, jsonValue(kind, text))) }
        default:
            break
        }
        return .taken
    }

    /// An entry of `row_indexes`: a non-negative integer, kept while there are fewer than
    /// `keepingBelow` (past `window_size` the record is left out: its indexes need not be kept).
    mutating func rowIndex(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>, keepingBelow limit: Int) -> GrammarAnswer {
        guard kind == .number, let value = Self.nonNegativeInteger(text) else {
            return .wrongType(expected: "a non-negative integer", found: kind == .number ? string(text) : kind.described)
        }
        fields.cost += text.count + 8
        if rowIndexes.count < limit { rowIndexes.append(value) }
        return .taken
    }

    /// An entry of `category_ids` (or of `table_ids`, `field`): a string naming a record.
    mutating func listID(_ field: Field, _ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> GrammarAnswer {
        guard kind == .string else { return .wrongType(expected: "a string", found: kind.described) }
        let id = string(text)
        fields.cost += text.count + 16
        if field == .tableIDs {
            fields.tableIDs?.append(id)
            return .names(.tables)
        }
        fields.categoryIDs?.append(id)
        return .names(.categories)
    }

    /// A scalar as the value of `field` of a regression item.
    mutating func itemValue(_ field: Field, _ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> GrammarAnswer {
        switch field {
        case .regressionID:
            guard kind == .string else {
                item.valid = false
                return .wrongType(expected: "a string", found: kind.described)
            }
            item.regressionID = string(text)
            fields.cost += text.count + 16
            return .names(.regressions)
        case .value:
            guard kind == .number else {
                item.valid = false
                return .wrongType(expected: "a number", found: kind.described)
            }
            guard let value = parseJSONNumber(text) else {
                item.valid = false
                return .problem(.semantic, unrepresentableMessage(text), at: .token)
            }
            item.value = value
            item.text = numberText(text, value)
        default:
            break
        }
        return .taken
    }

    /// The keys a regression item lacks, one message each; the item is kept when it has both
    /// and nothing was wrong with it.
    mutating func endItem() -> [String] {
        let missing = [Field.regressionID, .value].filter { item.seen & $0.bit == 0 }
        if !missing.isEmpty { item.valid = false }
        return missing.map { "missing required key \"\($0.jsonKey)\" in a regression item" }
    }

    /// After `endItem`'s problems are reported: the item joins the record's regressions if valid.
    mutating func keepItem() {
        guard item.valid else { return }
        fields.regressions?.append(RegressionItem(regressionID: item.regressionID, value: item.value, valueText: item.text))
    }

    /// The required keys a record lacks (`seen`: the keys it has), as one message (nil when
    /// none is missing). Static: a method of the record, read through the line parser's class,
    /// would copy the whole record first.
    static func missingKeys(_ required: [Field], seen: UInt32) -> String? {
        let missing = required.reduce(0) { $0 | $1.bit } & ~seen
        guard missing != 0 else { return nil }
        let names = required.filter { missing & $0.bit != 0 }.map { "\"\($0.jsonKey)\"" }
        return names.count == 1 ? "missing required key \(names[0])" : "missing required keys \(names.joined(separator: ", "))"
    }

    /// The tabular record read, its fields moved out.
    mutating func takeRow() -> TabularRecord {
        let row = TabularRecord(id: fields.id, tableID: rowTableID, rowIndexes: rowIndexes, categoryIDs: fields.categoryIDs,
                                regressions: fields.regressions, extra: fields.extra)
        fields.extra = []
        return row
    }

    /// A value inside an extra field's object or array joins it.
    mutating func addExtra(_ value: JSONValue) {
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
    }

    /// A key of an extra field's object: the member that follows; true when the object has it
    /// already (`duplicateKey`'s problem).
    mutating func extraKey(_ name: String) -> Bool {
        guard case .object(let members, _) = extraStack[extraStack.count - 1] else { return false }
        extraStack[extraStack.count - 1] = .object(members, key: name)
        return members.contains(where: { $0.key == name })
    }

    /// The innermost extra object or array closes: it joins the one around it or, the
    /// outermost, the record's extra fields under `key`.
    mutating func closeExtra(key: String?) {
        let value: JSONValue
        switch extraStack.removeLast() {
        case .array(let values): value = .array(values)
        case .object(let members, _): value = .object(members)
        }
        if !extraStack.isEmpty { return addExtra(value) }
        if let key { fields.extra.append(JSONMember(key, value)) }
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

    /// A record's count of row indexes against `meta.window_size`: the problem, if they differ.
    static func rowCountProblem(_ count: Int, windowSize: Int, others: Int = 0) -> String? {
        guard count != windowSize else { return nil }
        let more = others > 0 ? " (and in \(others) more record\(others == 1 ? "" : "s"))" : ""
        return "\(count) row indexes, but meta.window_size is \(windowSize)\(more)"
    }
}

/// What the record grammar says of a key or a value.
enum GrammarAnswer {
    /// Taken into the record.
    case taken
    /// Taken; it names a record of this section, which the reader checks when it checks references.
    case names(Section)
    /// Not of the type the field takes (the reader reports it and passes over the value).
    case wrongType(expected: String, found: String)
    /// Wrong otherwise: the record is left out.
    case problem(DocumentError.Kind, String, at: GrammarPlace)
}

/// Where a problem the grammar finds is placed.
enum GrammarPlace {
    /// At the key or value being read.
    case token
    /// At the start of the innermost object (a regression item), with its path.
    case container
}

/// A number that does not fit a `Double`, quoted at most 40 bytes long.
func unrepresentableMessage(_ text: UnsafeBufferPointer<UInt8>) -> String {
    "number \(quotedToken(text)) does not fit a 64-bit float"
}

/// A scalar as an extra field's value.
func jsonValue(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> JSONValue {
    switch kind {
    case .null: .null
    case .trueValue: .bool(true)
    case .falseValue: .bool(false)
    case .number: .number(JSONNumber(literal: string(text)))
    case .string: .string(string(text))
    }
}

extension Field {
    /// What a value of this field is, for messages.
    var expectedType: String {
        switch self {
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
