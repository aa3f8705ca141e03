/// The engine behind every reader: it feeds the input to yajl (or, inside polygons, to the
/// coordinate scanner) piece by piece, and turns what stops a piece into an error with its place.
/// yajl calls back into the `ParserState` it owns (see `Dispatch.swift`), which checks the
/// format, builds the record being read and hands records and coordinate chunks to the delegate.
///
/// The state is reached only through `state.pointee`, one access at a time: a call into yajl
/// happens here, outside the state's own methods, because yajl calls back into the state.
final class ParserEngine {
    private let state: UnsafeMutablePointer<ParserState>
    private let lexer: YajlLexer<ParserState>

    /// Input is handed to yajl in pieces of at most this size, so that a token that never ends
    /// is noticed (`maxTokenBytes`) after at most this much extra input.
    private let pieceSize = 256 << 10

    /// yajl lexes a token split across pieces again from its start at each new piece, so a
    /// string of n bytes fed in pieces of p bytes costs n²/2p. Once no token has ended for
    /// `holdThreshold` bytes (`quietBytes`), input is held back until as much again has come,
    /// then handed to yajl in one piece: the pieces double with the pending token, so it is
    /// lexed about twice in all, at any size the limits allow (for at most as much memory again).
    private let holdThreshold = 4 << 10
    private var held: [UInt8] = []
    /// Bytes to hold before feeding them (0: not holding).
    private var holdTarget = 0

    init(options: ParserOptions, delegate: EngineDelegate) {
        state = .allocate(capacity: 1)
        state.initialize(to: ParserState(options: options, delegate: delegate))
        lexer = YajlLexer(handler: state)
        state.pointee.lexer = lexer
    }

