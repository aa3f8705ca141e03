/// The tokens of one artifact line: the line's structure (one object, its lists, items and
/// extra values) here, its keys and values handed to the record grammar (`RecordGrammar.swift`),
/// its problems placed in the artifact (the token handlers of `TabularLineParser.swift` call these).
extension TabularLineParser {
    func startObject() throws {
        try beginValue(container: true)
        guard let top = frames.last else {
            record.begin(.rows, at: location(containerStart))
            return try push(Frame(kind: .record, start: location(containerStart)))
        }
        switch top.kind {
        case .record:
            if top.field == .extra { return try openExtra(.object([], key: "")) }
            return try wrongType(top.field.expectedType, found: "an object", at: containerStart, container: true)
        case .regressionList:
            record.item = ItemScratch()
            return try push(Frame(kind: .regressionItem, start: location(containerStart)))
        default:
            return try openAlike(in: top, found: "an object", extra: .object([], key: ""))
        }
    }

    func startArray() throws {
        try beginValue(container: true)
        guard let top = frames.last else {
            try problem(.schema, "a record of the artifact is a JSON object, found an array",
                                  at: containerStart, path: "$[\(lineNumber - 1)]")
            return try push(Frame(kind: .skip, count: 1, start: location(containerStart)))
        }
        switch top.kind {
        case .record:
            switch top.field {
            case .categoryIDs:
                record.fields.categoryIDs = []
                return try push(Frame(kind: .idList, field: .categoryIDs, start: location(containerStart)))
            case .regressions:
                record.fields.regressions = []
                return try push(Frame(kind: .regressionList, field: .regressions, start: location(containerStart)))
            case .rowIndexes:
                record.rowIndexes.removeAll(keepingCapacity: true)
                return try push(Frame(kind: .idList, field: .rowIndexes, start: location(containerStart)))
            case .extra:
                return try openExtra(.array([]))
            default:
                return try wrongType(top.field.expectedType, found: "an array", at: containerStart, container: true)
            }
        case .regressionList:
            return try wrongType("a regression item object", found: "an array", at: containerStart, container: true)
        default:
            return try openAlike(in: top, found: "an array", extra: .array([]))
        }
    }

    /// An object or an array opening in `top` where both are taken alike (not in a record or
    /// a regression list, where which one it is decides).
    private func openAlike(in top: Frame, found: String, extra: ExtraContainer) throws {
        switch top.kind {
        case .skip:
            frames[frames.count - 1].count += 1
            if frames.count + top.count >= limits.maxDepth {
                try problem(.limit, "nesting deeper than \(limits.maxDepth) (limit maxDepth)", at: containerStart)
            }
        case .regressionItem:
            if top.key != nil { return try push(Frame(kind: .skip, count: 1, start: location(containerStart))) }
            record.item.valid = false
            return try wrongType(top.field == .value ? "a number" : "a string", found: found, at: containerStart, container: true)
        case .idList:
            let expected = top.field == .rowIndexes ? "a non-negative integer" : "a string"
            return try wrongType(expected, found: found, at: containerStart, container: true)
        case .extra:
            return try openExtra(extra)
        case .record, .regressionList:
            preconditionFailure("an object or an array in a record or a regression list is decided by the caller")
        case .document, .section, .coordList, .coordEntry:
            preconditionFailure("a document's frames are not an artifact line's")
        }
    }

    /// An extra field's object or array opens.
    private func openExtra(_ container: ExtraContainer) throws {
        record.extraStack.append(container)
        return try push(Frame(kind: .extra, start: location(containerStart)))
    }

    func endObject() throws {
        guard let top = frames.last else { return }
        switch top.kind {
        case .record: return try endRecord()
        case .regressionItem: return try endItem()
        case .extra: return try endExtra()
        case .skip: return try endSkip()
        default: return
        }
    }

    func endArray() throws {
        guard let top = frames.last else { return }
        switch top.kind {
        case .skip: return try endSkip()
        case .extra: return try endExtra()
        case .idList where top.field == .rowIndexes:
            frames.pop()
            if let windowSize, checker != nil,
               let message = RecordInProgress.rowCountProblem(top.count, windowSize: windowSize) {
                try problem(.semantic, message, at: top.start)
            }
            valueDone()
            return
        case .idList, .regressionList:
            frames.pop()
            valueDone()
            return
        default: return
        }
    }

