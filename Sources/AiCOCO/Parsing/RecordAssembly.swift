/// Record assembly: the fields of the record being read, checked and kept in `record` until
/// its object closes, then handed to the delegate as a typed record (or, for annotations, as
/// their fields after their coordinates).
extension DocumentEngine {
    mutating func checkRecordSize() throws(EngineStop) {
        if record.fields.cost > options.limits.maxRecordBytes {
            let depth = frames.all.firstIndex(where: { $0.kind == .record }).map { $0 + 1 } ?? frames.count
            try problem(.limit, "record larger than \(options.limits.maxRecordBytes) bytes without its coordinates (limit maxRecordBytes)",
                        at: record.fields.start, path: path(throughFrame: depth, includeCurrent: false))
        }
    }

    mutating func beginRecord(_ section: Section) throws(EngineStop) {
        record.begin(section, at: containerStart())
        if section == .annotations {
            do {
                try delegate.engineAnnotationStart(index: frames[frames.count - 1].count)
            } catch {
                throw visitorThrew(error)
            }
        }
        try push(Frame(kind: .record, section: section, start: record.fields.start))
        if requestTakeover() { throw .takeOver(.records) }
    }

    mutating func numberValue(_ text: UnsafeBufferPointer<UInt8>, at location: SourceLocation) throws(EngineStop) -> Double? {
        if let value = parseJSONNumber(text) { return value }
        try problem(.semantic, unrepresentableMessage(text), at: location, path: currentPath())
        return nil
    }

