/// Reads the lines of a tabular output's records artifact, one JSON object per line, into
/// `TabularRecord`s: each line is a tabular record, read by the record grammar an inline
/// record is read by (`RecordGrammar.swift`), and, when validating, `window_size` row indexes
/// per record and the references to tables, categories and regressions. Places are in the
/// artifact: its line, column, byte offset and the path `$[i]...` of the i-th record (line i + 1).
final class TabularLineParser {
    // The parser's state is `@exclusivity(unchecked)`: one thread reads a parser at a time and
    // yajl's callbacks never re-enter it, so no two accesses can overlap; checked, the dynamic
    // checks cost a third of the instructions of reading the lines.
    let file: String
    let limits: DocumentParsing.Limits
    let allowNonFinite: Bool
    /// The line with its `NaN`, `Infinity` and `-Infinity` rewritten (`allowNonFinite`).
    @exclusivity(unchecked) var nonFinite = NonFiniteRewriter()
    /// The bytes given to yajl when they are rewritten; the rewriter's held-back bytes at its start.
    @exclusivity(unchecked) var rewritten: [UInt8] = []
    @exclusivity(unchecked) var heldBack = 0
    let windowSize: Int?
    let checker: ReferenceChecker?
    let report: (DocumentError) throws -> Void
    let deliver: (TabularRecord, Int) throws -> Void
    /// yajl, reading the lines as a stream of values; its callbacks reach this parser through
    /// `tokens` (see `TabularLineFeed.swift`).
    @exclusivity(unchecked) var lexer: YajlLexer<LineTokens>!
    let tokens: UnsafeMutablePointer<LineTokens>

    // The line being read: it comes whole or in pieces (a line longer than a read chunk).
    /// The bytes yajl is reading, and the offset in the line of their first byte.
    @exclusivity(unchecked) var piece = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    @exclusivity(unchecked) var pieceBase = 0
    @exclusivity(unchecked) var lineNumber = 0
    @exclusivity(unchecked) var lineOffset = 0
    /// Bytes of the line received so far, and the offset just past its last byte that is not a
    /// carriage return or a line feed.
    @exclusivity(unchecked) var lineLength = 0
    @exclusivity(unchecked) var contentEnd = 0
    /// What the line holds so far: only spaces and tabs (`blank`), then maybe line ends
    /// (`blankThenBreak`), or something else (`text`: it goes to yajl).
    @exclusivity(unchecked) var lineShape = LineShape.blank
    @exclusivity(unchecked) var valuesInLine = 0
    @exclusivity(unchecked) var completing = false
    /// Where tokens start (yajl hands a token out at its end): the search start of the token being
    /// handed out, the end of the one before, and the first byte of the token pending at the end
    /// of what was fed (`nextTokenByte`).
    /// Kept as the document parser keeps them (`TokenPlaces`), in offsets of the line, with what a
    /// syntax error is told from (`SyntaxFault.found`).
    @exclusivity(unchecked) var places = TokenPlaces()
    /// A string or number pending across pieces: a lower bound of its length (`PendingToken`).
    @exclusivity(unchecked) var pendingToken = PendingToken()

    /// The frame stack the document parser keeps (`Frames.swift`), with the kinds a line holds:
    /// `record`, `idList` (`category_ids`, `row_indexes`), `regressionList`, `regressionItem`,
    /// `extra` and `skip`; a frame's start is where its container opens in the artifact.
    @exclusivity(unchecked) var frames = FrameStack()
    /// The record being read, checked by the record grammar (`RecordGrammar.swift`).
    @exclusivity(unchecked) var record = RecordInProgress()

    /// Records delivered (valid ones) and lines read.
    @exclusivity(unchecked) var delivered = 0
    /// The error that stopped the reading (syntax, limit, or the one `report` or `deliver`
    /// threw): every later call throws it again.
    @exclusivity(unchecked) var failure: (any Error)?
    /// Strict UTF-8 and `\u` escapes in the current line (see `StrictTextScanner`).
    @exclusivity(unchecked) var strictText = StrictTextScanner()

