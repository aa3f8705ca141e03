/// Where tokens start, whatever their length and however the input is split into pieces.
///
/// yajl hands a token out only once it has ended, and a token may have begun many pieces
/// earlier (yajl buffers it), so its start cannot be found by looking back from its end into
/// the bytes kept. It is found forward instead: only whitespace, commas and colons lie between
/// the end of the last token handed out and the next token. `nextTokenFrom` starts at that end
/// (set before each callback) and is moved over those bytes when a piece ends, so once it lies
/// before the current piece it is the first byte of the token pending there.
struct TokenPlaces {
    /// Lines and columns of absolute offsets.
    var tracker = LineTracker()
    /// Bytes fed so far: the absolute offset of the piece being read.
    var bytesFed = 0
    /// Absolute offset of the first byte of the buffer yajl is parsing.
    var feedBase = 0
    /// While a scanner acts for yajl: the absolute offset just past its token.
    var scannedTokenEnd = -1
    /// Absolute offset just past the last value that is not a coordinate (what an object holds),
    /// to place the token after it.
    var lastValueEnd = 0
    /// Where the next token is looked for, and the search start of the token being handed out;
    /// the first byte at `nextTokenFrom` once it is before the piece.
    var nextTokenFrom = 0
    var tokenFrom = 0
    var nextTokenByte: UInt8 = 0
    /// Where the lexer's `parseState` holds: just past the last token handed out, or where the
    /// lexer was restarted.
    var stateFrom = 0
    /// The commas and colons `passSeparators` has passed since `stateFrom` (yajl's state moves
    /// on them without a callback).
    private(set) var passedSeparators: [UInt8] = []
    /// The last bytes fed before the current piece, to place errors in tokens that span pieces.
    private(set) var history: [UInt8] = []
    /// Where yajl's lexer stands in the string pending at `nextTokenFrom` (`openStringToken`)
    /// once every byte up to `openStringEnd` is read: kept piece by piece, so that a fault in a
    /// string begun before the bytes kept is told from the lexer's state, not guessed.
    private(set) var openString = OpenString()
    private(set) var openStringToken = -1
    private(set) var openStringEnd = 0
    let historyLimit = 4096

    /// Notes the token handed out (before its callback runs), which ends at absolute offset
    /// `end`: its search start is kept in `tokenFrom`, and the next token is looked for from `end`.
    @inline(__always)
    mutating func note(tokenEndingAt end: Int) {
        tokenFrom = nextTokenFrom
        nextTokenFrom = end
        stateFrom = end
        if !passedSeparators.isEmpty { passedSeparators.removeAll(keepingCapacity: true) }
    }

    /// yajl reads on from absolute offset `clean`, with a restarted lexer.
    mutating func resume(at clean: Int) {
        nextTokenFrom = clean
        stateFrom = clean
        openStringToken = -1
        passedSeparators.removeAll(keepingCapacity: true)
    }

    /// The lexer's state in the string pending since before `offset` (an absolute offset), as of
    /// `offset`; nil when no string is pending there, or its state is not known up to there.
    func openString(before offset: Int) -> OpenString? {
        guard nextTokenByte == UInt8(ascii: "\""), openStringToken == nextTokenFrom, openStringEnd == offset else { return nil }
        return openString
    }

    /// Forgets the bytes kept (an artifact's line starts: its errors lie in it).
    mutating func forgetHistory() {
        if !history.isEmpty { history.removeAll(keepingCapacity: true) }
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

    /// Moves `nextTokenFrom` over the whitespace, commas and colons of `bytes` (whose first byte
    /// is at absolute offset `base`), once yajl has read them all: it then stops on the first
    /// byte of a token yajl is still reading, or goes on into the next piece.
    mutating func passSeparators(_ bytes: UnsafeBufferPointer<UInt8>, base: Int) {
        let from = nextTokenFrom
        skipSeparators(bytes, base: base, from: &nextTokenFrom, byte: &nextTokenByte)
        for index in max(0, from - base)..<max(0, nextTokenFrom - base) where bytes[index] == UInt8(ascii: ",") || bytes[index] == UInt8(ascii: ":") {
            passedSeparators.append(bytes[index])
        }
        if nextTokenByte == UInt8(ascii: "\"") { followOpenString(bytes, base: base) }
    }

    /// Reads on the string pending at `nextTokenFrom` through `bytes` (all read by yajl): from its
    /// opening quote when that is in them, else from where the state kept ends.
    private mutating func followOpenString(_ bytes: UnsafeBufferPointer<UInt8>, base: Int) {
        let end = base + bytes.count
        var index: Int
        if nextTokenFrom >= base && nextTokenFrom < end {
            openString = OpenString()
            openStringToken = nextTokenFrom
            index = nextTokenFrom - base + 1
        } else if nextTokenFrom < base && openStringToken == nextTokenFrom && openStringEnd == base {
            index = 0
        } else {
            openStringToken = -1
            return
        }
        while index < bytes.count, openString.read(bytes[index]) { index += 1 }
        openStringEnd = end
    }

    /// Absolute offset of the opening quote of the string (or key) being handed out.
    func stringStartOffset() -> Int {
        var start = tokenFrom
        // In the current piece: the quote follows a few separators. Before it: `tokenFrom` is on it.
        while let byte = tracker.byte(at: start), byte != UInt8(ascii: "\"") { start += 1 }
        return start
    }

    /// The first byte of the token after the last one handed out, as an index into `window`
    /// (whose first byte is at absolute offset `base`; negative when the token began before it),
    /// and that byte.
    func pendingTokenStart(in window: UnsafeBufferPointer<UInt8>, base: Int) -> (index: Int, byte: UInt8?) {
        var index = nextTokenFrom - base
        guard index >= 0 else { return (index, nextTokenByte) }
        while index < window.count, isSeparator(window[index]) { index += 1 }
        return (index, index < window.count ? window[index] : nil)
    }
}

/// Moves `from`, the absolute offset of the next token's search start, over the separators of
/// `bytes` (all read by yajl; their first byte at absolute offset `base`): it then lies on the
/// first byte of the token yajl is still reading (that byte in `byte`), or at the end of `bytes`.
/// Before `bytes`, it is already on the pending token's first byte and stays.
@inline(__always)
func skipSeparators(_ bytes: UnsafeBufferPointer<UInt8>, base: Int, from: inout Int, byte: inout UInt8) {
    var index = from - base
    guard index >= 0 else { return }
    while index < bytes.count, isSeparator(bytes[index]) { index += 1 }
    from = base + index
    if index < bytes.count { byte = bytes[index] }
}

/// Whitespace, a comma or a colon: what may lie between two tokens of valid JSON.
@inline(__always)
func isSeparator(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 || byte == UInt8(ascii: ",") || byte == UInt8(ascii: ":")
}