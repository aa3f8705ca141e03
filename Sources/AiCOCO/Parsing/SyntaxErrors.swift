/// Placing yajl's syntax errors on the token at fault, and saying them in plainer words.
extension ParserState {
    /// The place of a syntax error. yajl's lexer stops just past a byte it rejects, or on it
    /// when it "backs up"; its parser moves back to the start of a token it did not expect
    /// (for a string: two bytes into it).
    /// `consumed` counts from `piece[0]`. `base` is the absolute offset of `piece[0]`, `before`
    /// the bytes just before it, if known.
    mutating func syntaxFailure(_ message: String, consumed: Int, piece: UnsafeBufferPointer<UInt8>,
                                base pieceBase: Int? = nil, before: [UInt8]? = nil) -> AiCOCOError {
        // A token may have started in an earlier piece (yajl buffers it): look at the
        // bytes kept from before this piece as well.
        let history = before ?? self.history
        let window = history + Array(piece)
        let base = (pieceBase ?? bytesFed) - history.count
        let end = history.count + min(consumed, piece.count)
        let lastValueEnd = self.lastValueEnd
        let offset: Int = window.withUnsafeBufferPointer { window in
            if message.hasPrefix("lexical error") {
                let backedUp = !(message.contains("invalid char in json text") || message.contains("UTF8"))
                return backedUp ? end : max(0, end - 1)
            }
            if message.contains("after key and value, inside map") || message.contains("trailing garbage") {
                // yajl moves back by the token's length, or to the piece's start when the token
                // began before it (after the document, it may stop anywhere): whatever the split,
                // the token is the first after the value (or the document).
                var index = max(0, lastValueEnd - base)
                while index < window.count, isJSONWhitespace(window[index]) { index += 1 }
                return index
            }
            return tokenStart(endingAt: end, in: window)
        }
        var found = ""
        if offset < window.count {
            let byte = window[offset]
            found = byte >= 0x21 && byte < 0x7F ? " '\(Character(Unicode.Scalar(byte)))'"
                : " (byte 0x\(String(byte, radix: 16, uppercase: true)))"
        }
        let location = tracker.location(of: base + offset)
        fail(.syntax, explainYajl(message, found: found), at: location, path: currentPath())
        return failure!
    }
}

/// yajl's message in plainer words.
func explainYajl(_ message: String, found: String) -> String {
    let table: [(String, String)] = [
        ("invalid string in json text", "invalid literal\(found): expected true, false or null"),
        ("invalid char in json text", "unexpected character\(found): not the start of a JSON value"),
        ("invalid bytes in UTF8 string", "invalid UTF-8 in a string"),
        ("occurs before a character which it may not", "invalid escape in a string\(found)"),
        ("invalid character inside string", "unescaped control character in a string\(found)"),
        ("must be followed by 4 hex digits", "\\u in a string must be followed by 4 hex digits"),
        ("after the decimal point", "malformed number: a digit is required after the decimal point"),
        ("after the exponent", "malformed number: a digit is required after the exponent"),
        ("after the minus sign", "malformed number: a digit is required after the minus sign"),
        ("comments are not enabled", "comments are not allowed in JSON"),
        ("trailing garbage", "unexpected data\(found) after the end of the document (trailing garbage)"),
        ("after key and value, inside map", "expected ',' or '}' after a value in an object, found\(found)"),
        ("after array element", "expected ',' or ']' after an array element, found\(found)"),
        ("separated by a colon", "expected ':' after an object key, found\(found)"),
        ("invalid object key", "expected a string as object key, found\(found)"),
        ("unallowed token at this point", "unexpected\(found) at this point"),
    ]
    for (pattern, text) in table where message.contains(pattern) { return text }
    return message.replacingOccurrences("parse error: ", with: "").replacingOccurrences("lexical error: ", with: "")
}

func isJSONWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
}

/// The start of the token that ends just before `end` in `piece`.
private func tokenStart(endingAt end: Int, in piece: UnsafeBufferPointer<UInt8>) -> Int {
    guard end > 0, end <= piece.count else { return min(end, piece.count) }
    let last = piece[end - 1]
    if last == UInt8(ascii: "\"") {
        return stringStart(closingQuoteAt: end - 1, in: piece) ?? end - 1
    }
    let isWord: (UInt8) -> Bool = { byte in
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
    }
    guard isWord(last) else { return end - 1 }
    var start = end - 1
    while start > 0, isWord(piece[start - 1]) { start -= 1 }
    return start
}

/// Index of the quote that opens the string whose closing quote is at `close`.
private func stringStart(closingQuoteAt close: Int, in piece: UnsafeBufferPointer<UInt8>) -> Int? {
    var index = close - 1
    while index >= 0 {
        if piece[index] == UInt8(ascii: "\"") {
            var backslashes = 0
            var before = index - 1
            while before >= 0, piece[before] == UInt8(ascii: "\\") {
                backslashes += 1
                before -= 1
            }
            if backslashes % 2 == 0 { return index }
        }
        index -= 1
    }
    return nil
}

extension String {
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}

extension Substring {
    func range(of target: String) -> Range<Index>? {
        var start = startIndex
        while start < endIndex {
            if self[start...].hasPrefix(target) {
                return start..<index(start, offsetBy: target.count)
            }
            start = index(after: start)
        }
        return nil
    }
}
