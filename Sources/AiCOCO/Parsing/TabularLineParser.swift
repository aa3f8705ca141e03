/// Reads the lines of a tabular output's records artifact, one JSON object per line, into
/// `AiTabularRecord`s: checks each line's schema (`id`, `table_id`, `row_indexes` of
/// non-negative integers, `category_ids` or null, `regressions` or null, extra fields kept),
/// and, when validating, `window_size` row indexes per record and the references to tables,
/// categories and regressions. Places are in the artifact: its line, column, byte offset and
/// the path `$[i]...` of the i-th record (line i + 1).
final class TabularLineParser: JSONEventSink {
    enum FrameKind { case record, idList, regressionList, regressionItem, rowIndexes, extra, skip }

    struct Frame {
        var kind: FrameKind
        var field: Field = .none
        /// An extra field's key (record and extra objects).
        var key: String?
        /// Arrays: index of the current element. Skip frames: depth.
        var count = 0
        /// Offset of the container's first byte in the line.
        var start = 0
    }

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

    enum ExtraContainer {
        case array([JSONValue])
        case object([JSONMember], key: String)
    }

    private let file: String
    private let limits: ParserLimits
    private let windowSize: Int?
    private let checker: ReferenceChecker?
    private let report: (AiCOCOError) throws -> Void
    private let deliver: (AiTabularRecord, Int) throws -> Void
    private var stream: YajlEventStream!

    // The line being read.
    private var line = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    private var lineNumber = 0
    private var lineOffset = 0
    private var valuesInLine = 0
    private var completing = false

    private var frames: [Frame] = []
    private var extraStack: [ExtraContainer] = []
    // The record being read.
    private var seen: UInt32 = 0
    private var valid = true
    private var id = ""
    private var tableID = ""
    private var rowIndexes: [Int] = []
    private var categoryIDs: [String]?
    private var regressions: [AiRegressionItem]?
    private var extra: [JSONMember] = []
    private var itemSeen: UInt32 = 0
    private var itemValid = true
    private var itemID = ""
    private var itemValue = 0.0

    /// Records delivered (valid ones) and lines read.
    private(set) var delivered = 0
    /// The error that stopped the reading (syntax, limit, or the one `report` threw).
    private(set) var failure: Error?

    init(file: String, limits: ParserLimits, windowSize: Int?, checker: ReferenceChecker?,
         report: @escaping (AiCOCOError) throws -> Void, deliver: @escaping (AiTabularRecord, Int) throws -> Void) {
        self.file = file
        self.limits = limits
        self.windowSize = windowSize
        self.checker = checker
        self.report = report
        self.deliver = deliver
        frames.reserveCapacity(8)
        stream = YajlEventStream(sink: self)
    }

