// Polygons read without yajl, and the coordinates of polygons and boxes handed to the delegate.

/// Who reads the next bytes of the document.
enum ScanMode {
    /// yajl's lexer.
    case yajl
    /// The record scanner (`scanRecords`), inside a record and on.
    case records(RecordScan)
    /// The coordinate scanner (`scanCoordinates`), inside a `segmentation` or `bbox` value.
    case coordinates(CoordinateScan)
}

/// Where the coordinate scanner stands in a `segmentation` or `bbox` value, from its `[` to its `]`.
struct CoordinateScan {
    /// Inside a polygon (or box); else between the polygons of the outer list.
    var inPolygon = false
    /// After `[` or `,`: a number must come next.
    var expectingValue = true
    /// The clean point (where yajl can take over again) follows a number, not the `[`.
    var afterValue = false
    /// Absolute offset of the clean point: just after the `[` or after the last number.
    var cleanOffset = 0
    /// The bytes from the clean point to the end of the previous piece(s), when the
    /// polygon goes on in the next piece.
    var carry: [UInt8] = []
    /// A number cut by the end of the previous piece.
    var number: CutNumber?
}

/// A number that goes on past the end of a piece. Its bytes stay in the carry while it is no
/// longer than `maxNumberBytes`; past that it can only be a limit error (or a malformed number),
/// and only its grammar state and length are kept, whatever its size.
struct CutNumber {
    /// Absolute offset of its first byte.
    var start: Int
    var state: NumberState
    /// Bytes read so far.
    var length: Int
    /// Its bytes are no longer kept.
    var dropped = false
}


/// What a scanner asks of the engine that feeds it.
enum ScanStep {
    /// The same scanner reads on at this index of the piece (its end: in the next piece).
    case resume(at: Int)
    /// The other scanner reads on at this index: records after a coordinate list, coordinates
    /// in a list the record scanner has opened.
    case switchTo(ScanMode, at: Int)
    /// Something the scanner leaves to yajl: yajl reads on from the clean point.
    case handBack
    /// The parse stopped with this error.
    case stop(any Error)
}

