// What yajl 2.1 rejects, found as it finds it: from its parse state and the bytes after the last
// token it handed out, not from its message (whose text is the only way yajl tells the kind); the
// message decides only where the bytes kept cannot tell (`SyntaxFault.checked(against:)`).

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

    /// This fault, or the one yajl said (`yajlMessage`) when they differ. They differ only where the
    /// bytes kept cannot tell: a token that began before them, such as a string of thousands of
    /// backslashes whose escapes' parity is lost (found by the fuzzer, fed in small pieces).
    func checked(against yajlMessage: String) -> SyntaxFault {
        if yajlText == yajlMessage { return self }
        let simple: [SyntaxFault] = [.invalidLiteral, .invalidCharacter, .invalidUTF8, .invalidEscape, .controlCharacter,
                                     .invalidHexDigit, .comment, .trailingGarbage, .afterMember, .afterElement,
                                     .missingColon, .invalidKey, .unallowedToken, .prematureEnd]
        return simple.first { $0.yajlText == yajlMessage } ?? self
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
        // its first byte is known, and its bytes in the window are read from a point where a
        // character starts.
        if state.phase == .complete { return .trailingGarbage }
        let lexed: Lexed
        switch places.nextTokenByte {
        case UInt8(ascii: "\""):
            var start = 1
            while start < window.count, !startsCharacter(window, at: start) { start += 1 }
            lexed = lexedString(window, from: start)
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

    /// In a string, a character starts at `index`: an escape (a backslash not after one), or
    /// whatever follows a byte that no escape or UTF-8 sequence goes on from.
    private static func startsCharacter(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        let before = bytes[index - 1]
        if before == UInt8(ascii: "\\") { return false }
        return bytes[index] == UInt8(ascii: "\\") || (before < 0x80 && before != UInt8(ascii: "u") && !isHexDigit(before))
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

    /// A string's bytes after its opening quote, from `start`.
    private static func lexedString(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Lexed {
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") { return .token(UInt8(ascii: "\"")) }
            if byte == UInt8(ascii: "\\") {
                guard index < bytes.count else { return .unfinished }
                let escaped = bytes[index]
                index += 1
                if escaped == UInt8(ascii: "u") {
                    for _ in 0..<4 {
                        guard index < bytes.count else { return .unfinished }
                        if !isHexDigit(bytes[index]) { return .fault(.invalidHexDigit) }
                        index += 1
                    }
                } else if !"\"\\/bfnrt".utf8.contains(escaped) {
                    return .fault(.invalidEscape)
                }
            } else if byte < 0x20 {
                return .fault(.controlCharacter)
            } else if byte >= 0x80 {
                let continuations = byte >> 5 == 0x6 ? 1 : byte >> 4 == 0xE ? 2 : byte >> 3 == 0x1E ? 3 : -1
                if continuations < 0 { return .fault(.invalidUTF8) }
                for _ in 0..<continuations {
                    guard index < bytes.count else { return .unfinished }
                    if bytes[index] >> 6 != 0x2 { return .fault(.invalidUTF8) }
                    index += 1
                }
            }
        }
        return .unfinished
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x66)
    }
}
