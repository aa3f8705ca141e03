/// yajl's callbacks: each token goes to the handler for the innermost frame's kind, which
/// checks it against the format and hands it to record assembly, extra values or coordinates.
extension ParserState: YajlHandler {
    mutating func onStartObject() -> Bool {
        sawEvent = true
        guard let kind = topKind else {
            if documentStarted { return true }
            documentStarted = true
            return push(Frame(kind: .document, start: containerStart()))
        }
        switch kind {
        case .skip:
            frames[frames.count - 1].count += 1
            return skipDepthAllowed()
        case .document:
            let frame = frames[frames.count - 1]
            if frame.key != nil { return skipContainer() }
            if frame.section.isSingleObject {
                return beginRecord(frame.section)
            }
            return wrongType("an array", found: "an object", at: containerStart(), container: true)
        case .section:
            return beginRecord(frames[frames.count - 1].section)
        case .record:
            let frame = frames[frames.count - 1]
            if frame.field == .extra {
                extraStack.append(.object([], key: ""))
                return push(Frame(kind: .extra, field: .extra))
            }
            return wrongType(expectedType(of: frame.field), found: "an object", at: containerStart(), container: true)
        case .regressionList:
            item = ItemScratch()
            return push(Frame(kind: .regressionItem, start: containerStart()))
        case .regressionItem:
            let frame = frames[frames.count - 1]
            if frame.key != nil { return skipContainer() }
            return wrongType(frame.field == .value ? "a number" : "a string", found: "an object",
                             at: containerStart(), container: true)
        case .idList:
            return wrongType("a string", found: "an object", at: containerStart(), container: true)
        case .coordList:
            return wrongType("an array of numbers", found: "an object", at: containerStart(), container: true)
        case .coordEntry:
            return wrongCoordinate("an object", at: containerStart(), container: true)
        case .extra:
            record.cost += 16
            extraStack.append(.object([], key: ""))
            return push(Frame(kind: .extra, field: .extra))
        }
    }

    mutating func onStartArray() -> Bool {
        sawEvent = true
        guard let kind = topKind else {
            if documentStarted { return true }
            documentStarted = true
            let start = containerStart()
            guard problem(.schema, "an AiCOCO document is a JSON object, found an array", at: start, path: "$")
            else { return false }
            return push(Frame(kind: .skip, count: 1))
        }
        switch kind {
        case .skip:
            frames[frames.count - 1].count += 1
            return skipDepthAllowed()
        case .document:
            let frame = frames[frames.count - 1]
            if frame.key != nil { return skipContainer() }
            if frame.section == .records && recordsForm == .href { return beginInlineRecords() }
            if frame.section.isSingleObject {
                return wrongType("an object", found: "an array", at: containerStart(), container: true)
            }
            do {
                try delegate.engineSectionStart(frame.section)
            } catch {
                return delegateFailed(error)
            }
            return push(Frame(kind: .section, section: frame.section, start: containerStart()))
        case .section:
            return wrongType("an object", found: "an array", at: containerStart(), container: true)
        case .record:
            let frame = frames[frames.count - 1]
            switch frame.field {
            case .categoryIDs:
                record.categoryIDs = []
                return push(Frame(kind: .idList, field: .categoryIDs))
            case .tableIDs:
                record.tableIDs = []
                return push(Frame(kind: .idList, field: .tableIDs))
            case .rowIndexes:
                rowIndexes.removeAll(keepingCapacity: true)
                return push(Frame(kind: .idList, field: .rowIndexes, start: containerStart()))
            case .regressions:
                record.regressions = []
                return push(Frame(kind: .regressionList, field: .regressions))
            case .bbox, .segmentation:
                if frame.field == .bbox {
                    record.bboxCount = 0
                    coordinateKind = .bbox
                } else {
                    record.polygonCount = 0
                    coordinateKind = .segmentation
                }
                guard push(Frame(kind: .coordList, field: frame.field)) else { return false }
                return !requestTakeover(.coordinates)
            case .extra:
                extraStack.append(.array([]))
                return push(Frame(kind: .extra, field: .none))
            default:
                return wrongType(expectedType(of: frame.field), found: "an array", at: containerStart(), container: true)
            }
        case .coordList:
            guard openCoordinateEntry(start: containerStart()) else { return false }
            return !requestTakeover(.coordinates)
        case .coordEntry:
            return wrongCoordinate("an array", at: containerStart(), container: true)
        case .idList:
            return wrongType("a string", found: "an array", at: containerStart(), container: true)
        case .regressionList:
            return wrongType("a regression item object", found: "an array", at: containerStart(), container: true)
        case .regressionItem:
            let frame = frames[frames.count - 1]
            if frame.key != nil { return skipContainer() }
            return wrongType(frame.field == .value ? "a number" : "a string", found: "an array",
                             at: containerStart(), container: true)
        case .extra:
            record.cost += 16
            extraStack.append(.array([]))
            return push(Frame(kind: .extra, field: .none))
        }
    }