    mutating func recordField(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) throws(EngineStop) {
        let field = frames[frames.count - 1].field
        let section = frames[frames.count - 1].section
        if section == .rows {
            // An inline tabular record: the record grammar's, as for a line of an artifact.
            if try settle(record.rowValue(field, key: frames[frames.count - 1].key, kind, text), kind, text) {
                try checkRecordSize()
            }
            return
        }
        // A value of the wrong type is reported as such, not again as a missing key.
        record.fields.cost += text.count
        switch field {
        case .id, .fileName, .imageID, .objectID, .name, .color, .unit:
            guard kind == .string else { return try wrongField(field, kind, text) }
            if section == .annotations && (field == .id || field == .imageID || field == .objectID) {
                // An annotation's ids are kept as `RecordID`s and checked as bytes: no `String`.
                let key = RecordID(bytes: text)
                switch field {
                case .id: record.fields.idKey = key
                case .imageID: record.fields.imageKey = key
                default: record.fields.objectKey = key
                }
                guard let checker else { break }
                let site = ReferenceSite(section: section, record: recordIndex(), field: field)
                let failure = field == .id
                    ? checker.defineAnnotation(id: text, packed: key, site: site, at: stringStart(length: text.count))
                    : checker.reference(to: field == .imageID ? .images : .objects, packed: key, id: text, site: site,
                                        at: { stringStart(length: text.count) })
                if let failure { throw visitorThrew(failure) }
                break
            }
            let value = string(text)
            switch field {
            case .id:
                record.fields.id = value
                if section == .rows { break }
                if let checker {
                    let site = ReferenceSite(section: section, record: recordIndex(), field: .id)
                    if let failure = checker.define(section, id: text, site: site, at: stringStart(length: text.count)) { throw visitorThrew(failure) }
                }
            case .fileName: record.fields.fileName = value
            case .imageID, .objectID:
                if field == .imageID { record.fields.imageID = value } else { record.fields.objectID = value }
                if let checker {
                    let site = ReferenceSite(section: section, record: recordIndex(), field: field)
                    if let failure = checker.reference(to: field == .imageID ? .images : .objects, id: text, site: site,
                                      at: stringStart(length: text.count)) { throw visitorThrew(failure) }
                }
            case .name: record.fields.name = value
            case .color: record.fields.color = value
            default: record.fields.unit = value
            }
        case .supercategoryID, .superregressionID:
            if kind == .null {
                record.fields.superID = nil
            } else if kind == .string {
                let value = string(text)
                record.fields.superID = value
                if let checker {
                    let site = ReferenceSite(section: section, record: recordIndex(), field: field)
                    if let failure = checker.reference(to: field == .supercategoryID ? .categories : .regressions, id: text,
                                      site: site, at: stringStart(length: text.count)) { throw visitorThrew(failure) }
                }
            } else {
                return try wrongField(field, kind, text)
            }
        case .threshold:
            if kind == .string {
                record.fields.threshold = string(text)
            } else {
                record.fields.extra.append(JSONMember("threshold", jsonValue(kind, text)))
            }
        case .taskType:
            guard kind == .string else { return try wrongField(field, kind, text) }
            guard let type = Meta.TaskType(rawValue: string(text)) else {
                return try wrongType("one of \"binary\", \"multiclass\", \"multilabel\"", found: quotedKey(string(text)),
                                 at: scalarStart(kind, length: text.count), container: false)
            }
            record.fields.taskType = type
        case .index, .confidence:
            guard kind == .number else { return try wrongField(field, kind, text) }
            guard let value = try numberValue(text, at: scalarStart(kind, length: text.count)) else { break }
            if field == .index && options.strict {
                try strictInteger(text, value, rule: "AiImage.index", at: scalarStart(kind, length: text.count))
            }
            if field == .index, section == .images, !options.allowsRepeatedImageIndexes, let checker {
                let site = ReferenceSite(section: section, record: recordIndex(), field: .index)
                do {
                    try checker.imageIndexes.add(value, site: site, at: scalarStart(kind, length: text.count), checker: checker)
                } catch {
                    throw visitorThrew(ReferenceChecker.ioError(error))
                }
            }
            if field == .index {
                record.fields.index = value
                record.indexText = numberText(text, value)
            } else {
                record.fields.confidence = value
                record.confidenceText = numberText(text, value)
            }
        case .iscrowd:
            guard kind == .number else { return try wrongField(field, kind, text) }
            let location = scalarStart(kind, length: text.count)
            guard let value = try numberValue(text, at: location) else { break }
            guard value == 0 || value == 1 else {
                return try wrongType("0 or 1", found: quotedToken(text), at: location, container: false)
            }
            if options.validate, text.first == UInt8(ascii: "-") || text.contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }) {
                try problem(.semantic, "iscrowd must be written as the integer 0 or 1, found \(quotedToken(text))",
                              at: location, path: currentPath())
            }
            record.fields.iscrowd = Int(value)
        case .categoryIDs, .regressions, .bbox, .segmentation:
            // Lists: as a scalar, only null.
            guard kind == .null else { return try wrongField(field, kind, text) }
            switch field {
            case .categoryIDs: record.fields.categoryIDs = nil
            case .regressions: record.fields.regressions = nil
            case .bbox: record.fields.bboxCount = nil
            default: record.fields.polygonCount = nil
            }
        case .extra:
            record.fields.cost += 16
            if let key = frames[frames.count - 1].key {
                record.fields.extra.append(JSONMember(key, jsonValue(kind, text)))
            }
        case .tableIDs:
            guard kind == .null else { return try wrongField(field, kind, text) }
            record.fields.tableIDs = nil
        case .format, .href, .path:
            if field != .format && (field == .path) != (outline.recordsForm == .recordsFile) {
                // `path` in `records` or `href` in `records_file`: a field the form does not name.
                record.fields.extra.append(JSONMember(field.jsonKey, jsonValue(kind, text)))
                break
            }
            guard kind == .string else { return try wrongField(field, kind, text) }
            let value = string(text)
            if field == .href || field == .path {
                // The artifact is opened by the last component of href (or path): a NUL would
                // cut the name the system sees, a backslash or "." / ".." would name another file.
                let name = value.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
                if value.utf8.contains(0) || name.isEmpty || name == "." || name == ".." || name.contains("\\") {
                    return try wrongType("a path ending in an artifact file name (no NUL, no backslash, not empty, . or ..)",
                                     found: jsonQuoted(value), at: scalarStart(kind, length: text.count), container: false)
                }
                record.fields.href = value
            } else if value == "jsonl" {
                record.fields.format = value
            } else {
                return try wrongType("\"jsonl\" (the only records format)", found: jsonQuoted(value),
                                 at: scalarStart(kind, length: text.count), container: false)
            }
        case .windowSize, .rows, .bytes:
            guard kind == .number, let value = RecordInProgress.nonNegativeInteger(text),
                  field != .windowSize || value > 0 else {
                return try wrongType(expectedType(of: field), found: kind == .number ? string(text) : kind.described,
                                 at: scalarStart(kind, length: text.count), container: false)
            }
            switch field {
            case .windowSize: record.fields.windowSize = value
            case .rows: record.fields.rows = value
            default: record.fields.bytes = value
            }
        case .none, .regressionID, .value, .tableID, .rowIndexes:
            break
        }
        valueDone()
        try checkRecordSize()
    }

    /// Acts on the record grammar's answer for the scalar just read: a name is checked against
    /// its section, a wrong type reported and passed over, a problem reported at the scalar;
    /// the value is then done. True when it was taken.
    mutating func settle(_ answer: GrammarAnswer, _ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) throws(EngineStop) -> Bool {
        switch answer {
        case .taken:
            break
        case .names(let target):
            if let checker, let failure = checker.reference(to: target, id: text, site: referenceSite(),
                                                            at: stringStart(length: text.count)) {
                throw visitorThrew(failure)
            }
        case .wrongType(let expected, let found):
            try wrongType(expected, found: found, at: scalarStart(kind, length: text.count), container: false)
            return false
        case .problem(let problemKind, let message, _):
            try problem(problemKind, message, at: scalarStart(kind, length: text.count), path: currentPath())
            valueDone()
            return false
        }
        valueDone()
        return true
    }

    /// Where a name read in the innermost frame stands, for the reference checker.
    func referenceSite() -> ReferenceSite {
        let frame = frames[frames.count - 1]
        switch frame.kind {
        case .idList:
            return ReferenceSite(section: frames[frames.count - 2].section, record: recordIndex(), field: frame.field,
                                 listIndex: frame.count)
        case .regressionItem:
            return ReferenceSite(section: frames[frames.count - 3].section, record: recordIndex(), field: .regressions,
                                 listIndex: frames[frames.count - 2].count, leaf: frame.field)
        default:
            return ReferenceSite(section: frame.section, record: recordIndex(), field: frame.field)
        }
    }

    mutating func regressionItemField(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) throws(EngineStop) {
        _ = try settle(record.itemValue(frames[frames.count - 1].field, kind, text), kind, text)
    }

    mutating func endRegressionItem() throws(EngineStop) {
        let depth = frames.count
        let start = frames[depth - 1].start
        for message in record.endItem() {
            try problem(.schema, message, at: start, path: path(throughFrame: depth, includeCurrent: false))
        }
        pop()
        record.keepItem()
        valueDone()
    }

    mutating func endRecord() throws(EngineStop) {
        let depth = frames.count
        let frame = frames[depth - 1]
        let section = frame.section
        var required = Field.required(in: section)
        if section == .records && outline.recordsForm == .recordsFile { required = [.format, .path, .rows, .bytes] }
        if section == .meta {
            // A tabular output's meta has `window_size` instead of the labels; which kind the
            // document is shows in its keys so far (checked again at its end).
            let tabular = outline.sectionsSeen & (1 << UInt32(Section.records.ordinal)) != 0
                || (outline.sectionsSeen & (1 << UInt32(Section.tables.ordinal)) != 0
                    && outline.sectionsSeen & (1 << UInt32(Section.images.ordinal)) == 0)
            if record.fields.seen & Field.windowSize.bit != 0 || tabular { required = [.windowSize] }
            outline.metaSeen = (record.fields.start, record.fields.seen, required == [.windowSize])
        }
        if let message = RecordInProgress.missingKeys(required, seen: record.fields.seen) {
            try problem(.schema, message, at: record.fields.start, path: path(throughFrame: depth, includeCurrent: false))
        }
        pop()
        let index = section.isSingleObject ? 0 : frames[frames.count - 1].count
        do {
            if !record.fields.valid {
                if section == .annotations { try delegate.engineAnnotationDropped(index: index) }
            } else {
                try emit(section, index: index)
            }
        } catch {
            throw visitorThrew(error)
        }
        valueDone()
        return
    }

    mutating func emit(_ section: Section, index: Int) throws {
        if section == .annotations {
            // No string to move out: the next record's start clears the scratch.
            try delegate.engineAnnotationEnd(
                AnnotationFields(idKey: record.fields.idKey, imageKey: record.fields.imageKey, objectKey: record.fields.objectKey,
                                 iscrowd: record.fields.iscrowd, bboxCount: record.fields.bboxCount,
                                 polygonCount: record.fields.polygonCount, extra: record.fields.extra),
                index: index)
            return
        }
        if section == .rows { return try delegate.engineRecord(.tabularRecord(record.takeRow()), index: index) }
        // Move the fields out rather than copy them (a copy retains every string).
        var r = RecordFields()
        swap(&r, &record.fields)
        switch section {
        case .images:
            var image = Image(id: r.id, fileName: r.fileName, index: r.index, categoryIDs: r.categoryIDs,
                                regressions: r.regressions, extra: r.extra)
            image.indexText = record.indexText
            record.indexText = nil
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
            if r.confidence != nil { object.confidenceText = record.confidenceText }
            record.confidenceText = nil
            try delegate.engineRecord(.object(object), index: index)
        case .meta:
            var meta = Meta(categoryIDs: r.categoryIDs, regressions: r.regressions, taskType: r.taskType,
                              tableIDs: r.tableIDs, extra: r.extra)
            meta.windowSize = r.windowSize
            meta.keys = []
            if r.seen & Field.categoryIDs.bit != 0 { meta.keys.insert(.categoryIDs) }
            if r.seen & Field.regressions.bit != 0 { meta.keys.insert(.regressions) }
            if r.seen & Field.tableIDs.bit != 0 { meta.keys.insert(.tableIDs) }
            outline.windowSize = r.windowSize
            try delegate.engineRecord(.meta(meta), index: 0)
        case .tables:
            try delegate.engineRecord(.table(Table(id: r.id, fileName: r.fileName, extra: r.extra)), index: index)
        case .records:
            let reference = RecordsReference(format: r.format, href: r.href, rows: r.rows, bytes: r.bytes,
                                               extra: r.extra, form: outline.recordsForm == .recordsFile ? .recordsFile : .href)
            outline.recordsReference = reference
            try delegate.engineRecord(.recordsReference(reference), index: 0)
        case .annotations, .rows:
            break
        }
    }

    mutating func endDocument() throws(EngineStop) {
        let start = frames[0].start
        pop()
        outline.documentEnded = true
        try checkRowCounts()
        return try checkKind(documentStart: start)
    }

    mutating func wrongField(_ field: Field, _ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) throws(EngineStop) {
        let location = scalarStart(kind, length: text.count)
        return try wrongType(expectedType(of: field), found: kind.described, at: location, container: false)
    }
}