extension DocumentEngine {
    /// yajl lexes a number, then calls back, at about three times the cost of reading the
    /// number from the bytes here. So once a polygon's `[` is read, the engine reads its numbers
    /// itself, with the same grammar, and gives the lexing back to yajl at its `]` (or at
    /// anything else: yajl then reports it as it would have). A stopped yajl handle cannot go
    /// on, so a new one is brought to the same state by replaying the path as a short prefix.
    /// Says where reading goes on in `piece`, or that yajl must take over (`handBack`).
    mutating func scanCoordinates(_ piece: UnsafeBufferPointer<UInt8>, from start: Int,
                                  _ fast: inout CoordinateScan) -> ScanStep {
        sawEvent = true
        let pieceBase = places.bytesFed
        let count = piece.count
        var index = start
        if fast.number != nil {
            switch continueNumber(piece, from: index, &fast) {
            case .resume(let end): index = end
            case let other: return other
            }
        }
        // Local copies of the scan state, stored back before leaving.
        var inPolygon = fast.inPolygon
        var expectingValue = fast.expectingValue
        var afterValue = fast.afterValue
        var clean = fast.cleanOffset
        var carryEmpty = fast.carry.isEmpty
        var step = ScanStep.resume(at: count)
        scan: while index < count {
            let byte = piece[index]
            switch byte {
            case 0x20, 0x0A, 0x0D, 0x09:
                index += 1
            case UInt8(ascii: ","):
                if expectingValue {
                    step = .handBack
                    break scan
                }
                expectingValue = true
                index += 1
            case UInt8(ascii: "["):
                if inPolygon || !expectingValue {
                    step = .handBack
                    break scan
                }
                places.scannedTokenEnd = pieceBase + index + 1
                do {
                    try openCoordinateEntry(start: places.tracker.location(of: pieceBase + index))
                } catch {
                    step = stopStep(error)
                    break scan
                }
                places.scannedTokenEnd = -1
                inPolygon = true
                afterValue = false
                index += 1
                clean = pieceBase + index
                if !carryEmpty {
                    fast.carry.removeAll(keepingCapacity: true)
                    carryEmpty = true
                }
            case UInt8(ascii: "]"):
                if expectingValue && afterValue {
                    step = .handBack
                    break scan
                }
                let end = pieceBase + index + 1
                places.scannedTokenEnd = end
                places.lastValueEnd = end
                if inPolygon {
                    do {
                        try endCoordinateEntry()
                    } catch {
                        step = stopStep(error)
                        break scan
                    }
                    places.scannedTokenEnd = -1
                    inPolygon = false
                    expectingValue = false
                    afterValue = true
                    index += 1
                    clean = end
                    if !carryEmpty {
                        fast.carry.removeAll(keepingCapacity: true)
                        carryEmpty = true
                    }
                    continue
                }
                // The end of the list: the record scanner reads on after it, in the record.
                pop()
                valueDone()
                places.scannedTokenEnd = -1
                return .switchTo(.records(RecordScan(objectTop: frames[frames.count - 1].isObject,
                                                     position: .afterValue, cleanOffset: end)), at: index + 1)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if !expectingValue || !inPolygon {
                    step = .handBack
                    break scan
                }
                // Most coordinates are short unsigned integers, each followed by `,` and the next
                // one up to the polygon's `]`: such a run is read in a tight loop.
                let bytes = piece.baseAddress!
                let quickDigits = min(15, options.limits.maxNumberBytes)
                var fill = coordinates.fill
                var stored = 0
                var at = index
                var afterComma = false
                var stopped: EngineStop?
                // Where the run's text not yet kept starts (`keepsNumberText`).
                var runText = index
                run: while true {
                    var end = at
                    var integer = 0
                    if at + 8 <= count {
                        // Eight bytes at once: the digits' length and value without a branch per digit.
                        let word = UnsafeRawPointer(bytes + at).loadUnaligned(as: UInt64.self)
                        let length = digitCount(word)
                        guard length > 0, length < 8, length <= quickDigits, length == 1 || bytes[at] != 0x30 else { break }
                        integer = Int(truncatingIfNeeded: digitsValue(word, count: length))
                        end = at + length
                    } else {
                        while end < count {
                            let digit = bytes[end] &- 0x30
                            if digit > 9 { break }
                            integer = integer &* 10 &+ Int(digit)
                            end += 1
                        }
                        let length = end - at
                        // Anything else (a sign, a fraction, a leading zero, the piece's end): read below.
                        guard length > 0, length <= quickDigits, end < count, length == 1 || bytes[at] != 0x30 else { break }
                    }
                    let next = bytes[end]
                    guard next == UInt8(ascii: ",") || next == UInt8(ascii: "]") || next == 0x20 || next == 0x0A
                    else { break }
                    coordinates[fill] = Double(integer)
                    fill += 1
                    stored += 1
                    if fill == CoordinateBuffer.capacity {
                        coordinates.fill = fill
                        coordinates.index += stored
                        stored = 0
                        if options.keepsNumberText {
                            coordinates.appendText(UnsafeBufferPointer(rebasing: piece[runText..<end]))
                            runText = end + 1
                        }
                        do {
                            try deliverCoordinates(endsPolygon: false)
                        } catch {
                            stopped = error
                            break
                        }
                        fill = 0
                    }
                    if next != UInt8(ascii: ",") {
                        at = end
                        afterComma = false
                        break
                    }
                    at = end + 1
                    afterComma = true
                }
                if let stopped {
                    step = stopStep(stopped)
                    break scan
                }
                if at != index {
                    coordinates.fill = fill
                    coordinates.index += stored
                    // The run's text is its numbers and the commas between them, nothing else.
                    let runEnd = afterComma ? at - 1 : at
                    if options.keepsNumberText && runEnd > runText {
                        coordinates.appendText(UnsafeBufferPointer(rebasing: piece[runText..<runEnd]))
                    }
                    if !carryEmpty {
                        fast.carry.removeAll(keepingCapacity: true)
                        carryEmpty = true
                    }
                    // Just after a comma, the clean point is the comma (after the last number).
                    clean = pieceBase + (afterComma ? at - 1 : at)
                    afterValue = true
                    expectingValue = afterComma
                    index = at
                    continue
                }
                let number = scanNumber(piece, from: index)
                let end = number.end
                if end == count {
                    // The number goes on in the next piece.
                    fast.number = CutNumber(start: pieceBase + index, state: number.state, length: end - index)
                    break scan
                }
                guard number.state.isComplete else {
                    // Malformed: yajl reports it as it would have.
                    step = .handBack
                    break scan
                }
                let length = end - index
                if length > options.limits.maxNumberBytes {
                    step = .stop(numberTooLong(length, at: pieceBase + index))
                    break scan
                }
                guard let value = number.value ?? parseJSONNumber(UnsafeBufferPointer(rebasing: piece[index..<end])) else {
                    // Out of range: yajl's path reports it.
                    step = .handBack
                    break scan
                }
                do {
                    // Only a fraction or an exponent can break FLaVor's int rule (`--strict`).
                    if number.state.hasFractionOrExponent && options.strict {
                        try strictCoordinate(UnsafeBufferPointer(rebasing: piece[index..<end]), value, at: pieceBase + index)
                    }
                    try storeCoordinate(value, text: UnsafeBufferPointer(rebasing: piece[index..<end]))
                } catch {
                    step = stopStep(error)
                    break scan
                }
                // The clean point moves past this number: what was kept before it is done with.
                if !carryEmpty {
                    fast.carry.removeAll(keepingCapacity: true)
                    carryEmpty = true
                }
                clean = pieceBase + end
                afterValue = true
                expectingValue = false
                index = end
            default:
                step = .handBack
                break scan
            }
        }
        fast.inPolygon = inPolygon
        fast.expectingValue = expectingValue
        fast.afterValue = afterValue
        fast.cleanOffset = clean
        return step
    }

