/// Record assembly: the fields of the record being read, checked and kept in `record` until
/// its object closes, then handed to the delegate as a typed record (or, for annotations, as
/// their fields after their coordinates).
extension ParserState {
    mutating func recordTooBig() -> Bool {
        if record.cost > options.limits.maxRecordBytes {
            let depth = frames.firstIndex(where: { $0.kind == .record }).map { $0 + 1 } ?? frames.count
            _ = problem(.limit, "record larger than \(options.limits.maxRecordBytes) bytes without its coordinates (limit maxRecordBytes)",
                        at: record.start, path: path(throughFrame: depth, includeCurrent: false))
            return true
        }
        return false
    }


    mutating func beginRecord(_ section: Section) -> Bool {
        record = RecordScratch()
        if section == .rows {
            rowTableID = ""
            rowIndexes = []
        }
        record.start = containerStart()
        if section == .annotations {
            do {
                try delegate.engineAnnotationStart(index: frames[frames.count - 1].count)
            } catch {
                return delegateFailed(error)
            }
        }
        guard push(Frame(kind: .record, section: section, start: record.start)) else { return false }
        return !requestTakeover(.records)
    }

    mutating func numberValue(_ text: UnsafeBufferPointer<UInt8>, at location: SourceLocation) -> Double? {
        if let value = parseJSONNumber(text) { return value }
        _ = problem(.semantic, "number \(quotedToken(text)) does not fit a 64-bit float", at: location, path: currentPath())
        return nil
    }