    init(file: String, limits: DocumentParsing.Limits, allowNonFinite: Bool = false, windowSize: Int?, checker: ReferenceChecker?,
         report: @escaping (DocumentError) throws -> Void, deliver: @escaping (TabularRecord, Int) throws -> Void) {
        self.file = file
        self.limits = limits
        self.allowNonFinite = allowNonFinite
        self.windowSize = windowSize
        self.checker = checker
        self.report = report
        self.deliver = deliver
        tokens = .allocate(capacity: 1)
        tokens.initialize(to: LineTokens(parser: Unmanaged.passUnretained(self)))
        lexer = YajlLexer(allowsMultipleValues: true)
    }

    deinit {
        lexer = nil
        tokens.deinitialize(count: 1)
        tokens.deallocate()
    }

    // MARK: Places and problems

    func location(_ offsetInLine: Int) -> SourceLocation {
        SourceLocation(offset: lineOffset + offsetInLine, line: lineNumber, column: offsetInLine + 1)
    }

    var tokenEnd: Int { completing ? lineLength : pieceBase + lexer.bytesConsumed }

    /// Stops at a bad UTF-8 sequence or escape in the string being handed out, if there is one.
    func checkStrictText() throws {
        guard strictText.firstBad < tokenEnd else { return }
        throw stop(.syntax, strictText.message, at: strictText.firstBad, path: currentPath())
    }

    var containerStart: Int { max(0, tokenEnd - 1) }

    /// Offset in the line of the first byte of the scalar being handed out (`length` bytes long,
    /// unless it is a string, whose escapes make it longer: it starts at its opening quote).
    func scalarStart(_ length: Int, string: Bool) -> Int {
        guard string else { return max(0, tokenEnd - length) }
        // Only separators lie between the end of the token before and this one: in the bytes
        // being read, the quote follows them; before them, `tokenFrom` is on it.
        var start = places.tokenFrom
        while start >= pieceBase, start - pieceBase < piece.count, piece[start - pieceBase] != UInt8(ascii: "\"") {
            start += 1
        }
        return start
    }

    func currentPath(includeCurrent: Bool = true) -> String {
        var text = "$[\(lineNumber - 1)]"
        for (position, frame) in frames.all.enumerated() {
            let isLast = position == frames.count - 1
            if isLast && !includeCurrent { break }
            switch frame.kind {
            case .record, .regressionItem:
                if let key = frame.key { appendPathKey(key, to: &text) }
                else if frame.field != .none { text += "." + frame.field.jsonKey }
            case .extra:
                if case .object(_, let key) = record.extraStack[extraStackIndex(of: position)] {
                    if !key.isEmpty { appendPathKey(key, to: &text) }
                } else {
                    text += "[\(frame.count)]"
                }
            case .idList, .regressionList:
                text += "[\(frame.count)]"
            case .skip:
                return text
            case .document, .section, .coordList, .coordEntry:
                preconditionFailure("a document's frames are not an artifact line's")
            }
        }
        return text
    }

    func extraStackIndex(of framePosition: Int) -> Int {
        var index = -1
        for position in 0...framePosition where frames[position].kind == .extra { index += 1 }
        return index
    }

    /// The error that stops the reading, kept: every later call throws it again.
    func stop(_ kind: DocumentError.Kind, _ message: String, at offsetInLine: Int, path: String) -> any Error {
        stop(kind, message, at: location(offsetInLine), path: path)
    }

    func stop(_ kind: DocumentError.Kind, _ message: String, at place: SourceLocation, path: String) -> any Error {
        keep(DocumentError(kind: kind, message: message, path: path, location: place, file: file))
    }

    /// Keeps `error` as the one that stopped the reading (the first one stays), and returns that.
    func keep(_ error: any Error) -> any Error {
        if let failure { return failure }
        failure = error
        return error
    }

