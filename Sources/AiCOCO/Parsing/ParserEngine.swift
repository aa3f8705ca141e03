#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The AiCOCO state machine behind every reader: yajl hands it JSON tokens, it keeps the
/// place (JSON path, byte offset, line, column), checks types and required keys, builds the
/// fields of the record being read and hands records and coordinate chunks to its delegate.
/// It holds one record at a time and a fixed buffer of coordinates.
final class ParserEngine {
    enum FrameKind: UInt8 {
        /// The top-level object.
        case document
        /// The array of one section.
        case section
        /// A record's object (also `meta`).
        case record
        /// A `category_ids` array.
        case idList
        /// A `regressions` array of items.
        case regressionList
        /// One `{regression_id, value}` item.
        case regressionItem
        /// The outer array of `bbox` or `segmentation`.
        case coordList
        /// One polygon or box: an array of numbers.
        case coordEntry
        /// An array or object inside a field the format does not name.
        case extra
        /// A value that was reported as wrong and is being passed over.
        case skip
    }

    struct Frame {
        var kind: FrameKind
        var section: AiCOCOSection = .images
        /// Object frames: the field of the current key. List frames: the field they belong to.
        var field: Field = .none
        /// Arrays: index of the current element. Skip frames: nesting depth.
        var count = 0
        /// Object frames: the current key when the format does not name it.
        var key: String?
        var start = SourceLocation(offset: 0, line: 1, column: 1)
    }

    /// What is known of the record being read.
    struct RecordScratch {
        var seen: UInt32 = 0
        var valid = true
        var start = SourceLocation(offset: 0, line: 1, column: 1)
        var cost = 0
        var id = ""
        var fileName = ""
        var name = ""
        var imageID = ""
        var objectID = ""
        var superID: String?
        var color: String?
        var unit: String?
        var threshold: String?
        var index = 0.0
        var confidence: Double?
        var iscrowd = 0
        var taskType: AiTaskType?
        var categoryIDs: [String]?
        var regressions: [AiRegressionItem]?
        var bboxCount: Int?
        var polygonCount: Int?
        var extra: [JSONMember] = []
    }

    struct ItemScratch {
        var seen: UInt32 = 0
        var valid = true
        var regressionID = ""
        var value = 0.0
    }

    /// A JSON container being built for an extra field.
    enum ExtraContainer {
        case array([JSONValue])
        case object([JSONMember], key: String)
    }

    let options: ParserOptions
    /// Unowned without checks: the parser that owns this engine owns the delegate too.
    private unowned(unsafe) let delegate: EngineDelegate
    private var lexer: YajlLexer!
    private var tracker: LineTracker {
        get { hot.pointee.tracker }
        _modify { yield &hot.pointee.tracker }
    }
    var bytesFed: Int {
        get { hot.pointee.bytesFed }
        set { hot.pointee.bytesFed = newValue }
    }

    private var frames: [Frame] {
        get { hot.pointee.frames }
        _modify { yield &hot.pointee.frames }
    }
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

    /// The engine's mutable state, kept behind a pointer: stored properties of a class pay a
    /// dynamic exclusivity check on every access (a fifth of the time on small records), and
    /// this state is touched for every token. The accessors below forward to it.
    private struct HotState {
        var topKind: FrameKind?
        var sawEvent = false
        var coordinateFill = 0
        var coordinateIndex = 0
        var bytesFed = 0
        /// Absolute offset of the first byte of the buffer yajl is parsing.
        var feedBase = 0
        /// A callback asked to read the polygon just opened without yajl.
        var takeoverRequested = false
        var fast = FastScan()
        var tracker: LineTracker = LineTracker()
        var frames: [Frame] = []
        var documentStarted: Bool = false
        var documentEnded: Bool = false
        var sectionsSeen: UInt32 = 0
        var record: RecordScratch = RecordScratch()
        var item: ItemScratch = ItemScratch()
        var extraStack: [ExtraContainer] = []
        var completing: Bool = false
        var failure: AiCOCOError? = nil
        var quietBytes: Int = 0
        var chunkStartIndex: Int = 0
        var polygonIndex: Int = 0
        var coordinateKind: CoordinateKind = .segmentation
        var history: [UInt8] = []
    }

    private let hot: UnsafeMutablePointer<HotState>

    private var fast: FastScan {
        get { hot.pointee.fast }
        _modify { yield &hot.pointee.fast }
    }

    private var feedBase: Int {
        get { hot.pointee.feedBase }
        set { hot.pointee.feedBase = newValue }
    }

    private var takeoverRequested: Bool {
        get { hot.pointee.takeoverRequested }
        set { hot.pointee.takeoverRequested = newValue }
    }

    /// Kind of the innermost frame (`nil` before the document starts).
    private var topKind: FrameKind? {
        get { hot.pointee.topKind }
        set { hot.pointee.topKind = newValue }
    }
    private var documentStarted: Bool {
        get { hot.pointee.documentStarted }
        _modify { yield &hot.pointee.documentStarted }
    }
    private var documentEnded: Bool {
        get { hot.pointee.documentEnded }
        _modify { yield &hot.pointee.documentEnded }
    }
    private var sectionsSeen: UInt32 {
        get { hot.pointee.sectionsSeen }
        _modify { yield &hot.pointee.sectionsSeen }
    }
    private var record: RecordScratch {
        get { hot.pointee.record }
        _modify { yield &hot.pointee.record }
    }
    private var item: ItemScratch {
        get { hot.pointee.item }
        _modify { yield &hot.pointee.item }
    }
    private var extraStack: [ExtraContainer] {
        get { hot.pointee.extraStack }
        _modify { yield &hot.pointee.extraStack }
    }
    private var completing: Bool {
        get { hot.pointee.completing }
        _modify { yield &hot.pointee.completing }
    }
    /// The error that stopped the parse; every later call throws it again.
    private var failure: AiCOCOError? {
        get { hot.pointee.failure }
        _modify { yield &hot.pointee.failure }
    }
    /// A callback happened since the last check (for `maxTokenBytes`).
    private var sawEvent: Bool {
        get { hot.pointee.sawEvent }
        set { hot.pointee.sawEvent = newValue }
    }
    private var quietBytes: Int {
        get { hot.pointee.quietBytes }
        _modify { yield &hot.pointee.quietBytes }
    }

    // Coordinates of the polygon being read, delivered in chunks.
    private let coordinateCapacity = 4096
    private let coordinates: UnsafeMutablePointer<Double>
    private var coordinateFill: Int {
        get { hot.pointee.coordinateFill }
        set { hot.pointee.coordinateFill = newValue }
    }
    private var coordinateIndex: Int {
        get { hot.pointee.coordinateIndex }
        set { hot.pointee.coordinateIndex = newValue }
    }
    private var chunkStartIndex: Int {
        get { hot.pointee.chunkStartIndex }
        _modify { yield &hot.pointee.chunkStartIndex }
    }
    private var polygonIndex: Int {
        get { hot.pointee.polygonIndex }
        _modify { yield &hot.pointee.polygonIndex }
    }
    private var coordinateKind: CoordinateKind {
        get { hot.pointee.coordinateKind }
        _modify { yield &hot.pointee.coordinateKind }
    }

