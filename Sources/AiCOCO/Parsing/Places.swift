/// Problems and where they are: the stops that end the parse, problems handed to the delegate,
/// and the place (offset, line, column) of the token being handed out. Places are computed only
/// when a problem is reported.
extension DocumentEngine {
    /// A stop for the input's error `kind` at `location`.
    func failure(_ kind: DocumentError.Kind, _ message: String, at location: SourceLocation, path: String) -> EngineStop {
        .failed(DocumentError(kind: kind, message: message, path: path, location: location))
    }

    /// A stop for a limit reached at `location`, at the current path.
    func limitFailure(_ message: String, at location: SourceLocation) -> EngineStop {
        failure(.limit, message, at: location, path: currentPath())
    }

    /// Hands a problem to the delegate; if it throws, the parse stops with that error.
    mutating func report(_ error: DocumentError) throws(EngineStop) {
        do {
            try delegate.engineProblem(error)
        } catch {
            throw .failed(error)
        }
    }

    /// Reports a problem from inside a callback: syntax errors and limits stop the parse, the
    /// others go to the delegate (which stops it by throwing).
    mutating func problem(_ kind: DocumentError.Kind, _ message: String, at location: SourceLocation,
                          path: String) throws(EngineStop) {
        record.fields.valid = false
        if kind == .limit || kind == .syntax { throw failure(kind, message, at: location, path: path) }
        try report(DocumentError(kind: kind, message: message, path: path, location: location))
    }

    /// The stop for an error the delegate threw from a record or chunk: the visitor's own error
    /// as it is; a record too large for the visitor, a limit placed here.
    mutating func visitorThrew(_ error: any Error) -> EngineStop {
        if let limit = error as? RecordLimitExceeded {
            return limitFailure(limit.message, at: places.tracker.location(of: tokenEnd()))
        }
        return .failed(error)
    }

    /// Stops the parse with the bad UTF-8 or escape `strictText` found, if any: a syntax error
    /// placed on its first byte.
    mutating func checkStrictText() throws(EngineStop) {
        guard strictText.firstBad != Int.max else { return }
        throw failure(.syntax, strictText.message, at: places.tracker.location(of: strictText.firstBad), path: currentPath())
    }

    /// Absolute offset just past the token yajl is handing out.
    func tokenEnd() -> Int {
        if places.scannedTokenEnd >= 0 { return places.scannedTokenEnd }
        return completing ? places.bytesFed : places.feedBase + lexer.bytesConsumed
    }

    mutating func containerStart() -> SourceLocation {
        places.tracker.location(of: max(0, tokenEnd() - 1))
    }

    mutating func numberStart(length: Int) -> SourceLocation {
        places.tracker.location(of: max(0, tokenEnd() - length))
    }

    /// Where the string (or key) just handed out starts: its opening quote (`length`, its
    /// decoded length, says nothing of it once escapes are decoded).
    mutating func stringStart(length _: Int) -> SourceLocation {
        places.tracker.location(of: places.stringStartOffset())
    }

    mutating func scalarStart(_ kind: ScalarKind, length: Int) -> SourceLocation {
        switch kind {
        case .null, .trueValue: numberStart(length: 4)
        case .falseValue: numberStart(length: 5)
        case .number: numberStart(length: length)
        case .string: stringStart(length: length)
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