    mutating func recordField(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let field = frames[frames.count - 1].field
        let section = frames[frames.count - 1].section
        // A value of the wrong type is reported as such, not again as a missing key.
        record.cost += text.count
        switch field {
        case .id, .fileName, .imageID, .objectID, .name, .color, .unit:
            guard kind == .string else { return wrongField(field, kind, text) }
            if section == .annotations && (field == .id || field == .imageID || field == .objectID) {
                // An annotation's ids are kept as `RecordID`s and checked as bytes: no `String`.
                let key = RecordID(bytes: text)
                switch field {
                case .id: record.idKey = key
                case .imageID: record.imageKey = key
                default: record.objectKey = key
                }
                guard let checker else { break }
                let site = ReferenceSite(section: section, record: recordIndex(), field: field)
                let failure = field == .id
                    ? checker.defineAnnotation(id: text, packed: key, site: site, at: stringStart(length: text.count))
                    : checker.reference(to: field == .imageID ? .images : .objects, packed: key, id: text, site: site,
                                        at: { stringStart(length: text.count) })
                if let failure { return delegateFailed(failure) }
                break
            }
            let value = string(text)
            switch field {
            case .id:
                record.id = value
                if section == .rows { break }
                if let checker {
                    let site = ReferenceSite(section: section, record: recordIndex(), field: .id)
                    if let failure = checker.define(section, id: text, site: site, at: stringStart(length: text.count)) { return delegateFailed(failure) }
                }
            case .fileName: record.fileName = value
            case .imageID, .objectID:
                if field == .imageID { record.imageID = value } else { record.objectID = value }
                if let checker {
                    let site = ReferenceSite(section: section, record: recordIndex(), field: field)
                    if let failure = checker.reference(to: field == .imageID ? .images : .objects, id: text, site: site,
                                      at: stringStart(length: text.count)) { return delegateFailed(failure) }
                }
            case .name: record.name = value
            case .color: record.color = value
            default: record.unit = value
            }
        case .supercategoryID, .superregressionID:
            if kind == .null {
                record.superID = nil
            } else if kind == .string {
                let value = string(text)
                record.superID = value
                if let checker {
                    let site = ReferenceSite(section: section, record: recordIndex(), field: field)
                    if let failure = checker.reference(to: field == .supercategoryID ? .categories : .regressions, id: text,
                                      site: site, at: stringStart(length: text.count)) { return delegateFailed(failure) }
                }
            } else {
                return wrongField(field, kind, text)
            }
        case .threshold:
            if kind == .string {
                record.threshold = string(text)
            } else {
                record.extra.append(JSONMember("threshold", jsonValue(kind, text)))
            }
        case .taskType:
            guard kind == .string else { return wrongField(field, kind, text) }
            guard let type = Meta.TaskType(rawValue: string(text)) else {
                return wrongType("one of \"binary\", \"multiclass\", \"multilabel\"", found: quotedKey(string(text)),
                                 at: scalarStart(kind, length: text.count), container: false)
            }
            record.taskType = type
        case .index, .confidence:
            guard kind == .number else { return wrongField(field, kind, text) }
            guard let value = numberValue(text, at: scalarStart(kind, length: text.count)) else { break }
            if field == .index && options.strict {
                guard strictInteger(text, value, rule: "AiImage.index", at: scalarStart(kind, length: text.count))
                else { return false }
            }
            if field == .index, section == .images, !options.allowsRepeatedImageIndexes, let checker {
                let site = ReferenceSite(section: section, record: recordIndex(), field: .index)
                do {
                    try checker.imageIndexes.add(value, site: site, at: scalarStart(kind, length: text.count), checker: checker)
                } catch {
                    return delegateFailed(ReferenceChecker.ioError(error))
                }
            }
            if field == .index {
                record.index = value
                indexText = numberText(text, value)
            } else {
                record.confidence = value
                confidenceText = numberText(text, value)
            }
        case .iscrowd:
            guard kind == .number else { return wrongField(field, kind, text) }
            let location = scalarStart(kind, length: text.count)
            guard let value = numberValue(text, at: location) else { break }
            guard value == 0 || value == 1 else {
                return wrongType("0 or 1", found: quotedToken(text), at: location, container: false)
            }
            if options.validate, text.contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }) {
                guard problem(.semantic, "iscrowd must be written as the integer 0 or 1, found \(quotedToken(text))",
                              at: location, path: currentPath()) else { return false }
            }
            record.iscrowd = Int(value)
        case .categoryIDs:
            guard kind == .null else { return wrongField(field, kind, text) }
            record.categoryIDs = nil
        case .regressions:
            guard kind == .null else { return wrongField(field, kind, text) }
            record.regressions = nil
        case .bbox:
            guard kind == .null else { return wrongField(field, kind, text) }
            record.bboxCount = nil
        case .segmentation:
            guard kind == .null else { return wrongField(field, kind, text) }
            record.polygonCount = nil
        case .extra:
            record.cost += 16
            if let key = frames[frames.count - 1].key {
                record.extra.append(JSONMember(key, jsonValue(kind, text)))
            }
        case .tableIDs:
            guard kind == .null else { return wrongField(field, kind, text) }
            record.tableIDs = nil
        case .tableID:
            guard tableIDField(kind, text) else { return false }
        case .format, .href, .path:
            if field != .format && (field == .path) != (recordsForm == .recordsFile) {
                // `path` in `records` or `href` in `records_file`: a field the form does not name.
                record.extra.append(JSONMember(field.jsonKey, jsonValue(kind, text)))
                break
            }
            guard kind == .string else { return wrongField(field, kind, text) }
            let value = string(text)
            if field == .href || field == .path {
                // The artifact is opened by the last component of href (or path): a NUL would
                // cut the name the system sees, a backslash or "." / ".." would name another file.
                let name = value.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
                if value.utf8.contains(0) || name.isEmpty || name == "." || name == ".." || name.contains("\\") {
                    return wrongType("a path ending in an artifact file name (no NUL, no backslash, not empty, . or ..)",
                                     found: jsonQuoted(value), at: scalarStart(kind, length: text.count), container: false)
                }
                record.href = value
            } else if value == "jsonl" {
                record.format = value
            } else {
                return wrongType("\"jsonl\" (the only records format)", found: jsonQuoted(value),
                                 at: scalarStart(kind, length: text.count), container: false)
            }
        case .windowSize, .rows, .bytes:
            guard kind == .number, let value = TabularLineParser.nonNegativeInteger(text),
                  field != .windowSize || value > 0 else {
                return wrongType(expectedType(of: field), found: kind == .number ? string(text) : kind.described,
                                 at: scalarStart(kind, length: text.count), container: false)
            }
            switch field {
            case .windowSize: record.windowSize = value
            case .rows: record.rows = value
            default: record.bytes = value
            }
        case .rowIndexes:
            return wrongField(field, kind, text)
        case .none, .regressionID, .value:
            break
        }
        valueDone()
        return !recordTooBig()
    }

    mutating func regressionItemField(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let frame = frames[frames.count - 1]
        let location = scalarStart(kind, length: text.count)
        switch frame.field {
        case .regressionID:
            guard kind == .string else {
                item.valid = false
                return wrongType("a string", found: kind.described, at: location, container: false)
            }
            item.regressionID = string(text)
            record.cost += text.count + 16
            if let checker {
                let site = ReferenceSite(section: frames[frames.count - 3].section, record: recordIndex(),
                                         field: .regressions, listIndex: frames[frames.count - 2].count,
                                         leaf: .regressionID)
                if let failure = checker.reference(to: .regressions, id: item.regressionID, site: site, at: location) { return delegateFailed(failure) }
            }
        case .value:
            guard kind == .number else {
                item.valid = false
                return wrongType("a number", found: kind.described, at: location, container: false)
            }
            if let value = numberValue(text, at: location) {
                item.value = value
                item.text = numberText(text, value)
            } else {
                item.valid = false
            }
        default:
            break
        }
        valueDone()
        return true
    }

    mutating func endRegressionItem() -> Bool {
        let depth = frames.count
        let start = frames[depth - 1].start
        for field in [Field.regressionID, .value] where item.seen & field.bit == 0 {
            item.valid = false
            guard problem(.schema, "missing required key \"\(field.jsonKey)\" in a regression item", at: start,
                          path: path(throughFrame: depth, includeCurrent: false)) else { return false }
        }
        pop()
        if item.valid {
            record.regressions?.append(RegressionItem(regressionID: item.regressionID, value: item.value,
                                                        valueText: item.text))
        }
        valueDone()
        return true
    }

    mutating func endRecord() -> Bool {
        let depth = frames.count
        let frame = frames[depth - 1]
        let section = frame.section
        var required = Field.required(in: section)
        if section == .records && recordsForm == .recordsFile { required = [.format, .path, .rows, .bytes] }
        if section == .meta {
            // A tabular output's meta has `window_size` instead of the labels; which kind the
            // document is shows in its keys so far (checked again at its end).
            let tabular = sectionsSeen & (1 << UInt32(Section.records.ordinal)) != 0
                || (sectionsSeen & (1 << UInt32(Section.tables.ordinal)) != 0
                    && sectionsSeen & (1 << UInt32(Section.images.ordinal)) == 0)
            if record.seen & Field.windowSize.bit != 0 || tabular { required = [.windowSize] }
            metaSeen = (record.start, record.seen, required == [.windowSize])
        }
        let missing = required.reduce(0) { $0 | $1.bit } & ~record.seen
        if missing != 0 {
            let names = required.filter { missing & $0.bit != 0 }.map { "\"\($0.jsonKey)\"" }
            let message = names.count == 1 ? "missing required key \(names[0])"
                : "missing required keys \(names.joined(separator: ", "))"
            guard problem(.schema, message, at: record.start, path: path(throughFrame: depth, includeCurrent: false))
            else { return false }
        }
        pop()
        let index = section.isSingleObject ? 0 : frames[frames.count - 1].count
        do {
            if !record.valid {
                if section == .annotations { try delegate.engineAnnotationDropped(index: index) }
            } else {
                try emit(section, index: index)
            }
        } catch {
            return delegateFailed(error)
        }
        valueDone()
        return true
    }

    mutating func emit(_ section: Section, index: Int) throws {
        if section == .annotations {
            // No string to move out: the next record's start clears the scratch.
            try delegate.engineAnnotationEnd(
                AnnotationFields(idKey: record.idKey, imageKey: record.imageKey, objectKey: record.objectKey,
                                 iscrowd: record.iscrowd, bboxCount: record.bboxCount,
                                 polygonCount: record.polygonCount, extra: record.extra),
                index: index)
            return
        }
        // Move the fields out rather than copy them (a copy retains every string).
        var r = RecordScratch()
        swap(&r, &record)
        switch section {
        case .annotations:
            break
        case .images:
            var image = Image(id: r.id, fileName: r.fileName, index: r.index, categoryIDs: r.categoryIDs,
                                regressions: r.regressions, extra: r.extra)
            image.indexText = indexText
            indexText = nil
            try delegate.engineRecord(.image(image), index: index)
        case .categories:
            try delegate.engineRecord(
                .category(Category(id: r.id, name: r.name, supercategoryID: r.superID, color: r.color,
                                     extra: r.extra)), index: index)
        case .regressions:
            try delegate.engineRecord(
                .regression(Regression(id: r.id, name: r.name, superregressionID: r.superID, unit: r.unit,
                                         threshold: r.threshold, extra: r.extra)), index: index)
        case .objects:
            var object = Object(id: r.id, categoryIDs: r.categoryIDs, regressions: r.regressions,
                                  confidence: r.confidence, extra: r.extra)
            if r.confidence != nil { object.confidenceText = confidenceText }
            confidenceText = nil
            try delegate.engineRecord(.object(object), index: index)
        case .meta:
            var meta = Meta(categoryIDs: r.categoryIDs, regressions: r.regressions, taskType: r.taskType,
                              tableIDs: r.tableIDs, extra: r.extra)
            meta.windowSize = r.windowSize
            meta.keys = []
            if r.seen & Field.categoryIDs.bit != 0 { meta.keys.insert(.categoryIDs) }
            if r.seen & Field.regressions.bit != 0 { meta.keys.insert(.regressions) }
            if r.seen & Field.tableIDs.bit != 0 { meta.keys.insert(.tableIDs) }
            windowSize = r.windowSize
            try delegate.engineRecord(.meta(meta), index: 0)
        case .tables:
            try delegate.engineRecord(.table(Table(id: r.id, fileName: r.fileName, extra: r.extra)), index: index)
        case .records:
            let reference = RecordsReference(format: r.format, href: r.href, rows: r.rows, bytes: r.bytes,
                                               extra: r.extra, form: recordsForm == .recordsFile ? .recordsFile : .href)
            recordsReference = reference
            try delegate.engineRecord(.recordsReference(reference), index: 0)
        case .rows:
            try delegate.engineRecord(
                .tabularRecord(TabularRecord(id: r.id, tableID: rowTableID, rowIndexes: rowIndexes,
                                               categoryIDs: r.categoryIDs, regressions: r.regressions,
                                               extra: r.extra)), index: index)
        }
    }

    mutating func endDocument() -> Bool {
        let start = frames[0].start
        pop()
        documentEnded = true
        guard checkRowCounts() else { return false }
        return checkKind(documentStart: start)
    }

    mutating func wrongField(_ field: Field, _ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let location = scalarStart(kind, length: text.count)
        return wrongType(expectedType(of: field), found: kind.described, at: location, container: false)
    }
}