    private let checker: ReferenceChecker?

    init(options: ParserOptions, delegate: EngineDelegate) {
        self.options = options
        self.delegate = delegate
        coordinates = .allocate(capacity: coordinateCapacity)
        hot = .allocate(capacity: 1)
        hot.initialize(to: HotState())
        checker = options.validate ? ReferenceChecker() : nil
        frames.reserveCapacity(16)
        lexer = YajlLexer(engine: self)
    }

    deinit {
        coordinates.deallocate()
        hot.deinitialize(count: 1)
        hot.deallocate()
    }

    // MARK: Feeding

    /// Input is handed to yajl in pieces of at most this size, so that a token that never ends
    /// is noticed (`maxTokenBytes`) after at most this much extra input.
    private let pieceSize = 256 << 10

    func feed(_ input: UnsafeBufferPointer<UInt8>) throws {
        if let failure { throw failure }
        guard let base = input.baseAddress else { return }
        var position = 0
        while position < input.count {
            let length = min(pieceSize, input.count - position)
            let piece = UnsafeBufferPointer(start: base + position, count: length)
            // yajl takes a form feed and a vertical tab for whitespace; RFC 8259 does not. Outside
            // strings they are then errors, and inside one yajl rejects them: any 0x0C or 0x0B
            // ends valid JSON there.
            let formFeed = memchr(base + position, 0x0C, length)
            let verticalTab = memchr(base + position, 0x0B, formFeed.map { UnsafeRawPointer($0) - UnsafeRawPointer(base + position) } ?? length)
            if let found = verticalTab ?? formFeed {
                let at = UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - (base + position)
                try feedPiece(UnsafeBufferPointer(start: base + position, count: at))
                tracker.begin(chunk: UnsafeBufferPointer(start: base + position + at, count: length - at))
                let name = verticalTab != nil ? "vertical tab (0x0B)" : "form feed (0x0C)"
                fail(.syntax, "unexpected \(name): not whitespace in JSON", at: tracker.location(of: bytesFed),
                     path: currentPath())
                throw failure!
            }
            try feedPiece(piece)
            position += length
        }
    }

    private func feedPiece(_ piece: UnsafeBufferPointer<UInt8>) throws {
        guard !piece.isEmpty else { return }
        tracker.begin(chunk: piece)
        sawEvent = false
        var position = 0
        while position < piece.count {
            if fast.active {
                position = try scanCoordinates(piece, from: position)
                continue
            }
            feedBase = bytesFed + position
            switch lexer.parse(UnsafeBufferPointer(rebasing: piece[position...])) {
            case .ok:
                position = piece.count
            case .stoppedByEngine:
                guard failure == nil, takeoverRequested else { throw failure! }
                takeoverRequested = false
                position += lexer.bytesConsumed
                fast = FastScan(active: true, cleanOffset: bytesFed + position)
            case .syntaxError(let message, let consumed):
                throw syntaxFailure(message, consumed: position + consumed, piece: piece)
            }
        }
        if sawEvent {
            quietBytes = 0
        } else {
            quietBytes += piece.count
            if quietBytes > options.limits.maxTokenBytes {
                fail(.limit, "no complete JSON token in \(quietBytes) bytes (limit maxTokenBytes = \(options.limits.maxTokenBytes)); a string or number this long is refused, raise the limit to read it",
                     at: tracker.location(of: bytesFed + piece.count), path: currentPath())
                throw failure!
            }
        }
        if fast.active {
            // The polygon goes on in the next piece: keep what follows the clean point.
            let keep = max(0, fast.cleanOffset - bytesFed)
            fast.carry.append(contentsOf: UnsafeBufferPointer(rebasing: piece[keep...]))
        }
        noteLastQuote(in: piece)
        tracker.end()
        remember(piece)
        bytesFed += piece.count
        if fast.active && fast.carry.count > 4096 {
            // Long runs of whitespace (or a hostile number): yajl reads those without buffering.
            try handBack(resumeIn: nil)
        }
    }

    // MARK: Polygons read without yajl

