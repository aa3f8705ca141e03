/// How the bytes of an artifact line reach yajl: whole (`read(line:...)`) or in pieces
/// (`begin`, `read(piece:final:)`, `end`) for a line longer than a read chunk, which is then never
/// held whole: only yajl's pending token (bounded by the string and number limits) and the
/// record being built stay in memory.
extension TabularLineParser {
    /// What a line holds so far.
    enum LineShape {
        /// Only spaces and tabs.
        case blank
        /// Spaces and tabs, then a carriage return or line feed: still empty, unless a space or
        /// a tab comes after (the line's content then holds that line end).
        case blankThenBreak
        /// Something that goes to yajl.
        case text
    }

    /// Reads one line: its bytes including the newline (none on a last line without one),
    /// its number (from 1) and the offset of its first byte. Returns false for an empty line
    /// (reported; it holds no record). Throws what stops the reading.
    @discardableResult
    func read(line bytes: UnsafeBufferPointer<UInt8>, number: Int, offset: Int, isLast: Bool) throws -> Bool {
        begin(number: number, offset: offset)
        try read(piece: bytes, final: true)
        return try end(isLast: isLast)
    }

    /// Starts line `number` (from 1), whose first byte is at offset `offset` of the artifact.
    func begin(number: Int, offset: Int) {
        lineNumber = number
        lineOffset = offset
        lineLength = 0
        contentEnd = 0
        lineShape = .blank
        valuesInLine = 0
        places.resume(at: -1)
        places.forgetHistory()
        pendingToken = PendingToken()
        strictText = StrictTextScanner()
        if allowNonFinite {
            nonFinite.startText()
            rewritten.removeAll(keepingCapacity: true)
            heldBack = 0
        }
    }

    /// Reads the next bytes of the line; `final` when they are its last (its newline, or the end
    /// of the artifact).
    func read(piece bytes: UnsafeBufferPointer<UInt8>, final: Bool) throws {
        if let failure { throw failure }
        let base = lineLength
        // yajl takes a form feed or a vertical tab as whitespace; RFC 8259 does not (inside a
        // string yajl rejects them itself, so any of them is an error).
        for index in 0..<bytes.count where bytes[index] == 0x0B || bytes[index] == 0x0C {
            throw stop(.syntax, "invalid whitespace character 0x\(bytes[index] == 0x0B ? "0B" : "0C") (RFC 8259 allows space, tab, line feed and carriage return)",
                       at: base + index, path: "$[\(lineNumber - 1)]")
        }
        var from = 0
        if lineShape != .text {
            // An empty line is not parsed: its leading whitespace is not given to yajl.
            while from < bytes.count, lineShape != .text {
                switch bytes[from] {
                case 0x20, 0x09: if lineShape == .blankThenBreak { lineShape = .text }
                case 0x0A, 0x0D: lineShape = .blankThenBreak
                default: lineShape = .text
                }
                if lineShape != .text { from += 1 }
            }
        }
        var last = bytes.count
        while last > 0, bytes[last - 1] == 0x0A || bytes[last - 1] == 0x0D { last -= 1 }
        if last > 0 { contentEnd = base + last }
        lineLength += bytes.count
        guard lineShape == .text else { return }
        if places.nextTokenFrom < 0 { places.resume(at: base + from) }
        let rest = UnsafeBufferPointer(rebasing: bytes[from...])
        guard allowNonFinite else { return try feed(rest, base: base + from, final: final) }
        // Rewritten in a copy; a possible token cut at the end of the piece is held back.
        rewritten.removeFirst(rewritten.count - heldBack)
        rewritten.append(contentsOf: rest)
        let start = base + from - heldBack
        try rewritten.withUnsafeMutableBufferPointer { buffer in
            heldBack = nonFinite.rewrite(buffer, base: start, final: final)
            try feed(UnsafeBufferPointer(rebasing: buffer[0..<(buffer.count - heldBack)]), base: start, final: final)
        }
    }

