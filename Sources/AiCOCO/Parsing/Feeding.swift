/// Feeding the engine: input is handed to yajl (or, inside records and polygons, to the engine's
/// own scanners) piece by piece, and what stops a piece becomes an error with its place.
/// yajl calls back into the engine in place (`YajlLexer.parse(_:with:)` lends it `&self`).

/// Input the engine holds back before reading it.
struct HeldInput {
    /// Input is handed to yajl in pieces of at most this size, so that a token that never ends
    /// is noticed (`maxTokenBytes`) after at most this much extra input.
    static let pieceSize = 256 << 10

    /// yajl lexes a token split across pieces again from its start at each new piece, so a
    /// string of n bytes fed in pieces of p bytes costs n²/2p. Once no token has ended for
    /// `holdThreshold` bytes (`quietBytes`), input is held back until as much again has come,
    /// then handed to yajl in one piece: the pieces double with the pending token, so it is
    /// lexed about twice in all, at any size the limits allow (for at most as much memory again).
    static let holdThreshold = 4 << 10
    var bytes: [UInt8] = []
    /// Bytes to hold before feeding them (0: not holding).
    var target = 0

    /// `allowNonFinite`: the bytes kept back from the last input (see `NonFiniteRewriter`), the
    /// buffer they are rewritten in, and the bytes handed on so far.
    var nonFiniteCarry: [UInt8] = []
    var rewritten: [UInt8] = []
    var rewrittenBytes = 0

    /// The end of the last input when it may be the start of `NaN`, `Infinity` or `-Infinity`
    /// after a value's delimiter: fed with the next input, so that an error there sees the
    /// whole token and names it whatever the chunk sizes.
    var tokenTail: [UInt8] = []
}

extension DocumentEngine {
    /// Reads the next bytes of the document.
    mutating func feed(_ input: UnsafeBufferPointer<UInt8>) throws {
        if options.allowNonFinite { return try feed(input, final: false) }
        if held.tokenTail.isEmpty {
            let keep = possibleNonFiniteTail(input)
            if keep > 0 { held.tokenTail.append(contentsOf: input[(input.count - keep)...]) }
            return try feedRaw(UnsafeBufferPointer(rebasing: input[..<(input.count - keep)]))
        }
        var joined = held.tokenTail
        held.tokenTail = []
        joined.append(contentsOf: input)
        try joined.withUnsafeBufferPointer { try feed($0) }
    }

    /// Rewrites the non-finite tokens of `input` (after the bytes kept back), then feeds it.
    mutating func feed(_ input: UnsafeBufferPointer<UInt8>, final: Bool) throws {
        var rewritten = held.rewritten
        held.rewritten = []
        rewritten.removeAll(keepingCapacity: true)
        rewritten.append(contentsOf: held.nonFiniteCarry)
        rewritten.append(contentsOf: input)
        held.nonFiniteCarry.removeAll(keepingCapacity: true)
        let base = held.rewrittenBytes
        let kept = rewritten.withUnsafeMutableBufferPointer { nonFinite.rewrite($0, base: base, final: final) }
        let count = rewritten.count - kept
        held.nonFiniteCarry.append(contentsOf: rewritten[count...])
        held.rewrittenBytes += count
        defer { held.rewritten = rewritten }
        try rewritten.withUnsafeBufferPointer { try feedRaw(UnsafeBufferPointer(rebasing: $0[..<count])) }
    }

    mutating func feedRaw(_ input: UnsafeBufferPointer<UInt8>) throws {
        if let failure { throw failure }
        guard let base = input.baseAddress else { return }
        var position = 0
        while position < input.count {
            if held.target > 0 {
                let count = min(held.target - held.bytes.count, input.count - position)
                held.bytes.append(contentsOf: UnsafeBufferPointer(start: base + position, count: count))
                position += count
                if held.bytes.count >= held.target { try feedHeld() }
                continue
            }
            let length = min(HeldInput.pieceSize, input.count - position)
            try feedChecked(UnsafeBufferPointer(start: base + position, count: length))
            position += length
            holdIfPending()
        }
    }

    /// Starts holding input back if no token has ended for a while (see `holdThreshold`); the
    /// held bytes never take the pending stretch past `maxTokenBytes` + 1, where it fails.
    private mutating func holdIfPending() {
        guard quietBytes >= HeldInput.holdThreshold, failure == nil, case .yajl = scan else { return }
        let room = options.limits.maxTokenBytes + 1 - quietBytes
        held.target = max(1, min(quietBytes, room))
    }

    /// Feeds the held bytes as one piece (and holds again if the token still goes on).
    mutating func feedHeld(holdAgain: Bool = true) throws {
        held.target = 0
        guard !held.bytes.isEmpty else { return }
        let bytes = held.bytes
        held.bytes = []
        try bytes.withUnsafeBufferPointer { try feedChecked($0) }
        if holdAgain { holdIfPending() }
    }

    /// One piece, checked for the bytes yajl takes for whitespace and JSON does not.
    private mutating func feedChecked(_ piece: UnsafeBufferPointer<UInt8>) throws {
        strictText.scan(piece, base: places.bytesFed)
        // yajl takes a form feed and a vertical tab for whitespace; RFC 8259 does not. Outside
        // strings they are then errors, and inside one yajl rejects them: any 0x0C or 0x0B
        // ends valid JSON there.
        if let at = firstFormFeedOrVerticalTab(piece) {
            try feedPiece(UnsafeBufferPointer(rebasing: piece[..<at]))
            places.tracker.begin(chunk: UnsafeBufferPointer(rebasing: piece[at...]))
            let name = piece[at] == 0x0B ? "vertical tab (0x0B)" : "form feed (0x0C)"
            let location = places.tracker.location(of: places.bytesFed)
            throw stopped(DocumentError(kind: .syntax, message: "unexpected \(name): not whitespace in JSON",
                                      path: currentPath(), location: location))
        }
        try feedPiece(piece)
    }

