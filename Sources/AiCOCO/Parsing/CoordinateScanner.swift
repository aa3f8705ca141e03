// Polygons read without yajl, and the coordinates of polygons and boxes handed to the delegate.

/// A polygon whose numbers the engine reads itself, between its `[` and its `]`.
struct FastScan {
    var active = false
    /// After `[` or `,`: a number must come next.
    var expectingValue = true
    /// The clean point (where yajl can take over again) follows a number, not the `[`.
    var afterValue = false
    /// Absolute offset of the clean point: just after the `[` or after the last number.
    var cleanOffset = 0
    /// The bytes from the clean point to the end of the previous piece(s), when the
    /// polygon goes on in the next piece.
    var carry: [UInt8] = []
    /// A number was cut by the end of the previous piece; it starts at this offset.
    var numberStart: Int?
}


/// What the scanner asks of the engine that feeds it.
enum ScanStep {
    /// Reading goes on at this index of the piece (yajl's turn after the polygon's `]`, or the
    /// piece's end when the polygon goes on).
    case resume(at: Int)
    /// Something other than numbers, commas and whitespace: yajl reads on from the clean point.
    case handBack
    /// The parse stopped (`failure` says why).
    case stop
}

extension ParserState {
    /// yajl lexes a number, then calls back, at about three times the cost of reading the
    /// number from the bytes here. So once a polygon's `[` is read, the engine reads its numbers
    /// itself, with the same grammar, and gives the lexing back to yajl at its `]` (or at
    /// anything else: yajl then reports it as it would have). A stopped yajl handle cannot go
    /// on, so a new one is brought to the same state by replaying the path as a short prefix.
    /// Says where reading goes on in `piece`, or that yajl must take over (`ParserEngine.handBack`).
    mutating func scanCoordinates(_ piece: UnsafeBufferPointer<UInt8>, from start: Int) -> ScanStep {
        sawEvent = true
        let pieceBase = bytesFed
        let count = piece.count
        var index = start
        if let numberStart = fast.numberStart {
            // A number cut by the end of the previous piece: its first part is in the carry.
            var end = index
            while end < count, isNumberByte(piece[end]) { end += 1 }
            if end == count { return .resume(at: count) }
            var text = Array(fast.carry[(numberStart - fast.cleanOffset)...])
            text.append(contentsOf: UnsafeBufferPointer(rebasing: piece[index..<end]))
            fast.numberStart = nil
            let value: Double? = text.withUnsafeBufferPointer { text in
                isJSONNumber(text) ? parseJSONNumber(text) : nil
            }
            guard let value else { return .handBack }
            guard storeCoordinate(value) else { return .stop }
            fast.carry.removeAll(keepingCapacity: true)
            fast.cleanOffset = pieceBase + end
            fast.afterValue = true
            fast.expectingValue = false
            index = end
        }
        while index < count {
            let byte = piece[index]
            switch byte {
            case 0x20, 0x0A, 0x0D, 0x09:
                index += 1
            case UInt8(ascii: ","):
                if fast.expectingValue { return .handBack }
                fast.expectingValue = true
                index += 1
            case UInt8(ascii: "]"):
                if fast.expectingValue && fast.afterValue { return .handBack }
                // yajl reads the `]` itself, in the state just after the last number.
                restartLexer(afterValue: fast.afterValue)
                fast = FastScan()
                return .resume(at: index)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if !fast.expectingValue { return .handBack }
                var end = index + 1
                while end < count, isNumberByte(piece[end]) { end += 1 }
                if end == count {
                    fast.numberStart = pieceBase + index
                    return .resume(at: count)
                }
                let text = UnsafeBufferPointer(rebasing: piece[index..<end])
                guard text.count <= 64, isJSONNumber(text), let value = parseJSONNumber(text) else {
                    return .handBack
                }
                guard storeCoordinate(value) else { return .stop }
                // The clean point moves past this number: what was kept before it is done with.
                if !fast.carry.isEmpty { fast.carry.removeAll(keepingCapacity: true) }
                fast.cleanOffset = pieceBase + end
                fast.afterValue = true
                fast.expectingValue = false
                index = end
            default:
                return .handBack
            }
        }
        return .resume(at: count)
    }