    /// yajl lexes a number, then calls back, at about three times the cost of reading the
    /// number from the bytes here. So once a polygon's `[` is read, the engine reads its numbers
    /// itself, with the same grammar, and gives the lexing back to yajl at its `]` (or at
    /// anything else: yajl then reports it as it would have). A stopped yajl handle cannot go
    /// on, so a new one is brought to the same state by replaying the path as a short prefix.
    /// Returns where yajl resumes in `piece` (its end if the polygon goes on).
    private func scanCoordinates(_ piece: UnsafeBufferPointer<UInt8>, from start: Int) throws -> Int {
        sawEvent = true
        let pieceBase = bytesFed
        let count = piece.count
        var index = start
        if let numberStart = fast.numberStart {
            // A number cut by the end of the previous piece: its first part is in the carry.
            var end = index
            while end < count, isNumberByte(piece[end]) { end += 1 }
            if end == count { return count }
            var text = Array(fast.carry[(numberStart - fast.cleanOffset)...])
            text.append(contentsOf: UnsafeBufferPointer(rebasing: piece[index..<end]))
            fast.numberStart = nil
            let value: Double? = text.withUnsafeBufferPointer { text in
                isJSONNumber(text) ? parseJSONNumber(text) : nil
            }
            guard let value else { return try handBack(resumeIn: piece) }
            guard storeCoordinate(value) else { throw failure! }
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
                if fast.expectingValue { return try handBack(resumeIn: piece) }
                fast.expectingValue = true
                index += 1
            case UInt8(ascii: "]"):
                if fast.expectingValue && fast.afterValue { return try handBack(resumeIn: piece) }
                // yajl reads the `]` itself, in the state just after the last number.
                restartLexer(afterValue: fast.afterValue)
                fast = FastScan()
                return index
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if !fast.expectingValue { return try handBack(resumeIn: piece) }
                var end = index + 1
                while end < count, isNumberByte(piece[end]) { end += 1 }
                if end == count {
                    fast.numberStart = pieceBase + index
                    return count
                }
                let text = UnsafeBufferPointer(rebasing: piece[index..<end])
                guard text.count <= 64, isJSONNumber(text), let value = parseJSONNumber(text) else {
                    return try handBack(resumeIn: piece)
                }
                guard storeCoordinate(value) else { throw failure! }
                // The clean point moves past this number: what was kept before it is done with.
                if !fast.carry.isEmpty { fast.carry.removeAll(keepingCapacity: true) }
                fast.cleanOffset = pieceBase + end
                fast.afterValue = true
                fast.expectingValue = false
                index = end
            default:
                return try handBack(resumeIn: piece)
            }
        }
        return count
    }

    @inline(__always)
    private func isNumberByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "+") || byte | 0x20 == UInt8(ascii: "e")
    }

    /// Whether `text` is a JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    private func isJSONNumber(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
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
    private func storeCoordinate(_ value: Double) -> Bool {
        let fill = coordinateFill
        coordinates[fill] = value
        coordinateFill = fill + 1
        coordinateIndex += 1
        if fill + 1 == coordinateCapacity { return deliverCoordinates(endsPolygon: false) }
        return true
    }

    /// A new yajl handle in the state the current path leaves it in: inside the polygon, just
    /// after its `[` or after a number.
    private func restartLexer(afterValue: Bool) {
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

    private var prefixBytes: [UInt8] = []
    private var prefixDepth = -1
    private var prefixAfterValue = false

    /// Something other than numbers, commas and whitespace: yajl reads on from the clean point,
    /// and reports what it finds as it would have. Returns where yajl resumes in `piece` (nil
    /// when called between pieces).
    @discardableResult
    private func handBack(resumeIn piece: UnsafeBufferPointer<UInt8>?) throws -> Int {
        restartLexer(afterValue: fast.afterValue)
        let clean = fast.cleanOffset
        let carry = fast.carry
        fast = FastScan()
        let pieceBase = bytesFed
        if clean < pieceBase || piece == nil {
            // The clean point is in an earlier piece: yajl first reads the bytes kept from it.
            guard !carry.isEmpty else { return 0 }
            feedBase = clean
            let outcome = carry.withUnsafeBufferPointer { lexer.parse($0) }
            switch outcome {
            case .ok:
                break
            case .stoppedByEngine:
                throw failure!
            case .syntaxError(let message, let consumed):
                let error = carry.withUnsafeBufferPointer { carried in
                    syntaxFailure(message, consumed: consumed, piece: carried, base: clean, before: [])
                }
                throw error
            }
            return 0
        }
        return clean - pieceBase
    }

    /// The place of a syntax error. yajl's lexer stops just past a byte it rejects, or on it
    /// when it "backs up"; its parser moves back to the start of a token it did not expect
    /// (for a string: two bytes into it).
    /// `consumed` counts from `piece[0]`. `base` is the absolute offset of `piece[0]`, `before`
    /// the bytes just before it, if known.
    private func syntaxFailure(_ message: String, consumed: Int, piece: UnsafeBufferPointer<UInt8>,
                               base pieceBase: Int? = nil, before: [UInt8]? = nil) -> AiCOCOError {
        // A token may have started in an earlier piece (yajl buffers it): look at the
        // bytes kept from before this piece as well.
        let history = before ?? self.history
        let window = history + Array(piece)
        let base = (pieceBase ?? bytesFed) - history.count
        let end = history.count + min(consumed, piece.count)
        let offset: Int = window.withUnsafeBufferPointer { window in
            if message.hasPrefix("lexical error") {
                let backedUp = !(message.contains("invalid char in json text") || message.contains("UTF8"))
                return backedUp ? end : max(0, end - 1)
            }
            if message.contains("after key and value, inside map") || message.contains("trailing garbage") {
                // yajl moves back by the token's length, or to the piece's start when the token
                // began before it (after the document, it may stop anywhere): whatever the split,
                // the token is the first after the value (or the document).
                var index = max(0, lastValueEnd - base)
                while index < window.count, isJSONWhitespace(window[index]) { index += 1 }
                return index
            }
            return tokenStart(endingAt: end, in: window)
        }
        var found = ""
        if offset < window.count {
            let byte = window[offset]
            found = byte >= 0x21 && byte < 0x7F ? " '\(Character(Unicode.Scalar(byte)))'"
                : " (byte 0x\(String(byte, radix: 16, uppercase: true)))"
        }
        fail(.syntax, Self.explain(yajlMessage: message, found: found),
             at: tracker.location(of: base + offset), path: currentPath())
        return failure!
    }

    /// Absolute offset just past the last value that is not a coordinate (what an object holds),
    /// to place the token after it.
    private var lastValueEnd = 0

    /// Absolute offset of the last unescaped quote before the current piece: the opening quote
    /// of a string that goes on into the piece (a string holds no other unescaped quote).
    private var quoteBeforePiece: Int?

    private func noteLastQuote(in piece: UnsafeBufferPointer<UInt8>) {
        var index = piece.count - 1
        while index >= 0 {
            if piece[index] == 0x22, !isEscaped(bytesFed + index) {
                quoteBeforePiece = bytesFed + index
                return
            }
            index -= 1
        }
    }

    /// Whether the byte at absolute `offset` (in the current piece) follows an odd run of
    /// backslashes, looking back into earlier pieces as well.
    private func isEscaped(_ offset: Int) -> Bool {
        var backslashes = 0
        var index = offset - 1
        while index >= 0 {
            let byte: UInt8
            if let inPiece = tracker.byte(at: index) {
                byte = inPiece
            } else {
                let inHistory = index - (bytesFed - history.count)
                guard inHistory >= 0, inHistory < history.count else { break }
                byte = history[inHistory]
            }
            guard byte == UInt8(ascii: "\\") else { break }
            backslashes += 1
            index -= 1
        }
        return backslashes % 2 == 1
    }

    /// The last bytes fed before the current piece, to place errors in tokens that span pieces.
    private var history: [UInt8] {
        get { hot.pointee.history }
        _modify { yield &hot.pointee.history }
    }
    private let historyLimit = 4096

    private func remember(_ piece: UnsafeBufferPointer<UInt8>) {
        let keep = min(piece.count, historyLimit)
        // The history must end at the current piece without a gap.
        if keep < piece.count { history.removeAll(keepingCapacity: true) }
        history.append(contentsOf: UnsafeBufferPointer(rebasing: piece[(piece.count - keep)...]))
        if history.count > 2 * historyLimit {
            history.removeFirst(history.count - historyLimit)
        }
    }

    /// yajl's message in plainer words.
    static func explain(yajlMessage message: String, found: String) -> String {
        let table: [(String, String)] = [
            ("invalid string in json text", "invalid literal\(found): expected true, false or null"),
            ("invalid char in json text", "unexpected character\(found): not the start of a JSON value"),
            ("invalid bytes in UTF8 string", "invalid UTF-8 in a string"),
            ("occurs before a character which it may not", "invalid escape in a string\(found)"),
            ("invalid character inside string", "unescaped control character in a string\(found)"),
            ("must be followed by 4 hex digits", "\\u in a string must be followed by 4 hex digits"),
            ("after the decimal point", "malformed number: a digit is required after the decimal point"),
            ("after the exponent", "malformed number: a digit is required after the exponent"),
            ("after the minus sign", "malformed number: a digit is required after the minus sign"),
            ("comments are not enabled", "comments are not allowed in JSON"),
            ("trailing garbage", "unexpected data\(found) after the end of the document (trailing garbage)"),
            ("after key and value, inside map", "expected ',' or '}' after a value in an object, found\(found)"),
            ("after array element", "expected ',' or ']' after an array element, found\(found)"),
            ("separated by a colon", "expected ':' after an object key, found\(found)"),
            ("invalid object key", "expected a string as object key, found\(found)"),
            ("unallowed token at this point", "unexpected\(found) at this point"),
        ]
        for (pattern, text) in table where message.contains(pattern) { return text }
        return message.replacingOccurrences("parse error: ", with: "").replacingOccurrences("lexical error: ", with: "")
    }

    private func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// The start of the token that ends just before `end` in `piece`.
    private func tokenStart(endingAt end: Int, in piece: UnsafeBufferPointer<UInt8>) -> Int {
        guard end > 0, end <= piece.count else { return min(end, piece.count) }
        let last = piece[end - 1]
        if last == UInt8(ascii: "\"") {
            return stringStart(closingQuoteAt: end - 1, in: piece) ?? end - 1
        }
        let isWord: (UInt8) -> Bool = { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
        }
        guard isWord(last) else { return end - 1 }
        var start = end - 1
        while start > 0, isWord(piece[start - 1]) { start -= 1 }
        return start
    }

    /// Index of the quote that opens the string whose closing quote is at `close`.
    private func stringStart(closingQuoteAt close: Int, in piece: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = close - 1
        while index >= 0 {
            if piece[index] == UInt8(ascii: "\"") {
                var backslashes = 0
                var before = index - 1
                while before >= 0, piece[before] == UInt8(ascii: "\\") {
                    backslashes += 1
                    before -= 1
                }
                if backslashes % 2 == 0 { return index }
            }
            index -= 1
        }
        return nil
    }

    func finish() throws {
        if let failure { throw failure }
        if fast.active {
            // The input ends inside a polygon: yajl reads what is left and reports the end.
            try handBack(resumeIn: nil)
        }
        completing = true
        switch lexer.complete() {
        case .ok:
            break
        case .stoppedByEngine:
            throw failure!
        case .syntaxError(let message, _):
            let end = tracker.location(of: bytesFed)
            let text = documentStarted ? "unexpected end of input (\(message.replacingOccurrences("parse error: ", with: "")))"
                : "empty input: no JSON value"
            fail(.syntax, text, at: end, path: currentPath())
            throw failure!
        }
        if let checker {
            for error in checker.unresolved() {
                try report(error)
            }
        }
    }

    // MARK: Errors and places

    private func fail(_ kind: AiCOCOError.Kind, _ message: String, at location: SourceLocation, path: String) {
        if failure == nil {
            failure = AiCOCOError(kind: kind, message: message, path: path, location: location)
        }
    }

    /// Hands a problem to the delegate; if it throws, the parse stops with that error.
    private func report(_ error: AiCOCOError) throws {
        do {
            try delegate.engineProblem(error)
        } catch let stop as AiCOCOError {
            failure = stop
            throw stop
        }
    }

    /// Reports a problem from inside a callback. Returns false when the parse must stop.
    private func problem(_ kind: AiCOCOError.Kind, _ message: String, at location: SourceLocation,
                         path: String) -> Bool {
        record.valid = false
        if kind == .limit || kind == .syntax {
            fail(kind, message, at: location, path: path)
            return false
        }
        do {
            try report(AiCOCOError(kind: kind, message: message, path: path, location: location))
            return true
        } catch {
            return false
        }
    }

    /// Stops the parse because the delegate threw from a record or chunk.
    private func delegateFailed(_ error: Error) -> Bool {
        if let error = error as? AiCOCOError {
            fail(error.kind, error.message, at: error.location, path: error.path)
        } else if let limit = error as? RecordLimitExceeded {
            fail(.limit, limit.message, at: tracker.location(of: tokenEnd()), path: currentPath())
            return false
        } else {
            fail(.io, "stopped by the consumer: \(error)", at: tracker.location(of: tokenEnd()),
                 path: currentPath())
        }
        delegateError = error
        return false
    }

    /// The error a delegate threw, if that is what stopped the parse (rethrown as is by readers).
    private(set) var delegateError: Error?

    /// Absolute offset just past the token yajl is handing out.
    private func tokenEnd() -> Int {
        completing ? bytesFed : feedBase + lexer.bytesConsumed
    }

    private func containerStart() -> SourceLocation {
        tracker.location(of: max(0, tokenEnd() - 1))
    }

    private func numberStart(length: Int) -> SourceLocation {
        tracker.location(of: max(0, tokenEnd() - length))
    }

    /// Where the string (or key) just handed out starts: its opening quote.
    private func stringStart(length: Int) -> SourceLocation {
        let end = tokenEnd()
        var index = end - 2
        while index >= tracker.chunkBase {
            if tracker.byte(at: index) == UInt8(ascii: "\""), !isEscaped(index) {
                return tracker.location(of: index)
            }
            index -= 1
        }
        // The string began in an earlier piece.
        return tracker.location(of: quoteBeforePiece ?? max(0, end - length - 2))
    }

    /// The JSON path of the value being read.
    private func currentPath() -> String { path(throughFrame: frames.count, includeCurrent: true) }

    /// The path of the container opened by frame `depth` (or of the value in it when `includeCurrent`).
    func path(throughFrame depth: Int, includeCurrent: Bool) -> String {
        var text = "$"
        let last = includeCurrent ? depth : depth - 1
        var index = 0
        while index < min(last, frames.count) {
            let frame = frames[index]
            switch frame.kind {
            case .document:
                if let key = frame.key {
                    appendPathKey(key, to: &text)
                } else if frame.field == .none {
                    // between keys
                } else {
                    appendPathKey(frame.section.rawValue, to: &text)
                }
            case .record, .regressionItem:
                if let key = frame.key {
                    appendPathKey(key, to: &text)
                } else if frame.field != .none {
                    appendPathKey(frame.field.jsonKey, to: &text)
                }
            case .section, .idList, .regressionList, .coordList:
                text += "[\(frame.count)]"
            case .coordEntry:
                text += "[\(coordinateIndex)]"
            case .extra:
                if frame.field == .extra {
                    if let key = frame.key { appendPathKey(key, to: &text) }
                } else {
                    text += "[\(frame.count)]"
                }
            case .skip:
                return text
            }
            index += 1
        }
        return text
    }

    // MARK: Frames

    private func push(_ frame: Frame) -> Bool {
        if frames.count >= options.limits.maxDepth {
            return problem(.limit, "nesting deeper than \(options.limits.maxDepth) (limit maxDepth)",
                           at: containerStart(), path: currentPath())
        }
        frames.append(frame)
        topKind = frame.kind
        return true
    }

    private func pop() {
        frames.removeLast()
        topKind = frames.last?.kind
    }

    /// A value has been read in the innermost frame: move to the next element.
    private func valueDone() {
        guard let kind = topKind else {
            documentEnded = true
            return
        }
        switch kind {
        case .section, .idList, .regressionList, .coordList:
            frames[frames.count - 1].count += 1
        case .extra where frames[frames.count - 1].field != .extra:
            frames[frames.count - 1].count += 1
        case .document, .record, .regressionItem, .extra:
            frames[frames.count - 1].key = nil
        case .coordEntry, .skip:
            break
        }
    }

    /// Passes over the container that was just opened.
    private func skipContainer() -> Bool {
        push(Frame(kind: .skip, count: 1))
    }

    /// A container opened inside a skipped value counts towards `maxDepth` too (yajl keeps a
    /// byte per level: without this, a run of `[` inside a bad value grows without bound).
    private func skipDepthAllowed() -> Bool {
        let depth = frames.count - 1 + frames[frames.count - 1].count
        guard depth > options.limits.maxDepth else { return true }
        return problem(.limit, "nesting deeper than \(options.limits.maxDepth) (limit maxDepth)",
                       at: containerStart(), path: currentPath())
    }

    /// Reports a value of the wrong type at the current place, and passes over it.
    private func wrongType(_ expected: String, found: String, at location: SourceLocation, container: Bool) -> Bool {
        let path = currentPath()
        var message = "expected \(expected), found \(found)"
        if let frame = frames.last, frame.kind == .record || frame.kind == .regressionItem,
           frame.field != .none, frame.field != .extra {
            message = "\"\(frame.field.jsonKey)\": " + message
        } else if let frame = frames.last, frame.kind == .idList {
            message = "\"category_ids\" entry: " + message
        }
        guard problem(.schema, message, at: location, path: path) else { return false }
        if container { return skipContainer() }
        valueDone()
        return true
    }

    // MARK: yajl callbacks

    func onStartObject() -> Bool {
        sawEvent = true
        guard let kind = topKind else {
            if documentStarted { return true }
            documentStarted = true
            return push(Frame(kind: .document, start: containerStart()))
        }
        switch kind {
        case .skip:
            frames[frames.count - 1].count += 1
            return skipDepthAllowed()
        case .document:
            let frame = frames[frames.count - 1]
            if frame.key != nil { return skipContainer() }
            if frame.section == .meta {
                return beginRecord(.meta)
            }
            return wrongType("an array", found: "an object", at: containerStart(), container: true)
        case .section:
            return beginRecord(frames[frames.count - 1].section)
        case .record:
            let frame = frames[frames.count - 1]
            if frame.field == .extra {
                extraStack.append(.object([], key: ""))
                return push(Frame(kind: .extra, field: .extra))
            }
            return wrongType(expectedType(of: frame.field), found: "an object", at: containerStart(), container: true)
        case .regressionList:
            item = ItemScratch()
            return push(Frame(kind: .regressionItem, start: containerStart()))
        case .regressionItem:
            let frame = frames[frames.count - 1]
            if frame.key != nil { return skipContainer() }
            return wrongType(frame.field == .value ? "a number" : "a string", found: "an object",
                             at: containerStart(), container: true)
        case .idList:
            return wrongType("a string", found: "an object", at: containerStart(), container: true)
        case .coordList:
            return wrongType("an array of numbers", found: "an object", at: containerStart(), container: true)
        case .coordEntry:
            return wrongCoordinate("an object", at: containerStart(), container: true)
        case .extra:
            record.cost += 16
            extraStack.append(.object([], key: ""))
            return push(Frame(kind: .extra, field: .extra))
        }
    }

    func onStartArray() -> Bool {
        sawEvent = true
        guard let kind = topKind else {
            if documentStarted { return true }
            documentStarted = true
            let start = containerStart()
            guard problem(.schema, "an AiCOCO document is a JSON object, found an array", at: start, path: "$")
            else { return false }
            return push(Frame(kind: .skip, count: 1))
        }
        switch kind {
        case .skip:
            frames[frames.count - 1].count += 1
            return skipDepthAllowed()
        case .document:
            let frame = frames[frames.count - 1]
            if frame.key != nil { return skipContainer() }
            if frame.section == .meta {
                return wrongType("an object", found: "an array", at: containerStart(), container: true)
            }
            do {
                try delegate.engineSectionStart(frame.section)
            } catch {
                return delegateFailed(error)
            }
            return push(Frame(kind: .section, section: frame.section, start: containerStart()))
        case .section:
            return wrongType("an object", found: "an array", at: containerStart(), container: true)
        case .record:
            let frame = frames[frames.count - 1]
            switch frame.field {
            case .categoryIDs:
                record.categoryIDs = []
                return push(Frame(kind: .idList, field: .categoryIDs))
            case .regressions:
                record.regressions = []
                return push(Frame(kind: .regressionList, field: .regressions))
            case .bbox:
                record.bboxCount = 0
                coordinateKind = .bbox
                return push(Frame(kind: .coordList, field: .bbox))
            case .segmentation:
                record.polygonCount = 0
                coordinateKind = .segmentation
                return push(Frame(kind: .coordList, field: .segmentation))
            case .extra:
                extraStack.append(.array([]))
                return push(Frame(kind: .extra, field: .none))
            default:
                return wrongType(expectedType(of: frame.field), found: "an array", at: containerStart(), container: true)
            }
        case .coordList:
            let start = containerStart()
            coordinateIndex = 0
            chunkStartIndex = 0
            coordinateFill = 0
            polygonIndex = frames[frames.count - 1].count
            guard push(Frame(kind: .coordEntry, start: start)) else { return false }
            if coordinateKind == .segmentation && !completing && options.readsPolygonsWithoutYajl {
                // Stop yajl here: the engine reads the polygon's numbers itself (`scanCoordinates`).
                takeoverRequested = true
                return false
            }
            return true
        case .coordEntry:
            return wrongCoordinate("an array", at: containerStart(), container: true)
        case .idList:
            return wrongType("a string", found: "an array", at: containerStart(), container: true)
        case .regressionList:
            return wrongType("a regression item object", found: "an array", at: containerStart(), container: true)
        case .regressionItem:
            let frame = frames[frames.count - 1]
            if frame.key != nil { return skipContainer() }
            return wrongType(frame.field == .value ? "a number" : "a string", found: "an array",
                             at: containerStart(), container: true)
        case .extra:
            record.cost += 16
            extraStack.append(.array([]))
            return push(Frame(kind: .extra, field: .none))
        }
    }

    func onEndObject() -> Bool {
        sawEvent = true
        lastValueEnd = tokenEnd()
        guard let kind = topKind else { return true }
        switch kind {
        case .skip:
            return endSkip()
        case .document:
            return endDocument()
        case .record:
            return endRecord()
        case .regressionItem:
            return endRegressionItem()
        case .extra:
            return endExtra()
        default:
            return true
        }
    }

    func onEndArray() -> Bool {
        sawEvent = true
        lastValueEnd = tokenEnd()
        guard let kind = topKind else { return true }
        switch kind {
        case .coordEntry:
            return endCoordinateEntry()
        case .skip:
            return endSkip()
        case .section:
            let frame = frames[frames.count - 1]
            pop()
            checker?.sectionCompleted(frame.section)
            do {
                try delegate.engineSectionEnd(frame.section, count: frame.count)
            } catch {
                return delegateFailed(error)
            }
            valueDone()
            return true
        case .idList, .regressionList, .coordList:
            pop()
            valueDone()
            return true
        case .extra:
            return endExtra()
        default:
            return true
        }
    }

    private func endSkip() -> Bool {
        frames[frames.count - 1].count -= 1
        if frames[frames.count - 1].count == 0 {
            pop()
            valueDone()
        }
        return true
    }

    func onKey(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        sawEvent = true
        guard let kind = topKind else { return true }
        switch kind {
        case .skip:
            return true
        case .document:
            if let section = AiCOCOSection.lookup(key) {
                frames[frames.count - 1].section = section
                frames[frames.count - 1].field = .id
                frames[frames.count - 1].key = nil
                if sectionsSeen & (1 << UInt32(section.ordinal)) != 0 {
                    frames[frames.count - 1].key = section.rawValue
                    return problem(.semantic, "duplicate key \"\(section.rawValue)\" at the top level",
                                   at: stringStart(length: key.count), path: currentPath())
                }
                sectionsSeen |= 1 << UInt32(section.ordinal)
                return true
            }
            let name = string(key)
            frames[frames.count - 1].key = name
            return problem(.schema, "unknown top-level key \(jsonQuoted(name)) (allowed: images, annotations, categories, regressions, objects, meta)",
                           at: stringStart(length: key.count), path: currentPath())
        case .record:
            let section = frames[frames.count - 1].section
            let field = Field.lookup(key, in: section)
            frames[frames.count - 1].field = field
            if field == .extra {
                let name = string(key)
                frames[frames.count - 1].key = name
                record.cost += key.count
                if record.extra.contains(where: { $0.key == name }) {
                    return problem(.semantic, "duplicate key \(jsonQuoted(name))", at: stringStart(length: key.count),
                                   path: currentPath())
                }
                return true
            }
            frames[frames.count - 1].key = nil
            if record.seen & field.bit != 0 {
                return problem(.semantic, "duplicate key \"\(field.jsonKey)\"", at: stringStart(length: key.count),
                               path: currentPath())
            }
            record.seen |= field.bit
            return true
        case .regressionItem:
            let field = Field.lookupRegressionItemKey(key)
            frames[frames.count - 1].field = field
            if field == .extra {
                let name = string(key)
                frames[frames.count - 1].key = name
                item.valid = false
                let depth = frames.count
                return problem(.schema, "a regression item has only regression_id and value, found key \(jsonQuoted(name))",
                               at: frames[depth - 1].start, path: path(throughFrame: depth, includeCurrent: false))
            }
            frames[frames.count - 1].key = nil
            if item.seen & field.bit != 0 {
                item.valid = false
                return problem(.semantic, "duplicate key \"\(field.jsonKey)\"", at: stringStart(length: key.count),
                               path: currentPath())
            }
            item.seen |= field.bit
            return true
        case .extra:
            let name = string(key)
            record.cost += key.count
            frames[frames.count - 1].key = name
            if case .object(let members, _) = extraStack[extraStack.count - 1] {
                if members.contains(where: { $0.key == name }) {
                    guard problem(.semantic, "duplicate key \(jsonQuoted(name))", at: stringStart(length: key.count),
                                  path: currentPath()) else { return false }
                }
                extraStack[extraStack.count - 1] = .object(members, key: name)
            }
            return true
        default:
            return true
        }
    }

    @inline(__always)
    func onNumber(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let state = hot
        state.pointee.sawEvent = true
        if state.pointee.topKind == .coordEntry {
            guard let value = parseJSONNumber(text) else {
                return numberOutOfRange(text)
            }
            let fill = state.pointee.coordinateFill
            coordinates[fill] = value
            state.pointee.coordinateFill = fill + 1
            state.pointee.coordinateIndex += 1
            if fill + 1 == coordinateCapacity {
                return deliverCoordinates(endsPolygon: false)
            }
            return true
        }
        return onScalar(.number, text)
    }

    func onString(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        sawEvent = true
        return onScalar(.string, text)
    }

    func onNull() -> Bool {
        sawEvent = true
        return onScalar(.null, UnsafeBufferPointer(start: nil, count: 0))
    }

    func onBool(_ value: Bool) -> Bool {
        sawEvent = true
        return onScalar(value ? .trueValue : .falseValue, UnsafeBufferPointer(start: nil, count: 0))
    }

    enum ScalarKind {
        case null, trueValue, falseValue, number, string

        var described: String {
            switch self {
            case .null: "null"
            case .trueValue: "true"
            case .falseValue: "false"
            case .number: "a number"
            case .string: "a string"
            }
        }
    }

    private func scalarStart(_ kind: ScalarKind, length: Int) -> SourceLocation {
        switch kind {
        case .null, .trueValue: numberStart(length: 4)
        case .falseValue: numberStart(length: 5)
        case .number: numberStart(length: length)
        case .string: stringStart(length: length)
        }
    }

    private func onScalar(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        lastValueEnd = tokenEnd()
        if kind == .string, text.count > options.limits.maxStringBytes {
            return problem(.limit, "string of \(text.count) bytes is longer than \(options.limits.maxStringBytes) (limit maxStringBytes)",
                           at: scalarStart(kind, length: text.count), path: currentPath())
        }
        if kind == .number, text.count > options.limits.maxNumberBytes {
            return problem(.limit, "number of \(text.count) bytes is longer than \(options.limits.maxNumberBytes) (limit maxNumberBytes)",
                           at: scalarStart(kind, length: text.count), path: currentPath())
        }
        guard let top = topKind else {
            documentStarted = true
            documentEnded = true
            return problem(.schema, "an AiCOCO document is a JSON object, found \(kind.described)",
                           at: scalarStart(kind, length: text.count), path: "$")
        }
        switch top {
        case .skip:
            return true
        case .document:
            if frames[frames.count - 1].key != nil {
                valueDone()
                return true
            }
            let section = frames[frames.count - 1].section
            return wrongType(section == .meta ? "an object" : "an array", found: kind.described,
                             at: scalarStart(kind, length: text.count), container: false)
        case .section:
            return wrongType("an object", found: kind.described, at: scalarStart(kind, length: text.count),
                             container: false)
        case .record:
            return recordField(kind, text)
        case .idList:
            guard kind == .string else {
                return wrongType("a string", found: kind.described, at: scalarStart(kind, length: text.count),
                                 container: false)
            }
            let id = string(text)
            record.cost += text.count + 16
            if let checker {
                let site = ReferenceSite(section: frames[frames.count - 2].section, record: recordIndex(),
                                         field: .categoryIDs, listIndex: frames[frames.count - 1].count)
                checker.reference(to: .categories, id: id, site: site, at: stringStart(length: text.count))
                    .map { _ = problem($0.kind, $0.message, at: $0.location, path: $0.path) }
            }
            record.categoryIDs?.append(id)
            valueDone()
            return !recordTooBig()
        case .regressionList:
            return wrongType("a regression item object", found: kind.described,
                             at: scalarStart(kind, length: text.count), container: false)
        case .regressionItem:
            return regressionItemField(kind, text)
        case .coordList:
            return wrongType("an array of numbers", found: kind.described, at: scalarStart(kind, length: text.count),
                             container: false)
        case .coordEntry:
            return wrongCoordinate(kind.described, at: scalarStart(kind, length: text.count), container: false)
        case .extra:
            record.cost += text.count + 16
            appendExtra(jsonValue(kind, text))
            return !recordTooBig()
        }
    }

    private func recordIndex() -> Int {
        for frame in frames.reversed() where frame.kind == .section { return frame.count }
        return 0
    }

    private func recordTooBig() -> Bool {
        if record.cost > options.limits.maxRecordBytes {
            let depth = frames.firstIndex(where: { $0.kind == .record }).map { $0 + 1 } ?? frames.count
            _ = problem(.limit, "record larger than \(options.limits.maxRecordBytes) bytes without its coordinates (limit maxRecordBytes)",
                        at: record.start, path: path(throughFrame: depth, includeCurrent: false))
            return true
        }
        return false
    }

    private func jsonValue(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> JSONValue {
        switch kind {
        case .null: .null
        case .trueValue: .bool(true)
        case .falseValue: .bool(false)
        case .number: .number(JSONNumber(literal: string(text)))
        case .string: .string(string(text))
        }
    }

    private func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    private func expectedType(of field: Field) -> String {
        switch field {
        case .id, .fileName, .imageID, .objectID, .name, .color, .unit, .taskType, .regressionID: "a string"
        case .supercategoryID, .superregressionID: "a string or null"
        case .index, .confidence, .value: "a number"
        case .iscrowd: "0 or 1"
        case .categoryIDs: "an array of strings or null"
        case .regressions: "an array of regression items or null"
        case .bbox: "an array of [x1, y1, x2, y2] arrays or null"
        case .segmentation: "an array of polygons (arrays of numbers) or null"
        case .threshold, .extra, .none: "a value"
        }
    }

    // MARK: Records

    private func beginRecord(_ section: AiCOCOSection) -> Bool {
        record = RecordScratch()
        record.start = containerStart()
        if section == .annotations {
            do {
                try delegate.engineAnnotationStart(index: frames[frames.count - 1].count)
            } catch {
                return delegateFailed(error)
            }
        }
        return push(Frame(kind: .record, section: section, start: record.start))
    }

    private func numberValue(_ text: UnsafeBufferPointer<UInt8>, at location: SourceLocation) -> Double? {
        if let value = parseJSONNumber(text) { return value }
        _ = problem(.semantic, "number \(string(text)) does not fit a 64-bit float", at: location, path: currentPath())
        return nil
    }

    private func recordField(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let field = frames[frames.count - 1].field
        let section = frames[frames.count - 1].section
        // A value of the wrong type is reported as such, not again as a missing key.
        let wrong = { () -> Bool in
            self.wrongType(self.expectedType(of: field), found: kind.described,
                                  at: self.scalarStart(kind, length: text.count), container: false)
        }
        record.cost += text.count
        switch field {
        case .id, .fileName, .imageID, .objectID, .name, .color, .unit:
            guard kind == .string else { return wrong() }
            let value = string(text)
            switch field {
            case .id:
                record.id = value
                if let checker {
                    let site = ReferenceSite(section: section, record: recordIndex(), field: .id)
                    checker.define(section, id: value, site: site, at: stringStart(length: text.count))
                        .map { _ = problem($0.kind, $0.message, at: $0.location, path: $0.path) }
                }
            case .fileName: record.fileName = value
            case .imageID, .objectID:
                if field == .imageID { record.imageID = value } else { record.objectID = value }
                if let checker {
                    let site = ReferenceSite(section: section, record: recordIndex(), field: field)
                    checker.reference(to: field == .imageID ? .images : .objects, id: value, site: site,
                                      at: stringStart(length: text.count))
                        .map { _ = problem($0.kind, $0.message, at: $0.location, path: $0.path) }
                }
            case .name: record.name = value
            case .color: record.color = value
            default: record.unit = value
            }
        case .supercategoryID, .superregressionID:
            if kind == .null {
                record.superID = nil
            } else if kind == .string {
                let value = string(text)
                record.superID = value
                if let checker {
                    let site = ReferenceSite(section: section, record: recordIndex(), field: field)
                    checker.reference(to: field == .supercategoryID ? .categories : .regressions, id: value,
                                      site: site, at: stringStart(length: text.count))
                        .map { _ = problem($0.kind, $0.message, at: $0.location, path: $0.path) }
                }
            } else {
                return wrong()
            }
        case .threshold:
            if kind == .string {
                record.threshold = string(text)
            } else {
                record.extra.append(JSONMember("threshold", jsonValue(kind, text)))
            }
        case .taskType:
            guard kind == .string else { return wrong() }
            guard let type = AiTaskType(rawValue: string(text)) else {
                return wrongType("one of \"binary\", \"multiclass\", \"multilabel\"", found: jsonQuoted(string(text)),
                                 at: scalarStart(kind, length: text.count), container: false)
            }
            record.taskType = type
        case .index, .confidence:
            guard kind == .number else { return wrong() }
            guard let value = numberValue(text, at: scalarStart(kind, length: text.count)) else { break }
            if field == .index { record.index = value } else { record.confidence = value }
        case .iscrowd:
            guard kind == .number else { return wrong() }
            let location = scalarStart(kind, length: text.count)
            guard let value = numberValue(text, at: location) else { break }
            guard value == 0 || value == 1 else {
                return wrongType("0 or 1", found: string(text), at: location, container: false)
            }
            if options.validate, text.contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }) {
                guard problem(.semantic, "iscrowd must be written as the integer 0 or 1, found \(string(text))",
                              at: location, path: currentPath()) else { return false }
            }
            record.iscrowd = Int(value)
        case .categoryIDs:
            guard kind == .null else { return wrong() }
            record.categoryIDs = nil
        case .regressions:
            guard kind == .null else { return wrong() }
            record.regressions = nil
        case .bbox:
            guard kind == .null else { return wrong() }
            record.bboxCount = nil
        case .segmentation:
            guard kind == .null else { return wrong() }
            record.polygonCount = nil
        case .extra:
            record.cost += 16
            if let key = frames[frames.count - 1].key {
                record.extra.append(JSONMember(key, jsonValue(kind, text)))
            }
        case .none, .regressionID, .value:
            break
        }
        valueDone()
        return !recordTooBig()
    }

    private func regressionItemField(_ kind: ScalarKind, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let frame = frames[frames.count - 1]
        let location = scalarStart(kind, length: text.count)
        switch frame.field {
        case .regressionID:
            guard kind == .string else {
                item.valid = false
                return wrongType("a string", found: kind.described, at: location, container: false)
            }
            item.regressionID = string(text)
            record.cost += text.count + 16
            if let checker {
                let site = ReferenceSite(section: frames[frames.count - 3].section, record: recordIndex(),
                                         field: .regressions, listIndex: frames[frames.count - 2].count,
                                         leaf: .regressionID)
                checker.reference(to: .regressions, id: item.regressionID, site: site, at: location)
                    .map { _ = problem($0.kind, $0.message, at: $0.location, path: $0.path) }
            }
        case .value:
            guard kind == .number else {
                item.valid = false
                return wrongType("a number", found: kind.described, at: location, container: false)
            }
            if let value = numberValue(text, at: location) { item.value = value } else { item.valid = false }
        default:
            break
        }
        valueDone()
        return true
    }

    private func endRegressionItem() -> Bool {
        let depth = frames.count
        let start = frames[depth - 1].start
        for field in [Field.regressionID, .value] where item.seen & field.bit == 0 {
            item.valid = false
            guard problem(.schema, "missing required key \"\(field.jsonKey)\" in a regression item", at: start,
                          path: path(throughFrame: depth, includeCurrent: false)) else { return false }
        }
        pop()
        if item.valid {
            record.regressions?.append(AiRegressionItem(regressionID: item.regressionID, value: item.value))
        }
        valueDone()
        return true
    }

    private func endRecord() -> Bool {
        let depth = frames.count
        let frame = frames[depth - 1]
        let section = frame.section
        let missing = Field.requiredMasks[section.ordinal] & ~record.seen
        if missing != 0 {
            let names = Field.required(in: section).filter { missing & $0.bit != 0 }.map { "\"\($0.jsonKey)\"" }
            let message = names.count == 1 ? "missing required key \(names[0])"
                : "missing required keys \(names.joined(separator: ", "))"
            guard problem(.schema, message, at: record.start, path: path(throughFrame: depth, includeCurrent: false))
            else { return false }
        }
        pop()
        let index = section == .meta ? 0 : frames[frames.count - 1].count
        do {
            if !record.valid {
                if section == .annotations { try delegate.engineAnnotationDropped(index: index) }
            } else {
                try emit(section, index: index)
            }
        } catch {
            return delegateFailed(error)
        }
        valueDone()
        return true
    }

    private func emit(_ section: AiCOCOSection, index: Int) throws {
        // Move the fields out rather than copy them (a copy retains every string).
        var r = RecordScratch()
        swap(&r, &record)
        switch section {
        case .annotations:
            try delegate.engineAnnotationEnd(
                AnnotationFields(id: r.id, imageID: r.imageID, objectID: r.objectID, iscrowd: r.iscrowd,
                                 bboxCount: r.bboxCount, polygonCount: r.polygonCount, extra: r.extra),
                index: index)
        case .images:
            try delegate.engineRecord(
                .image(AiImage(id: r.id, fileName: r.fileName, index: r.index, categoryIDs: r.categoryIDs,
                               regressions: r.regressions, extra: r.extra)), index: index)
        case .categories:
            try delegate.engineRecord(
                .category(AiCategory(id: r.id, name: r.name, supercategoryID: r.superID, color: r.color,
                                     extra: r.extra)), index: index)
        case .regressions:
            try delegate.engineRecord(
                .regression(AiRegression(id: r.id, name: r.name, superregressionID: r.superID, unit: r.unit,
                                         threshold: r.threshold, extra: r.extra)), index: index)
        case .objects:
            try delegate.engineRecord(
                .object(AiObject(id: r.id, categoryIDs: r.categoryIDs, regressions: r.regressions,
                                 confidence: r.confidence, extra: r.extra)), index: index)
        case .meta:
            try delegate.engineRecord(
                .meta(AiMeta(categoryIDs: r.categoryIDs, regressions: r.regressions, taskType: r.taskType,
                             extra: r.extra)), index: 0)
        }
    }

    private func endDocument() -> Bool {
        let start = frames[0].start
        let missing = AiCOCOSection.allCases.filter { sectionsSeen & (1 << UInt32($0.ordinal)) == 0 }
        pop()
        documentEnded = true
        if !missing.isEmpty {
            let names = missing.map { "\"\($0.rawValue)\"" }
            return problem(.schema, (names.count == 1 ? "missing required top-level key " : "missing required top-level keys ")
                + names.joined(separator: ", "), at: start, path: "$")
        }
        return true
    }

    // MARK: Coordinates

    private func deliverCoordinates(endsPolygon: Bool) -> Bool {
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

    private func endCoordinateEntry() -> Bool {
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

    private func wrongCoordinate(_ found: String, at location: SourceLocation, container: Bool) -> Bool {
        let path = currentPath()
        coordinateIndex += 1
        guard problem(.schema, "expected a number, found \(found)", at: location, path: path) else { return false }
        return container ? skipContainer() : true
    }

    private func numberOutOfRange(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let location = numberStart(length: text.count)
        let path = currentPath()
        coordinateIndex += 1
        return problem(.semantic, "number \(string(text)) does not fit a 64-bit float", at: location, path: path)
    }

    // MARK: Extra fields

    private func appendExtra(_ value: JSONValue) {
        guard !extraStack.isEmpty else { return }
        switch extraStack[extraStack.count - 1] {
        case .array(var values):
            extraStack[extraStack.count - 1] = .array([])
            values.append(value)
            extraStack[extraStack.count - 1] = .array(values)
        case .object(var members, let key):
            extraStack[extraStack.count - 1] = .array([])
            members.append(JSONMember(key, value))
            extraStack[extraStack.count - 1] = .object(members, key: key)
        }
        valueDone()
    }

    private func endExtra() -> Bool {
        pop()
        let value: JSONValue
        switch extraStack.removeLast() {
        case .array(let values): value = .array(values)
        case .object(let members, _): value = .object(members)
        }
        if extraStack.isEmpty {
            if let key = frames[frames.count - 1].key {
                record.extra.append(JSONMember(key, value))
            }
            valueDone()
        } else {
            appendExtra(value)
        }
        return !recordTooBig()
    }
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