    /// Keeps `error` as the one every later call throws, and returns it.
    mutating func stopped(_ error: any Error) -> any Error {
        if failure == nil { failure = error }
        return failure!
    }

    private mutating func feedPiece(_ piece: UnsafeBufferPointer<UInt8>) throws {
        guard !piece.isEmpty else { return }
        places.tracker.begin(chunk: piece)
        sawEvent = false
        var position = 0
        while position < piece.count {
            switch scan {
            case .yajl:
                places.feedBase = places.bytesFed + position
                let lexer = self.lexer
                switch lexer.parse(UnsafeBufferPointer(rebasing: piece[position...]), with: &self) {
                case .ok:
                    position = piece.count
                case .stopped(.takeOver(let kind)):
                    position += lexer.bytesConsumed
                    scan = scanMode(for: kind, at: places.bytesFed + position)
                case .stopped(.failed(let error)):
                    throw stopped(error)
                case .syntaxError(let message, let consumed):
                    throw stopped(syntaxFailure(message, consumed: position + consumed, piece: piece))
                }
            case .records(var state):
                scan = .yajl
                let step = scanRecords(piece, from: position, &state)
                position = try follow(step, from: .records(state), in: piece)
            case .coordinates(var state):
                // The payload moves out of `scan`, so that its carry is changed in place.
                scan = .yajl
                let step = scanCoordinates(piece, from: position, &state)
                position = try follow(step, from: .coordinates(state), in: piece)
            }
        }
        if sawEvent {
            quietBytes = 0
        } else {
            quietBytes += piece.count
            let limit = options.limits.maxTokenBytes
            if quietBytes > limit {
                // Placed on the pending token's first byte, however far it goes on.
                let start = places.pendingTokenStart(in: piece, base: places.bytesFed).index
                let first = start < 0 ? places.nextTokenFrom : places.bytesFed + min(start, piece.count)
                let location = places.tracker.location(of: first)
                throw stopped(DocumentError(kind: .limit, message: "no complete JSON token in \(quietBytes) bytes (limit maxTokenBytes = \(limit)); a string or number this long is refused, raise the limit to read it",
                                          path: currentPath(), location: location))
            }
        }
        var handBackNow = false
        switch scan {
        case .yajl:
            places.passSeparators(piece, base: places.bytesFed)
        case .records:
            break
        case .coordinates(var state):
            if state.number?.dropped != true {
                // The polygon goes on in the next piece: keep what follows the clean point.
                scan = .yajl
                let keep = max(0, state.cleanOffset - places.bytesFed)
                state.carry.append(contentsOf: UnsafeBufferPointer(rebasing: piece[keep...]))
                // Long runs of whitespace (or a hostile number): yajl reads those without buffering.
                handBackNow = state.number == nil && state.carry.count > 4096
                scan = .coordinates(state)
            }
        }
        places.tracker.end()
        places.remember(piece)
        places.bytesFed += piece.count
        if handBackNow { try handBack(resumeIn: nil) }
    }

    /// Goes on after a scanner's `step` (`mode`: the scanner and where it stands), in `piece`.
    /// Returns where reading goes on in it.
    @inline(__always)
    private mutating func follow(_ step: ScanStep, from mode: consuming ScanMode,
                                 in piece: UnsafeBufferPointer<UInt8>) throws -> Int {
        switch step {
        case .resume(let index):
            scan = mode
            return index
        case .switchTo(let next, let index):
            scan = next
            return index
        case .handBack:
            scan = mode
            return try handBack(resumeIn: piece)
        case .stop(let error):
            throw stopped(error)
        }
    }

    /// yajl reads on from the scanner's clean point, and reports what it finds as it would have.
    /// Returns where yajl resumes in `piece` (nil when called between pieces).
    @discardableResult
    mutating func handBack(resumeIn piece: UnsafeBufferPointer<UInt8>?) throws -> Int {
        let clean: Int
        var carry: [UInt8] = []
        switch scan {
        case .yajl:
            return 0
        case .records(let state):
            restartLexer(position: state.position, objectTop: state.objectTop)
            clean = state.cleanOffset
        case .coordinates(let state):
            restartLexer(position: state.afterValue ? .afterValue : .afterOpen, objectTop: false)
            clean = state.cleanOffset
            carry = state.carry
        }
        scan = .yajl
        let pieceBase = places.bytesFed
        places.resume(at: clean)
        guard clean < pieceBase || piece == nil else { return clean - pieceBase }
        // The clean point is in an earlier piece: yajl first reads the bytes kept from it.
        guard !carry.isEmpty else { return 0 }
        places.feedBase = clean
        let lexer = self.lexer
        let outcome = carry.withUnsafeBufferPointer { lexer.parse($0, with: &self) }
        switch outcome {
        case .ok:
            carry.withUnsafeBufferPointer { places.passSeparators($0, base: clean) }
        case .stopped(.failed(let error)):
            throw stopped(error)
        case .stopped(.takeOver):
            // A new handle replays no record or list start: no handler asks for the scanners here.
            preconditionFailure("the coordinate scanner's carry holds no record or list start")
        case .syntaxError(let message, let consumed):
            let error = carry.withUnsafeBufferPointer { carried in
                syntaxFailure(message, consumed: consumed, piece: carried, base: clean, before: [])
            }
            throw stopped(error)
        }
        return 0
    }
}
