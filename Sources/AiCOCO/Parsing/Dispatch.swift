/// yajl's callbacks: each token goes to the handler for the innermost frame's kind, which
/// checks it against the format and hands it to record assembly, extra values or coordinates.
extension DocumentEngine {
    mutating func startObject() throws(EngineStop) {
        sawEvent = true
        guard let kind = frames.topKind else {
            if outline.documentStarted { return }
            outline.documentStarted = true
            return try push(Frame(kind: .document, start: containerStart()))
        }
        switch kind {
        case .document:
            let frame = frames[frames.count - 1]
            if frame.key != nil { return try skipContainer() }
            if frame.section.isSingleObject {
                return try beginRecord(frame.section)
            }
            return try wrongType("an array", found: "an object", at: containerStart(), container: true)
        case .section:
            return try beginRecord(frames[frames.count - 1].section)
        case .record:
            let frame = frames[frames.count - 1]
            if frame.field == .extra {
                record.extraStack.append(.object([], key: ""))
                return try push(Frame(kind: .extra, field: .extra))
            }
            return try wrongType(expectedType(of: frame.field), found: "an object", at: containerStart(), container: true)
        case .regressionList:
            record.item = ItemScratch()
            return try push(Frame(kind: .regressionItem, start: containerStart()))
        case .coordList:
            return try wrongType("an array of numbers", found: "an object", at: containerStart(), container: true)
        case .skip, .regressionItem, .idList, .coordEntry, .extra:
            return try openAlike(kind, found: "an object", extra: .object([], key: ""), field: .extra)
        }
    }

    mutating func startArray() throws(EngineStop) {
        sawEvent = true
        guard let kind = frames.topKind else {
            if outline.documentStarted { return }
            outline.documentStarted = true
            let start = containerStart()
            try problem(.schema, "an AiCOCO document is a JSON object, found an array", at: start, path: "$")
            return try push(Frame(kind: .skip, count: 1))
        }
        switch kind {
        case .document:
            let frame = frames[frames.count - 1]
            if frame.key != nil { return try skipContainer() }
            if frame.section == .records && outline.recordsForm == .href { return try beginInlineRecords() }
            if frame.section.isSingleObject {
                return try wrongType("an object", found: "an array", at: containerStart(), container: true)
            }
            do {
                try delegate.engineSectionStart(frame.section)
            } catch {
                throw visitorThrew(error)
            }
            return try push(Frame(kind: .section, section: frame.section, start: containerStart()))
        case .section:
            return try wrongType("an object", found: "an array", at: containerStart(), container: true)
        case .record:
            let frame = frames[frames.count - 1]
            switch frame.field {
            case .categoryIDs:
                record.fields.categoryIDs = []
                return try push(Frame(kind: .idList, field: .categoryIDs))
            case .tableIDs:
                record.fields.tableIDs = []
                return try push(Frame(kind: .idList, field: .tableIDs))
            case .rowIndexes:
                record.rowIndexes.removeAll(keepingCapacity: true)
                return try push(Frame(kind: .idList, field: .rowIndexes, start: containerStart()))
            case .regressions:
                record.fields.regressions = []
                return try push(Frame(kind: .regressionList, field: .regressions))
            case .bbox, .segmentation:
                if frame.field == .bbox {
                    record.fields.bboxCount = 0
                    coordinates.kind = .bbox
                } else {
                    record.fields.polygonCount = 0
                    coordinates.kind = .segmentation
                }
                try push(Frame(kind: .coordList, field: frame.field))
                if requestTakeover() { throw .takeOver(.coordinates) }
            case .extra:
                record.extraStack.append(.array([]))
                return try push(Frame(kind: .extra, field: .none))
            default:
                return try wrongType(expectedType(of: frame.field), found: "an array", at: containerStart(), container: true)
            }
        case .coordList:
            try openCoordinateEntry(start: containerStart())
            if requestTakeover() { throw .takeOver(.coordinates) }
        case .regressionList:
            return try wrongType("a regression item object", found: "an array", at: containerStart(), container: true)
        case .skip, .regressionItem, .idList, .coordEntry, .extra:
            return try openAlike(kind, found: "an array", extra: .array([]), field: .none)
        }
    }

