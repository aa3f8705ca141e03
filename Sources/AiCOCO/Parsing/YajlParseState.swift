// yajl's parser state, followed from the tokens it hands out: what a syntax error is made of.

/// yajl's parser state (which it keeps private), followed token by token: the containers open
/// and what the innermost one expects next, as of the last token handed out. The commas and
/// colons read since are not in it (yajl hands them to no callback): `passing(_:)` follows them.
struct YajlParseState {
    /// What the parser expects next (yajl's `yajl_state`s, less its error states).
    enum Phase: UInt8 {
        /// Before the document's value (`start`), or after a comma in an array (`array_need_val`).
        case value
        /// After the document's value (`parse_complete`).
        case complete
        /// After `{` (`map_start`): a key or `}`.
        case objectStart
        /// After a comma in an object (`map_need_key`): a key.
        case key
        /// After a key (`map_sep`): a colon.
        case colon
        /// After a key's colon (`map_need_val`).
        case memberValue
        /// After a member's value (`map_got_val`): a comma or `}`.
        case afterMember
        /// After `[` (`array_start`): a value or `]`.
        case arrayStart
        /// After an element (`array_got_val`): a comma or `]`.
        case afterElement
    }

    /// What one token handed out does.
    enum Step { case value, openObject, openArray, key, close }

    private(set) var phase = Phase.value
    /// One bit per open container, innermost lowest: 1 for an object, 0 for an array.
    private var objects: [UInt64] = []
    private(set) var depth = 0

    /// The innermost container is an object.
    var inObject: Bool { depth > 0 && objects[(depth - 1) >> 6] >> UInt64((depth - 1) & 63) & 1 == 1 }

    /// With several values allowed (JSON lines), yajl reads on after a complete value as it
    /// reads the first: its state as it meets the next token.
    func readingAnotherValue() -> YajlParseState {
        var state = self
        if state.phase == .complete { state.phase = .value }
        return state
    }

    @inline(__always)
    mutating func note(_ step: Step) {
        switch step {
        case .value: ended()
        case .key: phase = .colon
        case .close:
            depth -= 1
            ended()
        case .openObject, .openArray:
            let word = depth >> 6
            if word == objects.count { objects.append(0) }
            let bit = UInt64(1) << UInt64(depth & 63)
            if step == .openObject { objects[word] |= bit } else { objects[word] &= ~bit }
            depth += 1
            phase = step == .openObject ? .objectStart : .arrayStart
        }
    }

    /// A value has ended: what its container (or the document) expects after it.
    @inline(__always)
    private mutating func ended() {
        phase = depth == 0 ? .complete : inObject ? .afterMember : .afterElement
    }

    /// Reads `byte`, a comma or colon yajl accepts here (whitespace is not passed): false, and
    /// no change, when it is anything else.
    mutating func passing(_ byte: UInt8) -> Bool {
        switch (phase, byte) {
        case (.colon, UInt8(ascii: ":")): phase = .memberValue
        case (.afterMember, UInt8(ascii: ",")): phase = .key
        case (.afterElement, UInt8(ascii: ",")): phase = .value
        default: return false
        }
        return true
    }

    /// Back to the state of a new handle.
    mutating func reset() {
        phase = .value
        depth = 0
    }
}

/// What yajl's lexer passes over between tokens (it takes vertical tabs and form feeds too).
@inline(__always)
func isYajlWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
}