    func readKey(_ key: UnsafeBufferPointer<UInt8>) throws {
        if _slowPath(strictText.firstBad != Int.max) { try checkStrictText() }
        guard let top = frames.last else { return }
        switch top.kind {
        case .record:
            let (field, name, duplicate) = record.key(key, in: .rows)
            frames.name(field, key: name)
            if duplicate { try problem(.semantic, RecordInProgress.duplicateKey(field, name: name), at: scalarStart(key.count, string: true)) }
        case .regressionItem:
            guard case let (kind, message, place)? = record.itemKey(key, naming: &frames) else { return }
            if place == .container { return try problem(kind, message, at: top.start, path: currentPath(includeCurrent: false)) }
            try problem(kind, message, at: scalarStart(key.count, string: true))
        case .extra:
            let name = String(decoding: key, as: UTF8.self)
            if record.extraKey(name) {
                try problem(.semantic, RecordInProgress.duplicateKey(.extra, name: name), at: scalarStart(key.count, string: true))
            }
        default:
            return
        }
    }

    func readNumber(_ text: UnsafeBufferPointer<UInt8>) throws {
        if nonFinite.pending > 0, let token = nonFinite.take(at: tokenEnd - text.count) {
            let literal = token.text
            return try scalar(.number, UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        }
        return try scalar(.number, text)
    }
    func readString(_ text: UnsafeBufferPointer<UInt8>) throws {
        if _slowPath(strictText.firstBad != Int.max) { try checkStrictText() }
        return try scalar(.string, text)
    }

    func scalar(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) throws {
        try beginValue(container: false)
        let length: Int
        switch kind {
        case .null, .trueValue: length = 4
        case .falseValue: length = 5
        case .number, .string: length = text.count
        }
        let start = scalarStart(length, string: kind == .string)
        if kind == .string, text.count > limits.maxStringBytes {
            return try problem(.limit, "string of \(text.count) bytes is longer than \(limits.maxStringBytes) (limit maxStringBytes)", at: start)
        }
        if kind == .number, text.count > limits.maxNumberBytes {
            return try problem(.limit, "number of \(text.count) bytes is longer than \(limits.maxNumberBytes) (limit maxNumberBytes)", at: start)
        }
        guard let top = frames.last else {
            return try problem(.schema, "a record of the artifact is a JSON object, found \(kind.described)",
                                   at: start, path: "$[\(lineNumber - 1)]")
        }
        let answer: GrammarAnswer
        switch top.kind {
        case .skip:
            return
        case .record:
            answer = record.rowValue(top.field, key: top.key, kind, text)
        case .idList where top.field == .rowIndexes:
            answer = record.rowIndex(kind, text, keepingBelow: checker == nil ? .max : windowSize ?? .max)
        case .idList:
            answer = record.listID(.categoryIDs, kind, text)
        case .regressionList:
            return try wrongType("a regression item object", found: kind.described, at: start, container: false)
        case .regressionItem:
            answer = record.itemValue(top.field, kind, text)
        case .extra:
            record.addExtra(jsonValue(kind, text))
            return valueDone()
        case .document, .section, .coordList, .coordEntry:
            preconditionFailure("a document's frames are not an artifact line's")
        }
        switch answer {
        case .taken:
            break
        case .names(let target):
            if let checker {
                try referenceProblem(checker.reference(to: target, id: text, site: referenceSite(top), at: location(start)))
            }
        case .wrongType(let expected, let found):
            return try wrongType(expected, found: found, at: start, container: false)
        case .problem(let kind, let message, _):
            return try problem(kind, message, at: start)
        }
        valueDone()
    }

    func endExtra() throws {
        frames.pop()
        record.closeExtra(key: frames[frames.count - 1].key)
        valueDone()
    }

    func endSkip() throws {
        frames[frames.count - 1].count -= 1
        if frames[frames.count - 1].count == 0 {
            frames.pop()
            valueDone()
        }
        return
    }

    func endItem() throws {
        let top = frames[frames.count - 1]
        for message in record.endItem() {
            try problem(.schema, message, at: top.start, path: currentPath(includeCurrent: false))
        }
        frames.pop()
        record.keepItem()
        valueDone()
    }

    func endRecord() throws {
        let top = frames[frames.count - 1]
        if let message = RecordInProgress.missingKeys(Field.required(in: .rows), seen: record.fields.seen) {
            try problem(.schema, message, at: top.start, path: "$[\(lineNumber - 1)]")
        }
        frames.pop()
        guard record.fields.valid else { return }
        try deliver(record.takeRow(), lineNumber - 1)
        delivered += 1
    }

    /// Where a name read in frame `top` stands, for the reference checker.
    private func referenceSite(_ top: Frame) -> ReferenceSite {
        switch top.kind {
        case .idList: ReferenceSite(section: .rows, record: lineNumber - 1, field: top.field, listIndex: top.count)
        case .regressionItem: ReferenceSite(section: .rows, record: lineNumber - 1, field: .regressions,
                                            listIndex: frames[frames.count - 2].count, leaf: top.field)
        default: ReferenceSite(section: .rows, record: lineNumber - 1, field: top.field)
        }
    }
}
