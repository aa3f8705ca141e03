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

    let file: String
    let limits: ParserLimits
    let allowNonFinite: Bool
    /// The line with its `NaN`, `Infinity` and `-Infinity` rewritten (`allowNonFinite`).
    var nonFinite = NonFiniteRewriter()
    private var rewritten: [UInt8] = []
    let windowSize: Int?
    let checker: ReferenceChecker?
    let report: (AiCOCOError) throws -> Void
    let deliver: (AiTabularRecord, Int) throws -> Void
    var stream: YajlEventStream!

    // The line being read.
    var line = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    var lineNumber = 0
    var lineOffset = 0
    var valuesInLine = 0
    var completing = false

    var frames: [Frame] = []
    var extraStack: [ExtraContainer] = []
    // The record being read.
    var seen: UInt32 = 0
    var valid = true
    var id = ""
    var tableID = ""
    var rowIndexes: [Int] = []
    var categoryIDs: [String]?
    var regressions: [AiRegressionItem]?
    var extra: [JSONMember] = []
    var itemSeen: UInt32 = 0
    var itemValid = true
    var itemID = ""
    var itemValue = 0.0
    var itemText: JSONNumber?

    /// Records delivered (valid ones) and lines read.
    var delivered = 0
    /// The error that stopped the reading (syntax, limit, or the one `report` threw).
    var failure: Error?
    /// Strict UTF-8 and `\u` escapes in the current line (see `StrictTextScanner`).
    var strictText = StrictTextScanner()

    init(file: String, limits: ParserLimits, allowNonFinite: Bool = false, windowSize: Int?, checker: ReferenceChecker?,
         report: @escaping (AiCOCOError) throws -> Void, deliver: @escaping (AiTabularRecord, Int) throws -> Void) {
        self.file = file
        self.limits = limits
        self.allowNonFinite = allowNonFinite
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
        if allowNonFinite {
            rewritten.removeAll(keepingCapacity: true)
            rewritten.append(contentsOf: bytes)
            nonFinite.startText()
            _ = rewritten.withUnsafeMutableBufferPointer { nonFinite.rewrite($0, base: 0, final: true) }
            return try rewritten.withUnsafeBufferPointer { try readRewritten(line: $0, number: number, offset: offset, isLast: isLast) }
        }
        return try readRewritten(line: bytes, number: number, offset: offset, isLast: isLast)
    }

    private func readRewritten(line bytes: UnsafeBufferPointer<UInt8>, number: Int, offset: Int, isLast: Bool) throws -> Bool {
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
        strictText = StrictTextScanner()
        strictText.scan(bytes, base: 0)
        switch stream.parse(bytes) {
        case .ok: break
        case .stopped: throw failure!
        case .syntaxError(let message, let consumed):
            if let found = nonFiniteToken(in: bytes, near: min(consumed, content)) {
                throw stop(.syntax, nonFiniteMessage(found.token), at: found.start, path: currentPath())
            }
            throw stop(.syntax, message, at: min(consumed, content), path: currentPath())
        }
        if isLast {
            completing = true
            switch stream.complete() {
            case .ok: break
            case .stopped: throw failure!
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

    func location(_ offsetInLine: Int) -> SourceLocation {
        SourceLocation(offset: lineOffset + offsetInLine, line: lineNumber, column: offsetInLine + 1)
    }

    var tokenEnd: Int { completing ? line.count : stream.bytesConsumed }

    /// Stops at a bad UTF-8 sequence or escape in the string being handed out, if there is one.
    func strictTextFailed() -> Bool {
        guard strictText.firstBad < tokenEnd else { return false }
        _ = stop(.syntax, strictText.message, at: strictText.firstBad, path: currentPath())
        return true
    }

    var containerStart: Int { max(0, tokenEnd - 1) }

    func scalarStart(_ length: Int, string: Bool) -> Int {
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

    func currentPath(includeCurrent: Bool = true) -> String {
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

    func extraStackIndex(of framePosition: Int) -> Int {
        var index = -1
        for position in 0...framePosition where frames[position].kind == .extra { index += 1 }
        return index
    }

    func stop(_ kind: AiCOCOError.Kind, _ message: String, at offsetInLine: Int, path: String) -> Error {
        let error = AiCOCOError(kind: kind, message: message, path: path, location: location(offsetInLine), file: file)
        if failure == nil { failure = error }
        return failure!
    }

    /// A problem that leaves the record out; throws when the reading must stop.
    func problem(_ kind: AiCOCOError.Kind, _ message: String, at offsetInLine: Int,
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
    func callbackProblem(_ kind: AiCOCOError.Kind, _ message: String, at offsetInLine: Int,
                                 path: String? = nil) -> Bool {
        do { try problem(kind, message, at: offsetInLine, path: path) } catch { return false }
        return true
    }

    /// The checker answers with an error only when its temporary files fail: that stops the reading.
    func referenceProblem(_ error: AiCOCOError?) -> Bool {
        guard let error else { return true }
        if error.kind == .io {
            failure = error
            return false
        }
        return callbackProblem(error.kind, error.message, at: error.location.offset - lineOffset, path: error.path)
    }

    func wrongType(_ expected: String, found: String, at start: Int, container: Bool) -> Bool {
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

    func push(_ frame: Frame) -> Bool {
        if frames.count + 1 >= limits.maxDepth {
            return callbackProblem(.limit, "nesting deeper than \(limits.maxDepth) (limit maxDepth)", at: frame.start)
        }
        frames.append(frame)
        return true
    }

    /// A value of the innermost container is complete.
    func valueDone() {
        guard !frames.isEmpty else { return }
        switch frames[frames.count - 1].kind {
        case .idList, .regressionList, .rowIndexes: frames[frames.count - 1].count += 1
        case .extra:
            if case .array = extraStack[extraStack.count - 1] { frames[frames.count - 1].count += 1 }
        default: break
        }
    }

    func beginValue(container: Bool) -> Bool {
        guard frames.isEmpty else { return true }
        valuesInLine += 1
        if valuesInLine > 1 {
            failure = stop(.syntax, "a second JSON value on one line (JSON lines: one object per line)",
                           at: container ? containerStart : tokenEnd, path: "$[\(lineNumber - 1)]")
            return false
        }
        return true
    }
}