    /// An object or an array opening in a frame of `kind` where both are taken alike: inside a
    /// skipped value, of the wrong type, or within an extra field's value (`extra`, in a frame
    /// with `field`).
    private mutating func openAlike(_ kind: FrameKind, found: String, extra: ExtraContainer,
                                    field: Field) throws(EngineStop) {
        switch kind {
        case .skip:
            frames[frames.count - 1].count += 1
            return try checkSkipDepth()
        case .regressionItem:
            let frame = frames[frames.count - 1]
            if frame.key != nil { return try skipContainer() }
            return try wrongType(frame.field == .value ? "a number" : "a string", found: found,
                                 at: containerStart(), container: true)
        case .idList:
            let entry = frames[frames.count - 1].field == .rowIndexes ? "a non-negative integer" : "a string"
            return try wrongType(entry, found: found, at: containerStart(), container: true)
        case .coordEntry:
            return try wrongCoordinate(found, at: containerStart(), container: true)
        case .extra:
            record.fields.cost += 16
            record.extraStack.append(extra)
            return try push(Frame(kind: .extra, field: field))
        default:
            preconditionFailure("a \(kind) frame decides between an object and an array itself")
        }
    }

    /// Notes that a container ends here; the kind of the frame it closes (nil: none is open).
    @inline(__always)
    private mutating func closingKind() -> FrameKind? {
        sawEvent = true
        places.lastValueEnd = tokenEnd()
        return frames.topKind
    }

    mutating func endObject() throws(EngineStop) {
        guard let kind = closingKind() else { return }
        switch kind {
        case .skip:
            return endSkip()
        case .document:
            return try endDocument()
        case .record:
            return try endRecord()
        case .regressionItem:
            return try endRegressionItem()
        case .extra:
            return try endExtra()
        default:
            return
        }
    }

    mutating func endArray() throws(EngineStop) {
        guard let kind = closingKind() else { return }
        switch kind {
        case .coordEntry:
            return try endCoordinateEntry()
        case .skip:
            return endSkip()
        case .section:
            let frame = frames[frames.count - 1]
            pop()
            checker?.sectionCompleted(frame.section)
            do {
                try delegate.engineSectionEnd(frame.section, count: frame.count)
            } catch {
                throw visitorThrew(error)
            }
            valueDone()
            return
        case .idList, .regressionList, .coordList:
            if kind == .idList && frames[frames.count - 1].field == .rowIndexes { return try endRowIndexes() }
            pop()
            valueDone()
            return
        case .extra:
            return try endExtra()
        default:
            return
        }
    }

    mutating func readKey(_ key: UnsafeBufferPointer<UInt8>) throws(EngineStop) {
        sawEvent = true
        if _slowPath(strictText.firstBad != Int.max), strictText.firstBad < tokenEnd() { try checkStrictText() }
        guard let kind = frames.topKind else { return }
        switch kind {
        case .skip:
            return
        case .document:
            if let section = Section.lookup(key) {
                frames[frames.count - 1].section = section
                frames[frames.count - 1].field = .id
                frames[frames.count - 1].key = nil
                if outline.sectionsSeen & (1 << UInt32(section.ordinal)) != 0 {
                    frames[frames.count - 1].key = section.rawValue
                    if section == .records && outline.recordsForm == .recordsFile {
                        return try problem(.semantic, "\"records\" and \"records_file\" both given (a tabular output has one of them)",
                                       at: stringStart(length: key.count), path: currentPath())
                    }
                    return try problem(.semantic, "duplicate key \"\(section.rawValue)\" at the top level",
                                   at: stringStart(length: key.count), path: currentPath())
                }
                outline.sectionsSeen |= 1 << UInt32(section.ordinal)
                outline.keyPlaces[section.ordinal] = stringStart(length: key.count)
                if section == .records { outline.recordsForm = .href }
                return
            }
            if Self.isRecordsFileKey(key) { return try recordsFileKey(key) }
            let name = string(key)
            frames[frames.count - 1].key = name
            return try problem(.schema, "unknown top-level key \(quotedKey(name)) (allowed: \(Section.documentKeys.map(\.rawValue).joined(separator: ", ")))",
                           at: stringStart(length: key.count), path: currentPath())
        case .record:
            let section = frames[frames.count - 1].section
            let (field, name, duplicate) = record.key(key, in: section)
            frames.name(field, key: name)
            if duplicate {
                return try problem(.semantic, RecordInProgress.duplicateKey(field, name: name), at: stringStart(length: key.count),
                                   path: currentPath())
            }
            if let name, options.strict && section == .records {
                return try strictRecordsKey(name, at: stringStart(length: key.count))
            }
            return
        case .regressionItem:
            guard case let (kind, message, place)? = record.itemKey(key, naming: &frames) else { return }
            let depth = frames.count
            if place == .token { return try problem(kind, message, at: stringStart(length: key.count), path: currentPath()) }
            return try problem(kind, message, at: frames[depth - 1].start, path: path(throughFrame: depth, includeCurrent: false))
        case .extra:
            let name = string(key)
            record.fields.cost += key.count
            frames[frames.count - 1].key = name
            if record.extraKey(name) {
                try problem(.semantic, RecordInProgress.duplicateKey(.extra, name: name), at: stringStart(length: key.count),
                            path: currentPath())
            }
            return
        default:
            return
        }
    }