    mutating func onEndObject() -> Bool {
        sawEvent = true
        lastValueEnd = tokenEnd()
        guard let kind = topKind else { return true }
        switch kind {
        case .skip:
            return endSkip()
        case .document:
            return endDocument()
        case .record:
            return endRecord()
        case .regressionItem:
            return endRegressionItem()
        case .extra:
            return endExtra()
        default:
            return true
        }
    }

    mutating func onEndArray() -> Bool {
        sawEvent = true
        lastValueEnd = tokenEnd()
        guard let kind = topKind else { return true }
        switch kind {
        case .coordEntry:
            return endCoordinateEntry()
        case .skip:
            return endSkip()
        case .section:
            let frame = frames[frames.count - 1]
            pop()
            checker?.sectionCompleted(frame.section)
            do {
                try delegate.engineSectionEnd(frame.section, count: frame.count)
            } catch {
                return delegateFailed(error)
            }
            valueDone()
            return true
        case .idList, .regressionList, .coordList:
            if kind == .idList && frames[frames.count - 1].field == .rowIndexes { return endRowIndexes() }
            pop()
            valueDone()
            return true
        case .extra:
            return endExtra()
        default:
            return true
        }
    }

    mutating func onKey(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        sawEvent = true
        if _slowPath(strictText.firstBad != Int.max), strictText.firstBad < tokenEnd(), strictTextFailed() { return false }
        guard let kind = topKind else { return true }
        switch kind {
        case .skip:
            return true
        case .document:
            if let section = Section.lookup(key) {
                frames[frames.count - 1].section = section
                frames[frames.count - 1].field = .id
                frames[frames.count - 1].key = nil
                if sectionsSeen & (1 << UInt32(section.ordinal)) != 0 {
                    frames[frames.count - 1].key = section.rawValue
                    if section == .records && recordsForm == .recordsFile {
                        return problem(.semantic, "\"records\" and \"records_file\" both given (a tabular output has one of them)",
                                       at: stringStart(length: key.count), path: currentPath())
                    }
                    return problem(.semantic, "duplicate key \"\(section.rawValue)\" at the top level",
                                   at: stringStart(length: key.count), path: currentPath())
                }
                sectionsSeen |= 1 << UInt32(section.ordinal)
                keyPlaces[section.ordinal] = stringStart(length: key.count)
                if section == .records { recordsForm = .href }
                return true
            }
            if Self.isRecordsFileKey(key) { return recordsFileKey(key) }
            let name = string(key)
            frames[frames.count - 1].key = name
            return problem(.schema, "unknown top-level key \(quotedKey(name)) (allowed: \(Section.documentKeys.map(\.rawValue).joined(separator: ", ")))",
                           at: stringStart(length: key.count), path: currentPath())
        case .record:
            let section = frames[frames.count - 1].section
            let field = Field.lookup(key, in: section)
            frames[frames.count - 1].field = field
            if field == .extra {
                let name = string(key)
                frames[frames.count - 1].key = name
                record.cost += key.count
                if record.extra.contains(where: { $0.key == name }) {
                    return problem(.semantic, "duplicate key \(quotedKey(name))", at: stringStart(length: key.count),
                                   path: currentPath())
                }
                if options.strict && section == .records {
                    return strictRecordsKey(name, at: stringStart(length: key.count))
                }
                return true
            }
            frames[frames.count - 1].key = nil
            if record.seen & field.bit != 0 {
                return problem(.semantic, "duplicate key \"\(field.jsonKey)\"", at: stringStart(length: key.count),
                               path: currentPath())
            }
            record.seen |= field.bit
            return true
        case .regressionItem:
            let field = Field.lookupRegressionItemKey(key)
            frames[frames.count - 1].field = field
            if field == .extra {
                let name = string(key)
                frames[frames.count - 1].key = name
                item.valid = false
                let depth = frames.count
                return problem(.schema, "a regression item has only regression_id and value, found key \(quotedKey(name))",
                               at: frames[depth - 1].start, path: path(throughFrame: depth, includeCurrent: false))
            }
            frames[frames.count - 1].key = nil
            if item.seen & field.bit != 0 {
                item.valid = false
                return problem(.semantic, "duplicate key \"\(field.jsonKey)\"", at: stringStart(length: key.count),
                               path: currentPath())
            }
            item.seen |= field.bit
            return true
        case .extra:
            let name = string(key)
            record.cost += key.count
            frames[frames.count - 1].key = name
            if case .object(let members, _) = extraStack[extraStack.count - 1] {
                if members.contains(where: { $0.key == name }) {
                    guard problem(.semantic, "duplicate key \(quotedKey(name))", at: stringStart(length: key.count),
                                  path: currentPath()) else { return false }
                }
                extraStack[extraStack.count - 1] = .object(members, key: name)
            }
            return true
        default:
            return true
        }
    }

