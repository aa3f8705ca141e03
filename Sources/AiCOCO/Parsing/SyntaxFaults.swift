// What yajl 2.1 rejects, found as it finds it: from its parse state, the bytes after the last
// token it handed out and, for a string begun before the bytes kept, its lexer's state in that
// string (`OpenString`, kept piece by piece in `TokenPlaces`); never from its message (whose text
// is the only way yajl tells the kind; debug builds check that they agree).

/// A syntax error as yajl finds it: a token its lexer rejects, or a token its parser does not
/// take where it stands.
enum SyntaxFault: Equatable {
    // The lexer's.
    case invalidLiteral, invalidCharacter, invalidUTF8, invalidEscape, controlCharacter, invalidHexDigit, comment
    /// A number without a digit where one is required (the grammar stopped in this state).
    case malformedNumber(NumberState)
    // The parser's.
    case trailingGarbage, afterMember, afterElement, missingColon, invalidKey, unallowedToken, prematureEnd

    var isLexical: Bool {
        switch self {
        case .invalidLiteral, .invalidCharacter, .invalidUTF8, .invalidEscape, .controlCharacter, .invalidHexDigit,
             .comment, .malformedNumber: true
        default: false
        }
    }

    /// yajl's message for it (`yajl_get_error`'s, without the final period).
    var yajlText: String {
        switch self {
        case .invalidLiteral: "lexical error: invalid string in json text"
        case .invalidCharacter: "lexical error: invalid char in json text"
        case .invalidUTF8: "lexical error: invalid bytes in UTF8 string"
        case .invalidEscape: "lexical error: inside a string, '\\' occurs before a character which it may not"
        case .controlCharacter: "lexical error: invalid character inside string"
        case .invalidHexDigit: "lexical error: invalid (non-hex) character occurs after '\\u' inside string"
        case .comment: "lexical error: probable comment found in input text, comments are not enabled"
        case .malformedNumber(let state): state.yajlError
        case .trailingGarbage: "parse error: trailing garbage"
        case .afterMember: "parse error: after key and value, inside map, I expect ',' or '}'"
        case .afterElement: "parse error: after array element, I expect ',' or ']'"
        case .missingColon: "parse error: object key and value must be separated by a colon (':')"
        case .invalidKey: "parse error: invalid object key (must be a string)"
        case .unallowedToken: "parse error: unallowed token at this point in JSON text"
        case .prematureEnd: "parse error: premature EOF"
        }
    }

    /// The message in plain words; `found` names the byte at fault (see `found(_:)`).
    func message(found: String) -> String {
        switch self {
        case .invalidLiteral: "invalid literal\(found): expected true, false or null"
        case .invalidCharacter: "unexpected character\(found): not the start of a JSON value"
        case .invalidUTF8: "invalid UTF-8 in a string"
        case .invalidEscape: "invalid escape in a string\(found)"
        case .controlCharacter: "unescaped control character in a string\(found)"
        case .invalidHexDigit: "invalid (non-hex) character occurs after '\\u' inside string"
        case .comment: "comments are not allowed in JSON"
        case .malformedNumber(let state): state.malformedMessage
        case .trailingGarbage: "unexpected data\(found) after the end of the document (trailing garbage)"
        case .afterMember: "expected ',' or '}' after a value in an object, found\(found)"
        case .afterElement: "expected ',' or ']' after an array element, found\(found)"
        case .missingColon: "expected ':' after an object key, found\(found)"
        case .invalidKey: "expected a string as object key, found\(found)"
        case .unallowedToken: "unexpected\(found) at this point"
        case .prematureEnd: "premature EOF"
        }
    }

    /// The fault yajl met in `window` (whose first byte is at absolute offset `base`), with the
    /// parse state `state` as of `places.stateFrom`.
    static func found(in window: UnsafeBufferPointer<UInt8>, base: Int, places: TokenPlaces,
                      state: YajlParseState) -> SyntaxFault {
        if places.stateFrom >= base { return found(in: window, from: places.stateFrom - base, state: state) }
        // The state's point is before the window: the commas and colons after it were passed
        // piece by piece, up to the token pending since (`nextTokenFrom`).
        var state = state
        for separator in places.passedSeparators where !state.passing(separator) {
            return state.phase == .complete ? .trailingGarbage : rejection(in: state.phase)
        }
        if places.nextTokenFrom >= base { return found(in: window, from: places.nextTokenFrom - base, state: state) }
        // The token began before the window too (a string or number longer than the bytes kept):
        // its first byte is known; a string's bytes in the window are read on from the lexer's
        // state kept at the current piece's start (a backslash run's parity, an escape or a UTF-8
        // sequence under way), a number's from any point.
        if state.phase == .complete { return .trailingGarbage }
        let lexed: Lexed
        switch places.nextTokenByte {
        case UInt8(ascii: "\""):
            if let open = places.openString(before: places.bytesFed), places.bytesFed >= base {
                lexed = lexedString(window, from: places.bytesFed - base, in: open)
            } else {
                // Not reached: every piece yajl reads in a string carries the lexer's state on.
                assertionFailure("no lexer state for a string begun before the bytes kept")
                lexed = lexedString(window, from: 0)
            }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            lexed = lexedNumber(window, from: 0, state: .integer)
        default:
            lexed = .token(places.nextTokenByte)
        }
        switch lexed {
        case .fault(let fault): return fault
        case .unfinished: return .prematureEnd
        case .token: return rejection(in: state.phase)
        }
    }