    /// After the line's last piece: the end of the artifact (`isLast`) for yajl, and the checks of
    /// a line's end. False for an empty line (reported).
    func end(isLast: Bool) throws -> Bool {
        if let failure { throw failure }
        if lineShape != .text {
            try problem(.schema, "an empty line: the artifact has one JSON object per line", at: 0)
            return false
        }
        if isLast {
            completing = true
            defer { completing = false }
            switch lexer.complete(with: &tokens.pointee) {
            case .ok: break
            case .stopped(let error): throw keep(error)
            case .syntaxError(let message, _):
                // In the bytes kept, and the space yajl reads after them to end a number or a literal.
                let window = places.history + [0x20]
                places.bytesFed = lineLength
                let fault = window.withUnsafeBufferPointer { syntaxFault(in: $0, base: lineLength - places.history.count, yajlMessage: message) }
                throw stop(.syntax, "unexpected end of the artifact (\(fault.message(found: "")))", at: contentEnd, path: currentPath())
            }
        }
        if !frames.isEmpty {
            throw stop(.syntax, "the record does not end on its line (JSON lines: one object per line)",
                       at: contentEnd, path: "$[\(lineNumber - 1)]")
        }
        return true
    }

    /// Gives yajl `bytes`, whose first byte is at offset `base` of the line.
    private func feed(_ bytes: UnsafeBufferPointer<UInt8>, base: Int, final: Bool) throws {
        strictText.scan(bytes, base: base)
        piece = bytes
        pieceBase = base
        places.bytesFed = base
        if pendingToken.start >= 0 && pendingToken.start == places.nextTokenFrom && places.nextTokenByte == UInt8(ascii: "\"") {
            // A string going on from the piece before: too long with these bytes, it is an error
            // before yajl gathers them.
            var probe = pendingToken
            probe.countString(UnsafeBufferPointer(rebasing: bytes[max(0, probe.scanned - base)...]))
            if probe.length > limits.maxStringBytes { throw stringTooLong() }
        }
        switch lexer.parse(bytes, with: &tokens.pointee) {
        case .ok: break
        case .stopped(let error): throw keep(error)
        case .syntaxError(let message, let consumed):
            // Told and placed as in a document (in the bytes of the line's earlier pieces kept and
            // these), the last token's end standing for the last value's.
            let window = places.history + Array(bytes)
            let windowBase = base - places.history.count
            throw window.withUnsafeBufferPointer { window in
                let fault = syntaxFault(in: window, base: windowBase, yajlMessage: message)
                let (offset, byte) = fault.place(in: window, base: windowBase, end: places.history.count + min(consumed, bytes.count),
                                                 valueEnd: places.stateFrom, places: places)
                if let found = nonFiniteToken(in: window, near: offset) {
                    return stop(.syntax, nonFiniteMessage(found.token), at: windowBase + found.start, path: currentPath())
                }
                return stop(.syntax, fault.message(found: found(byte)), at: windowBase + offset, path: currentPath())
            }
        }
        guard !final else { return }
        places.passSeparators(bytes, base: base)
        // A line longer than a piece: its last bytes are kept to tell a syntax error in a token
        // that goes on into the next piece.
        places.remember(bytes)
        try checkPendingToken(bytes, base: base)
    }

    /// The fault yajl met in `bytes` (from offset `base` of the line), found as a document's is
    /// (`SyntaxFault.found`); `yajlMessage`, what yajl said, is checked in debug builds only.
    private func syntaxFault(in bytes: UnsafeBufferPointer<UInt8>, base: Int, yajlMessage: String) -> SyntaxFault {
        let fault = SyntaxFault.found(in: bytes, base: base, places: places, state: lexer.parseState.readingAnotherValue())
        assert(fault.yajlText == yajlMessage, "found \(fault.yajlText), yajl said \(yajlMessage)")
        return fault
    }

    /// Notes the token yajl is handing out (before its callback runs).
    @inline(__always)
    func noteToken() {
        places.note(tokenEndingAt: tokenEnd)
    }

