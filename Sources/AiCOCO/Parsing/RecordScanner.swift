// Whole records read without yajl: the tokens of the common cases, handed to the same
// callbacks yajl would call, and everything else handed back to yajl.

/// Where the record scanner stands in the innermost container: what yajl must be brought
/// back to when it takes over again.
enum ScanPosition: UInt8 {
    /// Just after `{` or `[`.
    case afterOpen
    /// After an object's key (a `:` comes next).
    case afterKey
    /// After an object's `:` (a value comes next).
    case afterColon
    case afterValue
    case afterComma
}

/// Where the record scanner stands: in the innermost container (an object when `objectTop`)
/// at `position`; `cleanOffset` is where yajl takes over again (the start of the token it
/// is handed, or the end of the piece read).
struct RecordScan {
    var objectTop = true
    var position = ScanPosition.afterOpen
    var cleanOffset = 0
}

/// What a yajl callback asks the engine to read without yajl from the token it just handed out.
enum Takeover {
    /// The `segmentation` or `bbox` value (or polygon) just opened: `scanCoordinates`.
    case coordinates
    /// The record just opened, and on: `scanRecords`.
    case records
}

extension DocumentEngine {
    /// yajl's lexer costs more than the rest of reading a record. Once a record's `{` is read,
    /// the engine reads on itself, token by token, and calls the same callbacks yajl would, for
    /// the tokens real outputs are made of: structure, strings of printable ASCII without escapes,
    /// numbers followed by a delimiter, `null`, `true`, `false`. Anything else (an escape, other
    /// bytes, a token cut by the end of the piece, a misplaced token, a value being skipped,
    /// the document's end) is handed back to yajl at the start of that token, with a new handle
    /// brought to the same state (`restartLexer`), so that yajl reports it as it would have.
    /// Coordinates go to `scanCoordinates`, which comes back here after the list.
    mutating func scanRecords(_ piece: UnsafeBufferPointer<UInt8>, from start: Int, _ fast: inout RecordScan) -> ScanStep {
        sawEvent = true
        let bytes = piece.baseAddress!
        let count = piece.count
        let pieceBase = places.bytesFed
        var index = start
        var position = fast.position
        var objectTop = fast.objectTop
        // Set to the token's start before leaving for yajl.
        var handBackAt = -1
        scan: while index < count {
            let byte = bytes[index]
            let expectsValue = objectTop ? position == .afterColon : position != .afterValue
            switch byte {
            case 0x20, 0x0A, 0x0D, 0x09:
                index += 1
            case UInt8(ascii: "\""):
                var end = index + 1
                // Eight plain bytes at a time, then byte by byte from the first other one.
                while end + 8 <= count {
                    let plain = plainPrefix(UnsafeRawPointer(bytes + end).loadUnaligned(as: UInt64.self))
                    end += plain
                    if plain < 8 { break }
                }
                while end < count {
                    let next = bytes[end]
                    if next == UInt8(ascii: "\"") { break }
                    // Escapes, control characters and non-ASCII (whose UTF-8 yajl checks) are yajl's.
                    if next &- 0x20 >= 0x5F || next == UInt8(ascii: "\\") { break }
                    end += 1
                }
                guard end < count, bytes[end] == UInt8(ascii: "\"") else {
                    handBackAt = index
                    break scan
                }
                let text = UnsafeBufferPointer(start: bytes + index + 1, count: end - index - 1)
                let isKey = objectTop && (position == .afterOpen || position == .afterComma)
                guard isKey || expectsValue else {
                    handBackAt = index
                    break scan
                }
                noteScannedToken(from: pieceBase + index, to: pieceBase + end + 1)
                do {
                    if isKey { try readKey(text) } else { try readString(text) }
                } catch {
                    return stopStep(error)
                }
                position = isKey ? .afterKey : .afterValue
                places.scannedTokenEnd = -1
                index = end + 1
            case UInt8(ascii: ":"):
                guard objectTop && position == .afterKey else {
                    handBackAt = index
                    break scan
                }
                position = .afterColon
                index += 1
            case UInt8(ascii: ","):
                guard position == .afterValue else {
                    handBackAt = index
                    break scan
                }
                position = .afterComma
                index += 1
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard expectsValue else {
                    handBackAt = index
                    break scan
                }
                let isObject = byte == UInt8(ascii: "{")
                noteScannedToken(from: pieceBase + index, to: pieceBase + index + 1)
                var takeover: Takeover?
                do {
                    if isObject { try startObject() } else { try startArray() }
                } catch {
                    switch error {
                    case .takeOver(let kind): takeover = kind
                    case .failed(let error): return .stop(error)
                    }
                }
                places.scannedTokenEnd = -1
                index += 1
                objectTop = isObject
                position = .afterOpen
                if takeover == .coordinates {
                    let scan = CoordinateScan(inPolygon: frames.topKind == .coordEntry, cleanOffset: pieceBase + index)
                    return .switchTo(.coordinates(scan), at: index)
                }
                if frames.topKind == .skip {
                    // A value passed over: yajl reads it (a skip frame does not say what it holds).
                    handBackAt = index
                    break scan
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                let isObject = byte == UInt8(ascii: "}")
                // The document's own end, and the end of input after it, are yajl's.
                guard isObject == objectTop, position == .afterOpen || position == .afterValue, frames.count > 1 else {
                    handBackAt = index
                    break scan
                }
                noteScannedToken(from: pieceBase + index, to: pieceBase + index + 1)
                do {
                    if isObject { try endObject() } else { try endArray() }
                } catch {
                    return stopStep(error)
                }
                places.scannedTokenEnd = -1
                index += 1
                objectTop = frames[frames.count - 1].isObject
                position = .afterValue
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let number = scanNumber(piece, from: index)
                // A number must end before the piece does, and at a delimiter (yajl's own errors else).
                guard expectsValue, number.end < count, number.state.isComplete, isDelimiter(bytes[number.end]) else {
                    handBackAt = index
                    break scan
                }
                noteScannedToken(from: pieceBase + index, to: pieceBase + number.end)
                do {
                    try readNumber(UnsafeBufferPointer(start: bytes + index, count: number.end - index))
                } catch {
                    return stopStep(error)
                }
                places.scannedTokenEnd = -1
                index = number.end
                position = .afterValue
            case UInt8(ascii: "n"), UInt8(ascii: "t"), UInt8(ascii: "f"):
                let length = byte == UInt8(ascii: "f") ? 5 : 4
                guard expectsValue, index + length < count, isDelimiter(bytes[index + length]),
                      matchesLiteral(bytes + index, byte) else {
                    handBackAt = index
                    break scan
                }
                noteScannedToken(from: pieceBase + index, to: pieceBase + index + length)
                do {
                    if byte == UInt8(ascii: "n") { try readNull() } else { try readBool(byte == UInt8(ascii: "t")) }
                } catch {
                    return stopStep(error)
                }
                places.scannedTokenEnd = -1
                index += length
                position = .afterValue
            default:
                handBackAt = index
                break scan
            }
        }
        fast.position = position
        fast.objectTop = objectTop
        if handBackAt >= 0 {
            fast.cleanOffset = pieceBase + handBackAt
            return .handBack
        }
        // The piece ended between tokens: read on in the next one.
        fast.cleanOffset = pieceBase + count
        return .resume(at: count)
    }

    /// Notes the token about to be handed to a callback, from absolute offset `start` to `end`,
    /// where yajl's callbacks find it (`tokenEnd`, `noteToken`).
    @inline(__always)
    mutating func noteScannedToken(from start: Int, to end: Int) {
        places.scannedTokenEnd = end
        places.tokenFrom = start
        places.nextTokenFrom = end
    }

    /// Whether a handler may ask to read on without yajl from the token it was handed (not
    /// while yajl completes the parse).
    func requestTakeover() -> Bool {
        !completing && options.readsPolygonsWithoutYajl
    }

    /// The scanner that reads on without yajl from absolute offset `offset`, just after the
    /// token whose handler asked for it.
    func scanMode(for kind: Takeover, at offset: Int) -> ScanMode {
        switch kind {
        case .coordinates: .coordinates(CoordinateScan(inPolygon: frames.topKind == .coordEntry, cleanOffset: offset))
        case .records: .records(RecordScan(objectTop: true, position: .afterOpen, cleanOffset: offset))
        }
    }

    /// A new yajl handle in the state the scanner leaves it in: the containers of the frame
    /// stack, and in the innermost one (an object when `objectTop`), `position`.
    mutating func restartLexer(position: ScanPosition, objectTop: Bool) {
        prefixBytes.removeAll(keepingCapacity: true)
        for frame in frames.all.dropLast() {
            if frame.isObject {
                prefixBytes.append(contentsOf: #"{"a":"#.utf8)
            } else {
                prefixBytes.append(UInt8(ascii: "["))
            }
        }
        if !frames.isEmpty {
            prefixBytes.append(objectTop ? UInt8(ascii: "{") : UInt8(ascii: "["))
        }
        // The space ends the number, so that yajl does not wait for more digits.
        let suffix: String
        switch position {
        case .afterOpen: suffix = ""
        case .afterKey: suffix = objectTop ? #""a""# : ""
        case .afterColon: suffix = objectTop ? #""a":"# : ""
        case .afterValue: suffix = objectTop ? #""a":0 "# : "0 "
        case .afterComma: suffix = objectTop ? #""a":0,"# : "0,"
        }
        prefixBytes.append(contentsOf: suffix.utf8)
        let lexer = self.lexer
        prefixBytes.withUnsafeBufferPointer { lexer.restart(prefix: $0) }
    }
}

extension Frame {
    /// The frame is a JSON object (else an array; a skip frame says neither).
    var isObject: Bool {
        switch kind {
        case .document, .record, .regressionItem: true
        case .extra: field == .extra
        default: false
        }
    }
}

/// A byte that may follow a number or a literal: what yajl's lexer stops at without an error.
@inline(__always)
private func isDelimiter(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x0A, 0x0D, 0x09: true
    default: false
    }
}

/// Whether `null`, `true` or `false` (by its first byte) is at `bytes`.
@inline(__always)
private func matchesLiteral(_ bytes: UnsafePointer<UInt8>, _ first: UInt8) -> Bool {
    let word = UnsafeRawPointer(bytes).loadUnaligned(as: UInt32.self)
    switch first {
    case UInt8(ascii: "n"): return word == 0x6C6C_756E  // "null"
    case UInt8(ascii: "t"): return word == 0x6575_7274  // "true"
    default: return word == 0x736C_6166 && bytes[4] == UInt8(ascii: "e")  // "fals" "e"
    }
}

/// How many of the eight bytes of `word` (its first byte lowest) are printable ASCII other
/// than `"` and `\\` before the first byte that is not (8 when all are).
@inline(__always)
func plainPrefix(_ word: UInt64) -> Int {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    let low = word & ~highs
    // Each test leaves a byte's high bit set when it matches; seven-bit sums do not carry.
    let control = ~(low &+ 0x60 &* ones) & highs
    let delete = (low &+ ones) & highs
    let quote = ~((low ^ 0x22 &* ones) &+ 0x7F &* ones) & highs
    let backslash = ~((low ^ 0x5C &* ones) &+ 0x7F &* ones) & highs
    let other = (word & highs) | control | delete | quote | backslash
    return other.trailingZeroBitCount >> 3
}