    @inline(__always)
    mutating func readNumber(_ text: UnsafeBufferPointer<UInt8>) throws(EngineStop) {
        if nonFinite.pending > 0, let token = nonFinite.take(at: tokenEnd() - text.count) {
            // The stand-in of a `NaN`, `Infinity` or `-Infinity` (see `NonFiniteRewriter`).
            let literal = token.text
            return try number(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        }
        return try number(text)
    }

    @inline(__always)
    mutating func number(_ text: UnsafeBufferPointer<UInt8>) throws(EngineStop) {
        sawEvent = true
        if frames.topKind == .coordEntry {
            if text.count > options.limits.maxNumberBytes {
                let location = numberStart(length: text.count)
                return try problem(.limit, numberTooLongMessage(text.count), at: location, path: currentPath())
            }
            guard let value = parseJSONNumber(text) else {
                return try numberOutOfRange(text)
            }
            if options.strict {
                try strictInteger(text, value, rule: coordinateRule, at: numberStart(length: text.count))
            }
            return try storeCoordinate(value, text: text)
        }
        return try scalar(.number, text)
    }

    mutating func readString(_ text: UnsafeBufferPointer<UInt8>) throws(EngineStop) {
        sawEvent = true
        if _slowPath(strictText.firstBad != Int.max), strictText.firstBad < tokenEnd() { try checkStrictText() }
        return try scalar(.string, text)
    }

    mutating func readNull() throws(EngineStop) {
        sawEvent = true
        return try scalar(.null, UnsafeBufferPointer(start: nil, count: 0))
    }

    mutating func readBool(_ value: Bool) throws(EngineStop) {
        sawEvent = true
        return try scalar(value ? .trueValue : .falseValue, UnsafeBufferPointer(start: nil, count: 0))
    }



    mutating func scalar(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) throws(EngineStop) {
        places.lastValueEnd = tokenEnd()
        if kind == .string, text.count > options.limits.maxStringBytes {
            return try problem(.limit, "string of \(text.count) bytes is longer than \(options.limits.maxStringBytes) (limit maxStringBytes)",
                           at: scalarStart(kind, length: text.count), path: currentPath())
        }
        if kind == .number, text.count > options.limits.maxNumberBytes {
            return try problem(.limit, "number of \(text.count) bytes is longer than \(options.limits.maxNumberBytes) (limit maxNumberBytes)",
                           at: scalarStart(kind, length: text.count), path: currentPath())
        }
        guard let top = frames.topKind else {
            outline.documentStarted = true
            outline.documentEnded = true
            return try problem(.schema, "an AiCOCO document is a JSON object, found \(kind.described)",
                           at: scalarStart(kind, length: text.count), path: "$")
        }
        switch top {
        case .skip:
            return
        case .document:
            if frames[frames.count - 1].key != nil {
                valueDone()
                return
            }
            let section = frames[frames.count - 1].section
            return try wrongType(section.isSingleObject ? "an object" : "an array", found: kind.described,
                             at: scalarStart(kind, length: text.count), container: false)
        case .section:
            return try wrongType("an object", found: kind.described, at: scalarStart(kind, length: text.count),
                             container: false)
        case .record:
            return try recordField(kind, text)
        case .idList:
            let frame = frames[frames.count - 1]
            let answer = frame.field == .rowIndexes ? record.rowIndex(kind, text, keepingBelow: .max)
                : record.listID(frame.field, kind, text)
            if try settle(answer, kind, text) { try checkRecordSize() }
        case .regressionList:
            return try wrongType("a regression item object", found: kind.described,
                             at: scalarStart(kind, length: text.count), container: false)
        case .regressionItem:
            return try regressionItemField(kind, text)
        case .coordList:
            return try wrongType("an array of numbers", found: kind.described, at: scalarStart(kind, length: text.count),
                             container: false)
        case .coordEntry:
            return try wrongCoordinate(kind.described, at: scalarStart(kind, length: text.count), container: false)
        case .extra:
            record.fields.cost += text.count + 16
            appendExtra(jsonValue(kind, text))
            try checkRecordSize()
        }
    }
}