    /// A string or number that goes on past the piece, yajl gathering it: a limit error as soon
    /// as it is longer than its limit, placed on its first byte (yajl would hold it whole first).
    private func checkPendingToken(_ bytes: UnsafeBufferPointer<UInt8>, base: Int) throws {
        let end = base + bytes.count
        let nextTokenFrom = places.nextTokenFrom, nextTokenByte = places.nextTokenByte
        guard nextTokenFrom < end else { return }
        if pendingToken.start != nextTokenFrom { pendingToken = PendingToken(start: nextTokenFrom) }
        let from = max(0, pendingToken.scanned - base)
        if nextTokenByte == UInt8(ascii: "\"") {
            pendingToken.countString(UnsafeBufferPointer(rebasing: bytes[from...]))
            pendingToken.scanned = end
            if pendingToken.length > limits.maxStringBytes { throw stringTooLong() }
        } else if nextTokenByte == UInt8(ascii: "-") || (nextTokenByte >= 0x30 && nextTokenByte <= 0x39),
                  end - nextTokenFrom > limits.maxNumberBytes {
            throw stop(.limit, "number of more than \(limits.maxNumberBytes) bytes (limit maxNumberBytes)",
                       at: nextTokenFrom, path: currentPath())
        }
    }
}

extension TabularLineParser {
    /// The string pending at `nextTokenFrom` is longer than its limit.
    private func stringTooLong() -> Error {
        stop(.limit, "string of more than \(limits.maxStringBytes) bytes (limit maxStringBytes)", at: places.nextTokenFrom, path: currentPath())
    }
}

/// The string yajl is gathering across pieces: at least how many bytes it holds once unescaped
/// (an escape is one byte at least), counted as its pieces come.
struct PendingToken {
    var start = -1
    /// Offset in the line up to which the string was counted.
    var scanned = 0
    var length = 0
    /// Before the opening quote (-1), in the text (0), after a backslash (1), in `\u`'s hex digits
    /// (2...5), past the closing quote (6).
    private var state = -1

    init() {}

    init(start: Int) {
        self.start = start
        scanned = start
    }

    mutating func countString(_ bytes: UnsafeBufferPointer<UInt8>) {
        for byte in bytes {
            switch state {
            case -1: state = 0
            case 0:
                if byte == UInt8(ascii: "\\") { state = 1 } else if byte == UInt8(ascii: "\"") { state = 6; return } else { length += 1 }
            case 6:
                return
            case 1:
                length += 1
                state = byte == UInt8(ascii: "u") ? 2 : 0
            default:
                state = state == 5 ? 0 : state + 1
            }
        }
    }
}

/// yajl's callbacks for the lines, handed on to the parser (`YajlLexer` calls them in place),
/// without retaining it (the parser owns the lexer that calls these). Each answers with the
/// parser's verdict: read on, or stop with the error that ends the reading.
struct LineTokens: YajlHandler {
    typealias Stop = any Error
    let parser: Unmanaged<TabularLineParser>

    @inline(__always) mutating func noteToken() { parser._withUnsafeGuaranteedRef { $0.noteToken() } }
    @inline(__always) mutating func onNull() -> LineVerdict { parser._withUnsafeGuaranteedRef { $0.onNull() } }
    @inline(__always) mutating func onBool(_ value: Bool) -> LineVerdict { parser._withUnsafeGuaranteedRef { $0.onBool(value) } }
    @inline(__always) mutating func onNumber(_ text: UnsafeBufferPointer<UInt8>) -> LineVerdict {
        parser._withUnsafeGuaranteedRef { $0.onNumber(text) }
    }
    @inline(__always) mutating func onString(_ text: UnsafeBufferPointer<UInt8>) -> LineVerdict {
        parser._withUnsafeGuaranteedRef { $0.onString(text) }
    }
    @inline(__always) mutating func onStartObject() -> LineVerdict { parser._withUnsafeGuaranteedRef { $0.onStartObject() } }
    @inline(__always) mutating func onKey(_ text: UnsafeBufferPointer<UInt8>) -> LineVerdict {
        parser._withUnsafeGuaranteedRef { $0.onKey(text) }
    }
    @inline(__always) mutating func onEndObject() -> LineVerdict { parser._withUnsafeGuaranteedRef { $0.onEndObject() } }
    @inline(__always) mutating func onStartArray() -> LineVerdict { parser._withUnsafeGuaranteedRef { $0.onStartArray() } }
    @inline(__always) mutating func onEndArray() -> LineVerdict { parser._withUnsafeGuaranteedRef { $0.onEndArray() } }
}