    deinit {
        state.pointee.release()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    var bytesFed: Int { state.pointee.bytesFed }

    /// Where the input fed so far ends, and the JSON path there (for a failure of the input itself).
    func endOfInput() -> (SourceLocation, String) {
        (state.pointee.tracker.location(of: state.pointee.bytesFed), state.pointee.currentPath())
    }

    /// What the records artifact of a tabular output needs, once the document has ended well:
    /// its reference, `meta.window_size`, and the checker that knows the document's ids.
    var tabularArtifact: (reference: RecordsReference, windowSize: Int?, checker: ReferenceChecker?)? {
        let s = state.pointee
        guard s.documentKind == .tabular, let reference = s.recordsReference else { return nil }
        return (reference, s.windowSize, s.checker)
    }

    /// The document's kind and form of records, once it has ended with the keys of a kind.
    var documentForm: DocumentForm? {
        let s = state.pointee
        guard let kind = s.documentKind else { return nil }
        return DocumentForm(kind: kind, records: kind == .tabular ? s.recordsForm : nil)
    }

    /// The delegate, for the artifact's records and problems.
    var delegate: EngineDelegate { state.pointee.delegate }

    /// The error a delegate threw, if that is what stopped the parse (rethrown as is by readers).
    var delegateError: Error? { state.pointee.delegateError }

    /// `allowNonFinite`: the bytes kept back from the last input (see `NonFiniteRewriter`), the
    /// buffer they are rewritten in, and the bytes handed on so far.
    private var nonFiniteCarry: [UInt8] = []
    private var rewritten: [UInt8] = []
    private var rewrittenBytes = 0

    /// The end of the last input when it may be the start of `NaN`, `Infinity` or `-Infinity`
    /// after a value's delimiter: fed with the next input, so that an error there sees the
    /// whole token and names it whatever the chunk sizes.
    private var tokenTail: [UInt8] = []

    func feed(_ input: UnsafeBufferPointer<UInt8>) throws {
        if state.pointee.options.allowNonFinite { return try feedRewriting(input, final: false) }
        if tokenTail.isEmpty {
            let keep = possibleNonFiniteTail(input)
            if keep > 0 { tokenTail.append(contentsOf: input[(input.count - keep)...]) }
            return try feedRaw(UnsafeBufferPointer(rebasing: input[..<(input.count - keep)]))
        }
        var joined = tokenTail
        tokenTail = []
        joined.append(contentsOf: input)
        try joined.withUnsafeBufferPointer { try feed($0) }
    }

    /// Rewrites the non-finite tokens of `input` (after the bytes kept back), then feeds it.
    private func feedRewriting(_ input: UnsafeBufferPointer<UInt8>, final: Bool) throws {
        rewritten.removeAll(keepingCapacity: true)
        rewritten.append(contentsOf: nonFiniteCarry)
        rewritten.append(contentsOf: input)
        nonFiniteCarry.removeAll(keepingCapacity: true)
        let base = rewrittenBytes
        let kept = rewritten.withUnsafeMutableBufferPointer {
            state.pointee.nonFinite.rewrite($0, base: base, final: final)
        }
        let count = rewritten.count - kept
        nonFiniteCarry.append(contentsOf: rewritten[count...])
        rewrittenBytes += count
        try rewritten.withUnsafeBufferPointer { try feedRaw(UnsafeBufferPointer(rebasing: $0[..<count])) }
    }

    /// Those of the records artifact, once read.
    var artifactNonFiniteCounts = NonFiniteCounts()

    /// `NaN`, `Infinity` and `-Infinity` read so far (`allowNonFinite`).
    var nonFiniteCounts: NonFiniteCounts { state.pointee.nonFinite.counts }

    private func feedRaw(_ input: UnsafeBufferPointer<UInt8>) throws {
        if let failure = state.pointee.failure { throw failure }
        guard let base = input.baseAddress else { return }
        var position = 0
        while position < input.count {
            if holdTarget > 0 {
                let count = min(holdTarget - held.count, input.count - position)
                held.append(contentsOf: UnsafeBufferPointer(start: base + position, count: count))
                position += count
                if held.count >= holdTarget { try feedHeld() }
                continue
            }
            let length = min(pieceSize, input.count - position)
            try feedChecked(UnsafeBufferPointer(start: base + position, count: length))
            position += length
            holdIfPending()
        }
    }

    /// Starts holding input back if no token has ended for a while (see `holdThreshold`); the
    /// held bytes never take the pending stretch past `maxTokenBytes` + 1, where it fails.
    private func holdIfPending() {
        let s = state
        guard s.pointee.quietBytes >= holdThreshold, s.pointee.failure == nil, !s.pointee.fast.active else { return }
        let room = s.pointee.options.limits.maxTokenBytes + 1 - s.pointee.quietBytes
        holdTarget = max(1, min(s.pointee.quietBytes, room))
    }

    /// Feeds the held bytes as one piece (and holds again if the token still goes on).
    private func feedHeld(holdAgain: Bool = true) throws {
        holdTarget = 0
        guard !held.isEmpty else { return }
        defer { held = [] }
        try held.withUnsafeBufferPointer { try feedChecked($0) }
        if holdAgain { holdIfPending() }
    }

    /// One piece, checked for the bytes yajl takes for whitespace and JSON does not.
    private func feedChecked(_ piece: UnsafeBufferPointer<UInt8>) throws {
        state.pointee.strictText.scan(piece, base: state.pointee.bytesFed)
        // yajl takes a form feed and a vertical tab for whitespace; RFC 8259 does not. Outside
        // strings they are then errors, and inside one yajl rejects them: any 0x0C or 0x0B
        // ends valid JSON there.
        if let at = firstFormFeedOrVerticalTab(piece) {
            try feedPiece(UnsafeBufferPointer(rebasing: piece[..<at]))
            let s = state
            s.pointee.tracker.begin(chunk: UnsafeBufferPointer(rebasing: piece[at...]))
            let name = piece[at] == 0x0B ? "vertical tab (0x0B)" : "form feed (0x0C)"
            let location = s.pointee.tracker.location(of: s.pointee.bytesFed)
            s.pointee.fail(.syntax, "unexpected \(name): not whitespace in JSON", at: location,
                           path: s.pointee.currentPath())
            throw s.pointee.failure!
        }
        try feedPiece(piece)
    }

    private func feedPiece(_ piece: UnsafeBufferPointer<UInt8>) throws {
        guard !piece.isEmpty else { return }
        let s = state
        s.pointee.tracker.begin(chunk: piece)
        s.pointee.sawEvent = false
        var position = 0
        while position < piece.count {
            if s.pointee.fast.active {
                let step = s.pointee.fast.records ? s.pointee.scanRecords(piece, from: position)
                    : s.pointee.scanCoordinates(piece, from: position)
                switch step {
                case .resume(let index):
                    position = index
                    // If the scanners have stopped, yajl reads on from here.
                    if !s.pointee.fast.active { s.pointee.nextTokenFrom = s.pointee.bytesFed + index }
                case .handBack: position = try handBack(resumeIn: piece)
                case .stop: throw s.pointee.failure!
                }
                continue
            }
            s.pointee.feedBase = s.pointee.bytesFed + position
            switch lexer.parse(UnsafeBufferPointer(rebasing: piece[position...])) {
            case .ok:
                position = piece.count
            case .stoppedByEngine:
                guard s.pointee.failure == nil, let takeover = s.pointee.takeover else { throw s.pointee.failure! }
                s.pointee.takeover = nil
                position += lexer.bytesConsumed
                s.pointee.beginFastScan(takeover, at: s.pointee.bytesFed + position)
            case .syntaxError(let message, let consumed):
                throw s.pointee.syntaxFailure(message, consumed: position + consumed, piece: piece)
            }
        }
        if s.pointee.sawEvent {
            s.pointee.quietBytes = 0
        } else {
            s.pointee.quietBytes += piece.count
            let limit = s.pointee.options.limits.maxTokenBytes
            if s.pointee.quietBytes > limit {
                // Placed on the pending token's first byte, however far it goes on.
                let start = s.pointee.pendingTokenStart(in: piece, base: s.pointee.bytesFed).index
                let first = start < 0 ? s.pointee.nextTokenFrom : s.pointee.bytesFed + min(start, piece.count)
                let location = s.pointee.tracker.location(of: first)
                s.pointee.fail(.limit, "no complete JSON token in \(s.pointee.quietBytes) bytes (limit maxTokenBytes = \(limit)); a string or number this long is refused, raise the limit to read it",
                               at: location, path: s.pointee.currentPath())
                throw s.pointee.failure!
            }
        }
        if s.pointee.fast.active && s.pointee.fast.number?.dropped != true {
            // The polygon goes on in the next piece: keep what follows the clean point.
            let keep = max(0, s.pointee.fast.cleanOffset - s.pointee.bytesFed)
            s.pointee.fast.carry.append(contentsOf: UnsafeBufferPointer(rebasing: piece[keep...]))
        }
        if !s.pointee.fast.active { s.pointee.passSeparators(piece, base: s.pointee.bytesFed) }
        s.pointee.tracker.end()
        s.pointee.remember(piece)
        s.pointee.bytesFed += piece.count
        if s.pointee.fast.active && s.pointee.fast.number == nil && s.pointee.fast.carry.count > 4096 {
            // Long runs of whitespace (or a hostile number): yajl reads those without buffering.
            try handBack(resumeIn: nil)
        }
    }

    /// yajl reads on from the scanner's clean point, and reports what it finds as it would have.
    /// Returns where yajl resumes in `piece` (nil when called between pieces).
    @discardableResult
    private func handBack(resumeIn piece: UnsafeBufferPointer<UInt8>?) throws -> Int {
        let s = state
        if s.pointee.fast.records {
            s.pointee.restartLexer(position: s.pointee.fast.position, objectTop: s.pointee.fast.objectTop)
        } else {
            s.pointee.restartLexer(position: s.pointee.fast.afterValue ? .afterValue : .afterOpen, objectTop: false)
        }
        let clean = s.pointee.fast.cleanOffset
        let carry = s.pointee.fast.carry
        s.pointee.fast = FastScan()
        let pieceBase = s.pointee.bytesFed
        s.pointee.nextTokenFrom = clean
        if clean < pieceBase || piece == nil {
            // The clean point is in an earlier piece: yajl first reads the bytes kept from it.
            guard !carry.isEmpty else { return 0 }
            s.pointee.feedBase = clean
            let outcome = carry.withUnsafeBufferPointer { lexer.parse($0) }
            switch outcome {
            case .ok:
                carry.withUnsafeBufferPointer { s.pointee.passSeparators($0, base: clean) }
            case .stoppedByEngine:
                throw s.pointee.failure!
            case .syntaxError(let message, let consumed):
                let error = carry.withUnsafeBufferPointer { carried in
                    s.pointee.syntaxFailure(message, consumed: consumed, piece: carried, base: clean, before: [])
                }
                throw error
            }
            return 0
        }
        return clean - pieceBase
    }

    /// Ends the input. `checkingReferences` false leaves the reference problems for
    /// `finishReferences` (after a tabular output's artifact, whose records refer to the document).
    func finish(checkingReferences: Bool = true) throws {
        let s = state
        if let failure = s.pointee.failure { throw failure }
        if s.pointee.options.allowNonFinite && !nonFiniteCarry.isEmpty {
            try feedRewriting(UnsafeBufferPointer(start: nil, count: 0), final: true)
        }
        if !tokenTail.isEmpty {
            let tail = tokenTail
            tokenTail = []
            try tail.withUnsafeBufferPointer { try feedRaw($0) }
        }
        try feedHeld(holdAgain: false)
        if s.pointee.fast.number?.dropped == true {
            s.pointee.endInsideDroppedNumber()
            throw s.pointee.failure!
        }
        if s.pointee.fast.active {
            // The input ends inside a polygon: yajl reads what is left and reports the end.
            try handBack(resumeIn: nil)
        }
        s.pointee.completing = true
        if s.pointee.strictTextFailed() { throw s.pointee.failure! }
        switch lexer.complete() {
        case .ok:
            break
        case .stoppedByEngine:
            throw s.pointee.failure!
        case .syntaxError(let message, _) where message.contains("trailing garbage"):
            // A number after the document, ended by the input's end: placed on its first byte.
            let start = s.pointee.nextTokenFrom
            let byte = start < s.pointee.bytesFed ? s.pointee.nextTokenByte : nil
            s.pointee.fail(.syntax, explainYajl(message, found: found(byte)),
                           at: s.pointee.tracker.location(of: min(start, s.pointee.bytesFed)), path: s.pointee.currentPath())
            throw s.pointee.failure!
        case .syntaxError(let message, _):
            let end = s.pointee.tracker.location(of: s.pointee.bytesFed)
            let text = s.pointee.documentStarted
                ? "unexpected end of input (\(message.replacingOccurrences("parse error: ", with: "")))"
                : "empty input: no JSON value"
            s.pointee.fail(.syntax, text, at: end, path: s.pointee.currentPath())
            throw s.pointee.failure!
        }
        if checkingReferences { try finishReferences(artifact: nil) }
    }

    /// Reports the reference problems (the checker joins its tables at the end). Those in the
    /// records of a tabular output's artifact (paths `$[i]...`) are placed in `artifact`.
    func finishReferences(artifact: String?) throws {
        let s = state
        if let checker = s.pointee.checker {
            do {
                try checker.finish { error in
                    var error = error
                    if let artifact, error.path.hasPrefix("$[") { error.file = artifact }
                    try s.pointee.report(error)
                }
            } catch let error as DocumentError where error.kind == .io {
                s.pointee.fail(error.kind, error.message, at: error.location, path: error.path)
                throw error
            }
        }
    }
}