    /// Reads one line: its bytes including the newline (none on a last line without one),
    /// its number (from 1) and the offset of its first byte. Returns false for an empty line
    /// (reported; it holds no record). Throws what stops the reading.
    @discardableResult
    func read(line bytes: UnsafeBufferPointer<UInt8>, number: Int, offset: Int, isLast: Bool) throws -> Bool {
        if let failure { throw failure }
        line = bytes
        lineNumber = number
        lineOffset = offset
        valuesInLine = 0
        var content = bytes.count
        while content > 0, bytes[content - 1] == 0x0A || bytes[content - 1] == 0x0D { content -= 1 }
        // yajl takes a form feed or a vertical tab as whitespace; RFC 8259 does not (inside a
        // string yajl rejects them itself, so any of them is an error).
        for index in 0..<content where bytes[index] == 0x0B || bytes[index] == 0x0C {
            throw stop(.syntax, "invalid whitespace character 0x\(bytes[index] == 0x0B ? "0B" : "0C") (RFC 8259 allows space, tab, line feed and carriage return)",
                       at: index, path: "$[\(number - 1)]")
        }
        if bytes[0..<content].allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
            try problem(.schema, "an empty line: the artifact has one JSON object per line", at: 0)
            return false
        }
        switch stream.parse(bytes) {
        case .ok: break
        case .stoppedByEngine: throw failure!
        case .syntaxError(let message, let consumed):
            throw stop(.syntax, message, at: min(consumed, content), path: currentPath())
        }
        if isLast {
            completing = true
            switch stream.complete() {
            case .ok: break
            case .stoppedByEngine: throw failure!
            case .syntaxError(let message, _):
                throw stop(.syntax, "unexpected end of the artifact (\(message.replacingOccurrences("parse error: ", with: "")))",
                           at: content, path: currentPath())
            }
        }
        if !frames.isEmpty {
            throw stop(.syntax, "the record does not end on its line (JSON lines: one object per line)",
                       at: content, path: "$[\(number - 1)]")
        }
        return true
    }

    // MARK: Places and problems

    private func location(_ offsetInLine: Int) -> SourceLocation {
        SourceLocation(offset: lineOffset + offsetInLine, line: lineNumber, column: offsetInLine + 1)
    }

    private var tokenEnd: Int { completing ? line.count : stream.bytesConsumed }

    private var containerStart: Int { max(0, tokenEnd - 1) }

    private func scalarStart(_ length: Int, string: Bool) -> Int {
        guard string else { return max(0, tokenEnd - length) }
        var index = tokenEnd - 2
        while index > 0 {
            if line[index] == UInt8(ascii: "\"") {
                var backslashes = 0
                while index - backslashes - 1 >= 0, line[index - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
                if backslashes % 2 == 0 { return index }
            }
            index -= 1
        }
        return 0
    }

    private func currentPath(includeCurrent: Bool = true) -> String {
        var text = "$[\(lineNumber - 1)]"
        for (position, frame) in frames.enumerated() {
            let isLast = position == frames.count - 1
            if isLast && !includeCurrent { break }
            switch frame.kind {
            case .record, .regressionItem:
                if let key = frame.key { appendPathKey(key, to: &text) }
                else if frame.field != .none { text += "." + frame.field.jsonKey }
            case .extra:
                if case .object(_, let key) = extraStack[extraStackIndex(of: position)] {
                    if !key.isEmpty { appendPathKey(key, to: &text) }
                } else {
                    text += "[\(frame.count)]"
                }
            case .idList, .regressionList, .rowIndexes:
                text += "[\(frame.count)]"
            case .skip:
                return text
            }
        }
        return text
    }

    private func extraStackIndex(of framePosition: Int) -> Int {
        var index = -1
        for position in 0...framePosition where frames[position].kind == .extra { index += 1 }
        return index
    }

    private func stop(_ kind: AiCOCOError.Kind, _ message: String, at offsetInLine: Int, path: String) -> Error {
        let error = AiCOCOError(kind: kind, message: message, path: path, location: location(offsetInLine), file: file)
        if failure == nil { failure = error }
        return failure!
    }

    /// A problem that leaves the record out; throws when the reading must stop.
    private func problem(_ kind: AiCOCOError.Kind, _ message: String, at offsetInLine: Int,
                         path: String? = nil) throws {
        valid = false
        let error = AiCOCOError(kind: kind, message: message, path: path ?? currentPath(),
                                location: location(offsetInLine), file: file)
        if kind == .limit || kind == .syntax { throw stop(kind, message, at: offsetInLine, path: error.path) }
        do {
            try report(error)
        } catch {
            if failure == nil { failure = error }
            throw error
        }
    }

    /// `problem` from inside a callback: false stops yajl.
    private func callbackProblem(_ kind: AiCOCOError.Kind, _ message: String, at offsetInLine: Int,
                                 path: String? = nil) -> Bool {
        do { try problem(kind, message, at: offsetInLine, path: path) } catch { return false }
        return true
    }

    /// The checker answers with an error only when its temporary files fail: that stops the reading.
    private func referenceProblem(_ error: AiCOCOError?) -> Bool {
        guard let error else { return true }
        if error.kind == .io {
            failure = error
            return false
        }
        return callbackProblem(error.kind, error.message, at: error.location.offset - lineOffset, path: error.path)
    }

    private func wrongType(_ expected: String, found: String, at start: Int, container: Bool) -> Bool {
        var message = "expected \(expected), found \(found)"
        if let frame = frames.last {
            if frame.kind == .record, frame.field != .none, frame.field != .extra {
                message = "\"\(frame.field.jsonKey)\": " + message
            } else if frame.kind == .rowIndexes {
                message = "\"row_indexes\" entry: " + message
            } else if frame.kind == .idList {
                message = "\"category_ids\" entry: " + message
            }
        }
        guard callbackProblem(.schema, message, at: start) else { return false }
        if container { return push(Frame(kind: .skip, count: 1, start: start)) }
        valueDone()
        return true
    }

    // MARK: Frames

    private func push(_ frame: Frame) -> Bool {
        if frames.count + 1 >= limits.maxDepth {
            return callbackProblem(.limit, "nesting deeper than \(limits.maxDepth) (limit maxDepth)", at: frame.start)
        }
        frames.append(frame)
        return true
    }

    /// A value of the innermost container is complete.
    private func valueDone() {
        guard !frames.isEmpty else { return }
        switch frames[frames.count - 1].kind {
        case .idList, .regressionList, .rowIndexes: frames[frames.count - 1].count += 1
        case .extra:
            if case .array = extraStack[extraStack.count - 1] { frames[frames.count - 1].count += 1 }
        default: break
        }
    }

    private func beginValue(container: Bool) -> Bool {
        guard frames.isEmpty else { return true }
        valuesInLine += 1
        if valuesInLine > 1 {
            failure = stop(.syntax, "a second JSON value on one line (JSON lines: one object per line)",
                           at: container ? containerStart : tokenEnd, path: "$[\(lineNumber - 1)]")
            return false
        }
        return true
    }

    // MARK: Tokens

    func onStartObject() -> Bool {
        guard beginValue(container: true) else { return false }
        guard let top = frames.last else {
            seen = 0; valid = true; id = ""; tableID = ""; rowIndexes = []
            categoryIDs = nil; regressions = nil; extra = []
            return push(Frame(kind: .record, start: containerStart))
        }
        switch top.kind {
        case .skip:
            frames[frames.count - 1].count += 1
            return frames.count + top.count < limits.maxDepth
                || callbackProblem(.limit, "nesting deeper than \(limits.maxDepth) (limit maxDepth)", at: containerStart)
        case .record:
            if top.field == .extra {
                extraStack.append(.object([], key: ""))
                return push(Frame(kind: .extra, start: containerStart))
            }
            return wrongType(expected(top.field), found: "an object", at: containerStart, container: true)
        case .regressionList:
            itemSeen = 0; itemValid = true; itemID = ""; itemValue = 0
            return push(Frame(kind: .regressionItem, start: containerStart))
        case .regressionItem:
            if top.key != nil { return push(Frame(kind: .skip, count: 1, start: containerStart)) }
            itemValid = false
            return wrongType(top.field == .value ? "a number" : "a string", found: "an object", at: containerStart, container: true)
        case .idList:
            return wrongType("a string", found: "an object", at: containerStart, container: true)
        case .rowIndexes:
            return wrongType("a non-negative integer", found: "an object", at: containerStart, container: true)
        case .extra:
            extraStack.append(.object([], key: ""))
            return push(Frame(kind: .extra, start: containerStart))
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
        case .skip:
            frames[frames.count - 1].count += 1
            return frames.count + top.count < limits.maxDepth
                || callbackProblem(.limit, "nesting deeper than \(limits.maxDepth) (limit maxDepth)", at: containerStart)
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
                extraStack.append(.array([]))
                return push(Frame(kind: .extra, start: containerStart))
            default:
                return wrongType(expected(top.field), found: "an array", at: containerStart, container: true)
            }
        case .regressionItem:
            if top.key != nil { return push(Frame(kind: .skip, count: 1, start: containerStart)) }
            itemValid = false
            return wrongType(top.field == .value ? "a number" : "a string", found: "an array", at: containerStart, container: true)
        case .regressionList:
            return wrongType("a regression item object", found: "an array", at: containerStart, container: true)
        case .idList:
            return wrongType("a string", found: "an array", at: containerStart, container: true)
        case .rowIndexes:
            return wrongType("a non-negative integer", found: "an array", at: containerStart, container: true)
        case .extra:
            extraStack.append(.array([]))
            return push(Frame(kind: .extra, start: containerStart))
        }
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
    func onNumber(_ text: UnsafeBufferPointer<UInt8>) -> Bool { scalar(.number, text) }
    func onString(_ text: UnsafeBufferPointer<UInt8>) -> Bool { scalar(.string, text) }

    private func scalar(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
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
            rowIndexes.append(index)
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

    private func recordField(_ field: Field, _ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>,
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

    private func expected(_ field: Field) -> String {
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

    private func extraValue(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> JSONValue {
        switch kind {
        case .null: .null
        case .trueValue: .bool(true)
        case .falseValue: .bool(false)
        case .number: .number(JSONNumber(literal: String(decoding: text, as: UTF8.self)))
        case .string: .string(String(decoding: text, as: UTF8.self))
        }
    }

    private func appendExtra(_ value: JSONValue) {
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

    private func endExtra() -> Bool {
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

    private func endSkip() -> Bool {
        frames[frames.count - 1].count -= 1
        if frames[frames.count - 1].count == 0 {
            frames.removeLast()
            valueDone()
        }
        return true
    }

    private func endItem() -> Bool {
        let top = frames[frames.count - 1]
        for field in [Field.regressionID, .value] where itemSeen & field.bit == 0 {
            itemValid = false
            guard callbackProblem(.schema, "missing required key \"\(field.jsonKey)\" in a regression item",
                                  at: top.start, path: currentPath(includeCurrent: false)) else { return false }
        }
        frames.removeLast()
        if itemValid { regressions?.append(AiRegressionItem(regressionID: itemID, value: itemValue)) }
        valueDone()
        return true
    }

    private func endRecord() -> Bool {
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
        let record = AiTabularRecord(id: id, tableID: tableID, rowIndexes: rowIndexes, categoryIDs: categoryIDs,
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