    @inline(__always)
    mutating func onNumber(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        if nonFinite.pending > 0, let token = nonFinite.take(at: tokenEnd() - text.count) {
            // The stand-in of a `NaN`, `Infinity` or `-Infinity` (see `NonFiniteRewriter`).
            let literal = token.text
            return number(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        }
        return number(text)
    }

    @inline(__always)
    mutating func number(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        sawEvent = true
        if topKind == .coordEntry {
            if text.count > options.limits.maxNumberBytes {
                let location = numberStart(length: text.count)
                return problem(.limit, numberTooLongMessage(text.count), at: location, path: currentPath())
            }
            guard let value = parseJSONNumber(text) else {
                return numberOutOfRange(text)
            }
            if options.strict {
                guard strictInteger(text, value, rule: coordinateRule, at: numberStart(length: text.count)) else { return false }
            }
            return storeCoordinate(value)
        }
        return onScalar(.number, text)
    }

    mutating func onString(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        sawEvent = true
        if _slowPath(strictText.firstBad != Int.max), strictText.firstBad < tokenEnd(), strictTextFailed() { return false }
        return onScalar(.string, text)
    }

    mutating func onNull() -> Bool {
        sawEvent = true
        return onScalar(.null, UnsafeBufferPointer(start: nil, count: 0))
    }

    mutating func onBool(_ value: Bool) -> Bool {
        sawEvent = true
        return onScalar(value ? .trueValue : .falseValue, UnsafeBufferPointer(start: nil, count: 0))
    }



    mutating func onScalar(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        lastValueEnd = tokenEnd()
        if kind == .string, text.count > options.limits.maxStringBytes {
            return problem(.limit, "string of \(text.count) bytes is longer than \(options.limits.maxStringBytes) (limit maxStringBytes)",
                           at: scalarStart(kind, length: text.count), path: currentPath())
        }
        if kind == .number, text.count > options.limits.maxNumberBytes {
            return problem(.limit, "number of \(text.count) bytes is longer than \(options.limits.maxNumberBytes) (limit maxNumberBytes)",
                           at: scalarStart(kind, length: text.count), path: currentPath())
        }
        guard let top = topKind else {
            documentStarted = true
            documentEnded = true
            return problem(.schema, "an AiCOCO document is a JSON object, found \(kind.described)",
                           at: scalarStart(kind, length: text.count), path: "$")
        }
        switch top {
        case .skip:
            return true
        case .document:
            if frames[frames.count - 1].key != nil {
                valueDone()
                return true
            }
            let section = frames[frames.count - 1].section
            return wrongType(section.isSingleObject ? "an object" : "an array", found: kind.described,
                             at: scalarStart(kind, length: text.count), container: false)
        case .section:
            return wrongType("an object", found: kind.described, at: scalarStart(kind, length: text.count),
                             container: false)
        case .record:
            return recordField(kind, text)
        case .idList:
            guard kind == .string else {
                if frames[frames.count - 1].field == .rowIndexes { return rowIndex(kind, text) }
                return wrongType("a string", found: kind.described, at: scalarStart(kind, length: text.count),
                                 container: false)
            }
            if frames[frames.count - 1].field == .rowIndexes { return rowIndex(kind, text) }
            let id = string(text)
            record.cost += text.count + 16
            let field = frames[frames.count - 1].field
            if let checker {
                let site = ReferenceSite(section: frames[frames.count - 2].section, record: recordIndex(),
                                         field: field, listIndex: frames[frames.count - 1].count)
                if let failure = checker.reference(to: field == .tableIDs ? .tables : .categories, id: id, site: site,
                                                   at: stringStart(length: text.count)) { return delegateFailed(failure) }
            }
            if field == .tableIDs { record.tableIDs?.append(id) } else { record.categoryIDs?.append(id) }
            valueDone()
            return !recordTooBig()
        case .regressionList:
            return wrongType("a regression item object", found: kind.described,
                             at: scalarStart(kind, length: text.count), container: false)
        case .regressionItem:
            return regressionItemField(kind, text)
        case .coordList:
            return wrongType("an array of numbers", found: kind.described, at: scalarStart(kind, length: text.count),
                             container: false)
        case .coordEntry:
            return wrongCoordinate(kind.described, at: scalarStart(kind, length: text.count), container: false)
        case .extra:
            record.cost += text.count + 16
            appendExtra(jsonValue(kind, text))
            return !recordTooBig()
        }
    }
}

