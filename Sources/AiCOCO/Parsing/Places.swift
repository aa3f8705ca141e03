/// Problems and where they are: stopping the parse, handing problems to the delegate, and the
/// place (offset, line, column) of the token yajl is handing out. Places are computed only
/// when a problem is reported.
extension ParserState {
    mutating func fail(_ kind: DocumentError.Kind, _ message: String, at location: SourceLocation, path: String) {
        if failure == nil {
            failure = DocumentError(kind: kind, message: message, path: path, location: location)
        }
    }

    /// Hands a problem to the delegate; if it throws, the parse stops with that error.
    mutating func report(_ error: DocumentError) throws {
        do {
            try delegate.engineProblem(error)
        } catch let stop as DocumentError {
            failure = stop
            throw stop
        }
    }

    /// Reports a problem from inside a callback. Returns false when the parse must stop.
    mutating func problem(_ kind: DocumentError.Kind, _ message: String, at location: SourceLocation,
                          path: String) -> Bool {
        record.valid = false
        if kind == .limit || kind == .syntax {
            fail(kind, message, at: location, path: path)
            return false
        }
        do {
            try report(DocumentError(kind: kind, message: message, path: path, location: location))
            return true
        } catch {
            return false
        }
    }

    /// Stops the parse because the delegate threw from a record or chunk.
    mutating func delegateFailed(_ error: Error) -> Bool {
        if let error = error as? DocumentError {
            fail(error.kind, error.message, at: error.location, path: error.path)
        } else if let limit = error as? RecordLimitExceeded {
            let location = tracker.location(of: tokenEnd())
            fail(.limit, limit.message, at: location, path: currentPath())
            return false
        } else {
            let location = tracker.location(of: tokenEnd())
            fail(.io, "stopped by the consumer: \(error)", at: location, path: currentPath())
        }
        delegateError = error
        return false
    }

    /// Stops the parse with the bad UTF-8 or escape `strictText` found, if any: a syntax error
    /// placed on its first byte. True when it did.
    mutating func strictTextFailed() -> Bool {
        guard strictText.firstBad != Int.max else { return false }
        fail(.syntax, strictText.message, at: tracker.location(of: strictText.firstBad), path: currentPath())
        return true
    }

    /// Absolute offset just past the token yajl is handing out.
    func tokenEnd() -> Int {
        if scannedTokenEnd >= 0 { return scannedTokenEnd }
        return completing ? bytesFed : feedBase + lexer.bytesConsumed
    }

    mutating func containerStart() -> SourceLocation {
        tracker.location(of: max(0, tokenEnd() - 1))
    }

    mutating func numberStart(length: Int) -> SourceLocation {
        tracker.location(of: max(0, tokenEnd() - length))
    }

    /// Where the string (or key) just handed out starts: its opening quote (`length`, its
    /// decoded length, says nothing of it once escapes are decoded).
    mutating func stringStart(length _: Int) -> SourceLocation {
        tracker.location(of: stringStartOffset())
    }

    mutating func scalarStart(_ kind: ScalarKind, length: Int) -> SourceLocation {
        switch kind {
        case .null, .trueValue: numberStart(length: 4)
        case .falseValue: numberStart(length: 5)
        case .number: numberStart(length: length)
        case .string: stringStart(length: length)
        }
    }

    /// Keeps the last bytes of `piece` (the piece being finished) in `history`.
    mutating func remember(_ piece: UnsafeBufferPointer<UInt8>) {
        let keep = min(piece.count, historyLimit)
        // The history must end at the current piece without a gap.
        if keep < piece.count { history.removeAll(keepingCapacity: true) }
        history.append(contentsOf: UnsafeBufferPointer(rebasing: piece[(piece.count - keep)...]))
        if history.count > 2 * historyLimit {
            history.removeFirst(history.count - historyLimit)
        }
    }
}

/// The text of `bytes` (UTF-8, already validated by yajl).
func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    String(decoding: bytes, as: UTF8.self)
}

/// At most the first 40 bytes of a token, for messages (then "..."): a message never repeats
/// a huge token.
func quotedToken(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
    guard bytes.count > 40 else { return string(bytes) }
    var end = 40
    // Cut at a character boundary.
    while end > 0, bytes[end] & 0xC0 == 0x80 { end -= 1 }
    return string(UnsafeBufferPointer(rebasing: bytes[0..<end])) + "..."
}

/// `jsonQuoted` of at most the first 40 bytes of `text` (then "...").
func quotedKey(_ text: String) -> String {
    guard text.utf8.count > 40 else { return jsonQuoted(text) }
    var prefix = ""
    for character in text {
        if prefix.utf8.count + character.utf8.count > 40 { break }
        prefix.append(character)
    }
    return jsonQuoted(prefix) + "..."
}