    /// The fault yajl meets reading `bytes` from `index`, where its parse state is `state`: the
    /// first token (after whitespace and the commas and colons it takes) that it cannot take.
    /// `prematureEnd` when the bytes end first (all yajl can say once the input has ended).
    static func found(in bytes: UnsafeBufferPointer<UInt8>, from index: Int, state: YajlParseState) -> SyntaxFault {
        var state = state
        var index = max(index, 0)
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if isYajlWhitespace(byte) || state.passing(byte) { continue }
            // After the document every token is garbage, even one the lexer rejects.
            if state.phase == .complete { return .trailingGarbage }
            switch lexed(bytes, from: index - 1) {
            case .fault(let fault): return fault
            case .unfinished: return .prematureEnd
            case .token: return rejection(in: state.phase)
            }
        }
        return .prematureEnd
    }

    /// What yajl's parser says of a token it does not take in `phase`.
    private static func rejection(in phase: YajlParseState.Phase) -> SyntaxFault {
        switch phase {
        case .objectStart, .key: .invalidKey
        case .colon: .missingColon
        case .afterMember: .afterMember
        case .afterElement: .afterElement
        case .complete: .trailingGarbage
        case .value, .memberValue, .arrayStart: .unallowedToken
        }
    }

    private enum Lexed {
        /// A token yajl's lexer accepts; its first byte.
        case token(UInt8)
        case fault(SyntaxFault)
        /// The bytes end inside the token.
        case unfinished
    }

    /// How yajl's lexer (strict: no comments, UTF-8 checked) reads the token at `start`.
    private static func lexed(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Lexed {
        let first = bytes[start]
        switch first {
        case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "]"),
             UInt8(ascii: ","), UInt8(ascii: ":"):
            return .token(first)
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            let rest = first == UInt8(ascii: "t") ? "rue" : first == UInt8(ascii: "f") ? "alse" : "ull"
            var index = start + 1
            for expected in rest.utf8 {
                guard index < bytes.count else { return .unfinished }
                if bytes[index] != expected { return .fault(.invalidLiteral) }
                index += 1
            }
            return .token(first)
        case UInt8(ascii: "\""):
            return lexedString(bytes, from: start + 1)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return lexedNumber(bytes, from: start, state: .start)
        case UInt8(ascii: "/"):
            return .fault(.comment)
        default:
            return .fault(.invalidCharacter)
        }
    }

    /// A number's bytes from `start`, the grammar standing at `state` before them.
    private static func lexedNumber(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, state: NumberState) -> Lexed {
        var state = state
        for index in start..<max(start, bytes.count) {
            guard let next = state.next(bytes[index]) else {
                return state.isComplete ? .token(UInt8(ascii: "0")) : .fault(.malformedNumber(state))
            }
            state = next
        }
        return .unfinished
    }

    /// A string's bytes from `start`, the lexer standing at `open` before them (by default just
    /// past the opening quote).
    private static func lexedString(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int,
                                    in open: OpenString = OpenString()) -> Lexed {
        var open = open
        var index = max(0, start)
        while index < bytes.count {
            if !open.read(bytes[index]) { return open.fault.map { .fault($0) } ?? .token(UInt8(ascii: "\"")) }
            index += 1
        }
        return .unfinished
    }
}

/// Where yajl's lexer stands inside a string it has not seen the end of: what the next byte may
/// be. Strict, as the parser runs it: UTF-8 checked.
struct OpenString: Equatable {
    enum Expect: Equatable {
        /// Any character, a backslash or the closing quote.
        case character
        /// The byte after a backslash (a backslash run of odd length ends here).
        case escaped
        /// Hex digits of a `\u` escape, this many still.
        case hex(Int)
        /// Continuation bytes of a UTF-8 sequence, this many still.
        case continuation(Int)
    }

    private(set) var expect = Expect.character
    /// Why the lexer stopped, when it did on a fault (nil: still reading, or at the closing quote).
    private(set) var fault: SyntaxFault?

    /// Reads `byte`: false once the string ends at it or the lexer rejects it (`fault`).
    mutating func read(_ byte: UInt8) -> Bool {
        switch expect {
        case .character:
            if byte == UInt8(ascii: "\"") { return false }
            if byte == UInt8(ascii: "\\") {
                expect = .escaped
            } else if byte < 0x20 {
                return stop(.controlCharacter)
            } else if byte >= 0x80 {
                let continuations = byte >> 5 == 0x6 ? 1 : byte >> 4 == 0xE ? 2 : byte >> 3 == 0x1E ? 3 : -1
                if continuations < 0 { return stop(.invalidUTF8) }
                expect = .continuation(continuations)
            }
        case .escaped:
            if byte == UInt8(ascii: "u") {
                expect = .hex(4)
            } else if "\"\\/bfnrt".utf8.contains(byte) {
                expect = .character
            } else {
                return stop(.invalidEscape)
            }
        case .hex(let left):
            if !isHexDigit(byte) { return stop(.invalidHexDigit) }
            expect = left > 1 ? .hex(left - 1) : .character
        case .continuation(let left):
            if byte >> 6 != 0x2 { return stop(.invalidUTF8) }
            expect = left > 1 ? .continuation(left - 1) : .character
        }
        return true
    }

    private mutating func stop(_ fault: SyntaxFault) -> Bool {
        self.fault = fault
        return false
    }
}

private func isHexDigit(_ byte: UInt8) -> Bool {
    (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x66)
}
