/// Placing yajl's syntax errors on the token at fault, and saying them in plainer words.
extension DocumentEngine {
    /// The place of a syntax error. yajl's lexer stops just past a byte it rejects, or on it
    /// when it "backs up"; its parser moves back to the start of a token it did not expect
    /// (for a string: two bytes into it).
    /// `consumed` counts from `piece[0]`. `base` is the absolute offset of `piece[0]`, `before`
    /// the bytes just before it, if known.
    /// `yajlMessage` is what yajl said: debug builds check that the fault found is it.
    mutating func syntaxFailure(_ yajlMessage: String, consumed: Int, piece: UnsafeBufferPointer<UInt8>,
                                base pieceBase: Int? = nil, before: [UInt8]? = nil) -> DocumentError {
        // A token may have started in an earlier piece (yajl buffers it): look at the
        // bytes kept from before this piece as well.
        let history = before ?? places.history
        let window = history + Array(piece)
        let base = (pieceBase ?? places.bytesFed) - history.count
        let end = history.count + min(consumed, piece.count)
        let places = self.places
        let state = lexer.parseState
        let fault = window.withUnsafeBufferPointer { SyntaxFault.found(in: $0, base: base, places: places, state: state) }
        assert(fault.yajlText == yajlMessage, "found \(fault.yajlText), yajl said \(yajlMessage)")
        let (offset, byte) = window.withUnsafeBufferPointer {
            fault.place(in: $0, base: base, end: end, valueEnd: places.lastValueEnd, places: places)
        }
        // `NaN`, `Infinity`, `-Infinity`: Python's, and said so.
        if let token = window.withUnsafeBufferPointer({ nonFiniteToken(in: $0, near: offset) }) {
            return DocumentError(kind: .syntax, message: nonFiniteMessage(token.token), path: currentPath(),
                               location: self.places.tracker.location(of: base + token.start))
        }
        let location = self.places.tracker.location(of: base + offset)
        return DocumentError(kind: .syntax, message: fault.message(found: found(byte)), path: currentPath(),
                           location: location)
    }

    /// The fault yajl found when the input ended (`yajlMessage`, checked in debug builds): in the
    /// bytes kept, and the space yajl reads after them to end a number or a literal.
    func faultAtEnd(_ yajlMessage: String) -> SyntaxFault {
        let window = places.history + [0x20]
        let base = places.bytesFed - places.history.count
        let state = lexer.parseState
        let places = self.places
        let fault = window.withUnsafeBufferPointer { SyntaxFault.found(in: $0, base: base, places: places, state: state) }
        assert(fault.yajlText == yajlMessage, "found \(fault.yajlText) at the end, yajl said \(yajlMessage)")
        return fault
    }
}

extension SyntaxFault {
    /// Where this fault lies in `window` (its first byte at absolute offset `base`), yajl having
    /// stopped at index `end`: the index of the byte or token at fault, and that byte (a negative
    /// index, with the token's first byte, for a token begun before the window). `valueEnd`: the
    /// absolute offset just past the last value read.
    func place(in window: UnsafeBufferPointer<UInt8>, base: Int, end: Int, valueEnd: Int,
               places: TokenPlaces) -> (index: Int, byte: UInt8?) {
        let at = { (index: Int) in (index, index < window.count ? window[index] : nil) }
        if isLexical {
            let backedUp = !(self == .invalidCharacter || self == .invalidUTF8)
            return at(backedUp ? end : max(0, end - 1))
        }
        if self == .afterMember || self == .trailingGarbage {
            // yajl moves back by the token's length, or to the piece's start when the token
            // began before it (after the document, it may stop anywhere): whatever the split,
            // the token is the first after the value (or the document), only whitespace between.
            var index = valueEnd - base
            if index < 0 {
                // The value ended before the window: the token is the one pending since.
                let pending = places.pendingTokenStart(in: window, base: base)
                if pending.index < 0 { return pending }
                index = 0
            }
            while index < window.count, isJSONWhitespace(window[index]) { index += 1 }
            return at(index)
        }
        // A string, number or literal yajl did not expect: the token after the last one
        // handed out (only whitespace and valid commas or colons between), wherever it began.
        if end > 0, end <= window.count, window[end - 1] == UInt8(ascii: "\"") || isWordByte(window[end - 1]) {
            return places.pendingTokenStart(in: window, base: base)
        }
        return at(max(0, min(end, window.count) - 1))
    }
}

/// The byte at fault, for `SyntaxFault.message`: " 'x'", " (byte 0x..)", or nothing.
func found(_ byte: UInt8?) -> String {
    guard let byte else { return "" }
    return byte >= 0x21 && byte < 0x7F ? " '\(Character(Unicode.Scalar(byte)))'"
        : " (byte 0x\(String(byte, radix: 16, uppercase: true)))"
}

func isJSONWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
}

/// A byte of a number or a literal (true, false, null).
private func isWordByte(_ byte: UInt8) -> Bool {
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
        || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
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