    /// Reads on a number cut by the end of the previous piece. Returns where reading goes on
    /// once it is stored, or what the engine must do.
    private mutating func continueNumber(_ piece: UnsafeBufferPointer<UInt8>, from start: Int,
                                         _ fast: inout CoordinateScan) -> ScanStep {
        var number = fast.number!
        var index = start
        while index < piece.count, let next = number.state.next(piece[index]) {
            number.state = next
            index += 1
        }
        let pieceBase = places.bytesFed
        number.length += index - start
        let limit = options.limits.maxNumberBytes
        if index == piece.count {
            if number.length > limit && !number.dropped {
                // Past the limit: nothing but an error can come of it, keep no bytes.
                number.dropped = true
                fast.carry = []
            }
            fast.number = number
            return .resume(at: index)
        }
        fast.number = nil
        guard number.state.isComplete else {
            if !number.dropped { return .handBack }
            return .stop(malformedNumber(number.state, at: pieceBase + index))
        }
        if number.length > limit {
            return .stop(numberTooLong(number.length, at: number.start))
        }
        var text = Array(fast.carry[(number.start - fast.cleanOffset)...])
        text.append(contentsOf: UnsafeBufferPointer(rebasing: piece[start..<index]))
        guard let value = text.withUnsafeBufferPointer({ parseJSONNumber($0) }) else { return .handBack }
        do {
            try text.withUnsafeBufferPointer { (text) throws(EngineStop) in
                if number.state.hasFractionOrExponent && options.strict { try strictCoordinate(text, value, at: number.start) }
                try storeCoordinate(value, text: text)
            }
        } catch {
            return stopStep(error)
        }
        fast.carry.removeAll(keepingCapacity: true)
        fast.cleanOffset = pieceBase + index
        fast.afterValue = true
        fast.expectingValue = false
        return .resume(at: index)
    }

    /// The input ends inside `number`, whose bytes were dropped: the error yajl gives there.
    mutating func endInsideDroppedNumber(_ number: CutNumber) -> DocumentError {
        if number.state.isComplete { return numberTooLong(number.length, at: number.start) }
        let location = places.tracker.location(of: places.bytesFed)
        return DocumentError(kind: .syntax, message: "unexpected end of input (\(number.state.yajlError))",
                           path: currentPath(), location: location)
    }

    /// The limit error for a number of `length` bytes starting at absolute offset `start`
    /// (what `onNumber` gives on yajl's path).
    mutating func numberTooLong(_ length: Int, at start: Int) -> DocumentError {
        let location = places.tracker.location(of: start)
        return DocumentError(kind: .limit, message: numberTooLongMessage(length), path: currentPath(), location: location)
    }

    func numberTooLongMessage(_ length: Int) -> String {
        "number of \(length) bytes is longer than \(options.limits.maxNumberBytes) (limit maxNumberBytes)"
    }

    /// yajl's error for a number that breaks the grammar at absolute offset `offset`.
    mutating func malformedNumber(_ state: NumberState, at offset: Int) -> DocumentError {
        let location = places.tracker.location(of: offset)
        return DocumentError(kind: .syntax, message: state.malformedMessage, path: currentPath(),
                           location: location)
    }

    /// The step for a handler that stopped inside a polygon (the coordinate scanner opens no
    /// record or list, so no takeover comes of it).
    func stopStep(_ stop: EngineStop) -> ScanStep {
        switch stop {
        case .failed(let error): .stop(error)
        case .takeOver: .handBack
        }
    }
}

/// How many of the eight bytes of `word` (little-endian: its first byte lowest) are ASCII digits
/// before the first other byte (8 when all are).
@inline(__always)
func digitCount(_ word: UInt64) -> Int {
    let values = word ^ 0x3030_3030_3030_3030
    // A byte's high bit is set when it is not a digit (0...9 plus 0x76 stays under 0x80; a carry
    // out of a non-digit only reaches the bytes after it).
    let notDigits = ((values &+ 0x7676_7676_7676_7676) | values) & 0x8080_8080_8080_8080
    return notDigits.trailingZeroBitCount >> 3
}

/// The value of the first `count` (1...7) bytes of `word`, which are ASCII digits.
@inline(__always)
func digitsValue(_ word: UInt64, count: Int) -> UInt64 {
    // The digits moved to the top bytes, zeros (leading zero digits) below them.
    let digits = (word ^ 0x3030_3030_3030_3030) << UInt64(64 - 8 * count)
    // Pairs, then fours, then all eight, each step one multiplication.
    let pairs = ((digits &* 2561) >> 8) & 0x00FF_00FF_00FF_00FF
    let fours = ((pairs &* 6_553_601) >> 16) & 0x0000_FFFF_0000_FFFF
    return (fours &* 42_949_672_960_001) >> 32
}