    @inline(__always)
    func isNumberByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "+") || byte | 0x20 == UInt8(ascii: "e")
    }

    /// Whether `text` is a JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    func isJSONNumber(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        let count = text.count
        func digits() -> Int {
            let start = index
            while index < count, text[index] >= 0x30, text[index] <= 0x39 { index += 1 }
            return index - start
        }
        if index < count, text[index] == UInt8(ascii: "-") { index += 1 }
        guard index < count else { return false }
        if text[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            return false
        }
        if index < count, text[index] == UInt8(ascii: ".") {
            index += 1
            if digits() == 0 { return false }
        }
        if index < count, text[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") { index += 1 }
            if digits() == 0 { return false }
        }
        return index == count
    }

    /// Stores one number of the polygon, as `onNumber` does; false when the parse must stop.
    @inline(__always)
    mutating func storeCoordinate(_ value: Double) -> Bool {
        let fill = coordinateFill
        coordinates[fill] = value
        coordinateFill = fill + 1
        coordinateIndex += 1
        if fill + 1 == coordinateCapacity { return deliverCoordinates(endsPolygon: false) }
        return true
    }

    /// A new yajl handle in the state the current path leaves it in: inside the polygon, just
    /// after its `[` or after a number.
    mutating func restartLexer(afterValue: Bool) {
        let depth = frames.count
        if prefixDepth == depth && prefixAfterValue == afterValue {
            prefixBytes.withUnsafeBufferPointer { lexer.restart(prefix: $0) }
            return
        }
        var prefix: [UInt8] = []
        for frame in frames {
            switch frame.kind {
            case .document, .record, .regressionItem:
                prefix.append(contentsOf: #"{"a":"#.utf8)
            case .extra where frame.field == .extra:
                prefix.append(contentsOf: #"{"a":"#.utf8)
            default:
                prefix.append(UInt8(ascii: "["))
            }
        }
        // The space ends the number, so that yajl does not wait for more digits.
        if afterValue { prefix.append(contentsOf: "0 ".utf8) }
        prefix.withUnsafeBufferPointer { lexer.restart(prefix: $0) }
        // Polygons all sit at the same depth: the same prefix serves again.
        prefixBytes = prefix
        prefixDepth = depth
        prefixAfterValue = afterValue
    }

    mutating func deliverCoordinates(endsPolygon: Bool) -> Bool {
        let chunk = CoordinateChunk(
            kind: coordinateKind, annotationIndex: recordIndex(), polygonIndex: polygonIndex,
            offset: chunkStartIndex, values: UnsafeBufferPointer(start: coordinates, count: coordinateFill),
            endsPolygon: endsPolygon)
        chunkStartIndex = coordinateIndex
        coordinateFill = 0
        if frames.count >= 3, frames[frames.count - 3].section == .annotations {
            do {
                try delegate.engineCoordinates(chunk)
            } catch {
                return delegateFailed(error)
            }
        }
        return true
    }

    mutating func endCoordinateEntry() -> Bool {
        let depth = frames.count
        let start = frames[depth - 1].start
        let count = coordinateIndex
        guard deliverCoordinates(endsPolygon: true) else { return false }
        pop()
        if coordinateKind == .bbox {
            record.bboxCount? += 1
            if count != 4 {
                guard problem(.schema, "a bbox entry has exactly 4 numbers [x1, y1, x2, y2], found \(count)",
                              at: start, path: path(throughFrame: depth, includeCurrent: false)) else { return false }
            }
        } else {
            record.polygonCount? += 1
            if options.validate, count % 2 != 0 {
                guard problem(.semantic, "a polygon is a list of x,y pairs, found an odd count of \(count) numbers",
                              at: start, path: path(throughFrame: depth, includeCurrent: false)) else { return false }
            }
        }
        valueDone()
        return true
    }

    mutating func wrongCoordinate(_ found: String, at location: SourceLocation, container: Bool) -> Bool {
        let path = currentPath()
        coordinateIndex += 1
        guard problem(.schema, "expected a number, found \(found)", at: location, path: path) else { return false }
        return container ? skipContainer() : true
    }

    mutating func numberOutOfRange(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let location = numberStart(length: text.count)
        let path = currentPath()
        coordinateIndex += 1
        return problem(.semantic, "number \(string(text)) does not fit a 64-bit float", at: location, path: path)
    }
}