    /// A problem that leaves the record out; throws when the reading must stop (a limit, a
    /// syntax error, or what `report` throws).
    func problem(_ kind: DocumentError.Kind, _ message: String, at offsetInLine: Int,
                 path: String? = nil) throws {
        try problem(kind, message, at: location(offsetInLine), path: path)
    }

    /// `problem(_:_:at:path:)` at a place already in the artifact (a frame's start).
    func problem(_ kind: DocumentError.Kind, _ message: String, at place: SourceLocation, path: String? = nil) throws {
        record.fields.valid = false
        let path = path ?? currentPath()
        if kind == .limit || kind == .syntax { throw stop(kind, message, at: place, path: path) }
        try report(DocumentError(kind: kind, message: message, path: path, location: place, file: file))
    }

    /// The checker answers with an error only when its temporary files fail: that stops the reading.
    func referenceProblem(_ error: DocumentError?) throws {
        guard let error else { return }
        if error.kind == .io { throw error }
        try problem(error.kind, error.message, at: error.location.offset - lineOffset, path: error.path)
    }

    func wrongType(_ expected: String, found: String, at start: Int, container: Bool) throws {
        var message = "expected \(expected), found \(found)"
        if let frame = frames.last {
            if frame.kind == .record || frame.kind == .regressionItem, frame.field != .none, frame.field != .extra {
                message = "\"\(frame.field.jsonKey)\": " + message
            } else if frame.kind == .idList {
                message = "\"\(frame.field.jsonKey)\" entry: " + message
            }
        }
        try problem(.schema, message, at: start)
        if container { return try push(Frame(kind: .skip, count: 1, start: location(start))) }
        valueDone()
    }

    // MARK: Frames

    func push(_ frame: Frame) throws {
        if frames.count + 1 >= limits.maxDepth {
            try problem(.limit, "nesting deeper than \(limits.maxDepth) (limit maxDepth)", at: frame.start)
        }
        frames.push(frame)
    }

    /// A value of the innermost container is complete.
    func valueDone() {
        guard !frames.isEmpty else { return }
        switch frames[frames.count - 1].kind {
        case .idList, .regressionList: frames[frames.count - 1].count += 1
        case .extra:
            if case .array = record.extraStack[record.extraStack.count - 1] { frames[frames.count - 1].count += 1 }
        default: break
        }
    }

    func beginValue(container: Bool) throws {
        guard frames.isEmpty else { return }
        valuesInLine += 1
        if valuesInLine > 1 {
            throw stop(.syntax, "a second JSON value on one line (JSON lines: one object per line)",
                       at: container ? containerStart : tokenEnd, path: "$[\(lineNumber - 1)]")
        }
    }
}

/// What a token's handler answers yajl: read on, or stop with the error that ends the reading.
typealias LineVerdict = YajlVerdict<any Error>

extension TabularLineParser {
    // MARK: Tokens (yajl calls these through `LineTokens`)

    @inline(__always) func onNull() -> LineVerdict { verdict { try scalar(.null, UnsafeBufferPointer(start: nil, count: 0)) } }
    @inline(__always) func onBool(_ value: Bool) -> LineVerdict {
        verdict { try scalar(value ? .trueValue : .falseValue, UnsafeBufferPointer(start: nil, count: 0)) }
    }
    @inline(__always) func onNumber(_ text: UnsafeBufferPointer<UInt8>) -> LineVerdict { verdict { try readNumber(text) } }
    @inline(__always) func onString(_ text: UnsafeBufferPointer<UInt8>) -> LineVerdict { verdict { try readString(text) } }
    @inline(__always) func onKey(_ text: UnsafeBufferPointer<UInt8>) -> LineVerdict { verdict { try readKey(text) } }
    @inline(__always) func onStartObject() -> LineVerdict { verdict { try startObject() } }
    @inline(__always) func onEndObject() -> LineVerdict { verdict { try endObject() } }
    @inline(__always) func onStartArray() -> LineVerdict { verdict { try startArray() } }
    @inline(__always) func onEndArray() -> LineVerdict { verdict { try endArray() } }
}
