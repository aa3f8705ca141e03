// JSON text generated straight into a byte buffer, byte for byte what yajl's generator
// (yajl_gen, 2.1) writes for the same calls, compact or beautified, with its separators,
// indentation and string escapes, but without a C call per value.

extension JSONWriter {
    /// A JSON writer was used out of order (e.g. a value where a key is expected).
    public struct Misuse: Error, Sendable, CustomStringConvertible {
        /// What was out of order.
        public let message: String
        /// `JSON writer misuse: MESSAGE`.
        public var description: String { "JSON writer misuse: \(message)" }
    }
}

/// yajl's generator as a byte buffer: the same state machine (`yajl_gen_state`), separators,
/// indentation and escapes, drained to a sink after each record so that it never holds more
/// than one record.
final class JSONGenerator {
    /// yajl's `YAJL_MAX_DEPTH`: containers nest at most this deep (minus one).
    static let maxDepth = 128

    private enum State: UInt8 {
        case start, mapStart, mapKey, mapValue, arrayStart, inArray, complete
    }

    private(set) var buffer: UnsafeMutablePointer<UInt8>
    private var capacity = 1 << 16
    var count = 0
    private let states = UnsafeMutablePointer<State>.allocate(capacity: JSONGenerator.maxDepth)
    let pretty: Bool
    /// Non-finite numbers are written as Python writes them (`NaN`, `Infinity`, `-Infinity`)
    /// rather than refused: for documents read with `allowNonFinite`.
    var allowsNonFinite = false
    /// Containers open now.
    private(set) var depth = 0
    /// Two spaces per level, as the project has always indented.
    private static let indent: [UInt8] = [0x20, 0x20]

    init(pretty: Bool) {
        self.pretty = pretty
        buffer = .allocate(capacity: capacity)
        states.initialize(repeating: .start, count: Self.maxDepth)
    }

    deinit {
        buffer.deallocate()
        states.deallocate()
    }

    // MARK: Bytes

    @inline(__always)
    func reserve(_ more: Int) {
        if count + more > capacity { grow(count + more) }
    }

    private func grow(_ needed: Int) {
        var size = capacity * 2
        while size < needed { size *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        grown.update(from: buffer, count: count)
        buffer.deallocate()
        buffer = grown
        capacity = size
    }

    @inline(__always)
    func put(_ byte: UInt8) {
        reserve(1)
        buffer[count] = byte
        count += 1
    }

    @inline(__always)
    func put(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        reserve(bytes.count)
        UnsafeMutableRawPointer(buffer + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    func put(_ text: StaticString) {
        put(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    // MARK: yajl's state machine

    /// `ENSURE_VALID_STATE` (and `ENSURE_NOT_KEY` for anything but a string), then the
    /// separator and indentation before a value (`INSERT_SEP`, `INSERT_WHITESPACE`).
    @inline(__always)
    func beforeValue(_ what: StaticString, isString: Bool = false) throws {
        let state = states[depth]
        if state == .complete { throw JSONWriter.Misuse(message: "\(what): the top-level value is already complete") }
        if !isString && (state == .mapKey || state == .mapStart) {
            throw JSONWriter.Misuse(message: "\(what): a key was expected")
        }
        switch state {
        case .mapKey, .inArray:
            put(UInt8(ascii: ","))
            if pretty { put(0x0A) }
        case .mapValue:
            put(UInt8(ascii: ":"))
            if pretty { put(0x20) }
        default:
            break
        }
        if pretty && state != .mapValue { indentation() }
    }

    private func indentation() {
        Self.indent.withUnsafeBytes { indent in
            for _ in 0..<depth { put(indent) }
        }
    }

    /// `APPENDED_ATOM`, then `FINAL_NEWLINE`.
    @inline(__always)
    func afterValue() {
        appended()
        if pretty && states[depth] == .complete { put(0x0A) }
    }

    @inline(__always)
    private func appended() {
        switch states[depth] {
        case .start: states[depth] = .complete
        case .mapStart, .mapKey: states[depth] = .mapValue
        case .arrayStart: states[depth] = .inArray
        case .mapValue: states[depth] = .mapKey
        default: break
        }
    }

    private func open(_ what: StaticString, _ state: State, _ bracket: UInt8) throws {
        try beforeValue(what)
        guard depth + 1 < Self.maxDepth else { throw JSONWriter.Misuse(message: "\(what): nesting too deep") }
        depth += 1
        states[depth] = state
        put(bracket)
        if pretty { put(0x0A) }
    }

    private func close(_ what: StaticString, _ bracket: UInt8) throws {
        let state = states[depth]
        if state == .complete { throw JSONWriter.Misuse(message: "\(what): the top-level value is already complete") }
        guard depth > 0 else { throw JSONWriter.Misuse(message: "\(what): no container is open") }
        depth -= 1
        if pretty { put(0x0A) }
        appended()
        if pretty && states[depth] != .mapValue { indentation() }
        put(bracket)
        if pretty && states[depth] == .complete { put(0x0A) }
    }

    func mapOpen() throws { try open("begin object", .mapStart, UInt8(ascii: "{")) }
    func mapClose() throws { try close("end object", UInt8(ascii: "}")) }
    func arrayOpen() throws { try open("begin array", .arrayStart, UInt8(ascii: "[")) }
    func arrayClose() throws { try close("end array", UInt8(ascii: "]")) }

    func null() throws {
        try beforeValue("null")
        put("null")
        afterValue()
    }

    func bool(_ value: Bool) throws {
        try beforeValue("bool")
        put(value ? "true" : "false")
        afterValue()
    }

    /// Text written as it is where a value goes (a number literal, a rendered value): the caller
    /// guarantees it is valid JSON.
    func atom(_ text: UnsafeRawBufferPointer, _ what: StaticString) throws {
        try beforeValue(what)
        put(text)
        afterValue()
    }

    /// A number literal, written as is (the caller guarantees it is valid JSON number text).
    func numberLiteral(_ literal: String) throws {
        var literal = literal
        try literal.withUTF8 { try atom(UnsafeRawBufferPointer($0), "number") }
    }

    /// A `Double` as JSON: integral values as integers (`130`), others shortest round-trip.
    func number(_ value: Double) throws {
        try withUnsafePointer(to: value) { try numberList(UnsafeBufferPointer(start: $0, count: 1)) }
    }

    /// `[[x1, y1, ...], ...]`: polygon by polygon, each ending at the next of `ends` in
    /// `coordinates`, without one allocation per number.
    func polygonList(_ coordinates: UnsafeBufferPointer<Double>, ends: some Sequence<Int>) throws {
        try arrayOpen()
        var start = 0
        for end in ends {
            try arrayOpen()
            try numberList(UnsafeBufferPointer(rebasing: coordinates[start..<end]))
            try arrayClose()
            start = end
        }
        try arrayClose()
    }

    /// The numbers of a coordinate list, `x1,y1,x2,...`, as one atom inside the array the caller
    /// opened: the same JSON as one call per number (in pretty mode the list stays on one line).
    func numberList(_ values: UnsafeBufferPointer<Double>) throws {
        guard !values.isEmpty else { return }
        let mark = count
        try beforeValue("number")
        reserve(values.count * 26)
        var out = buffer + count
        let digits = Self.smallDigits
        for value in values {
            // The integers of -999...999 (most coordinates) from a table: adding 2^52 to a
            // magnitude under 1000 leaves its nearest integer in the low bits, and subtracting
            // it again gives the magnitude back exactly when it is that integer.
            let magnitude = value.magnitude
            let biased = magnitude + 0x1p52
            let negative = value.sign == .minus
            if magnitude < 1000 && biased - 0x1p52 == magnitude && (magnitude != 0 || !negative) {
                let entry = digits + 4 * Int(truncatingIfNeeded: biased.bitPattern & 0x3FF)
                let sign = negative ? 1 : 0
                out[0] = UInt8(ascii: "-")
                UnsafeMutableRawPointer(out + sign).copyMemory(from: entry, byteCount: 4)
                out += sign + Int(entry[3])
            } else {
                guard value.isFinite else {
                    guard allowsNonFinite else {
                        count = mark
                        throw JSONWriter.Misuse(message: "number \(value) is not finite: JSON has no NaN or Infinity (only records, assemble and filter write them back, with --allow-nan)")
                    }
                    out += Self.writeNonFinite(value, to: out)
                    out[0] = UInt8(ascii: ",")
                    out += 1
                    continue
                }
                out += Self.writeOtherNumber(value, to: out)
            }
            out[0] = UInt8(ascii: ",")
            out += 1
        }
        count = out - buffer - 1
        afterValue()
    }

    /// The digits of 0..<1000, 4 bytes each (the count in the last byte of each entry).
    nonisolated(unsafe) private static let smallDigits: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 4000)
        for number in 0..<1000 {
            let digits = Array(String(number).utf8)
            for index in 0..<3 { table[4 * number + index] = index < digits.count ? digits[index] : 0 }
            table[4 * number + 3] = UInt8(digits.count)
        }
        return UnsafePointer(table)
    }()

    /// `NaN`, `Infinity` or `-Infinity`, as Python writes them (`allowsNonFinite`).
    @inline(never)
    private static func writeNonFinite(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let text = NonFiniteToken(value)!.text
        out.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        return text.utf8CodeUnitCount
    }

    /// `writeJSONNumber`, kept out of the loop above so that the common case stays small.
    @inline(never)
    private static func writeOtherNumber(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        writeJSONNumber(value, to: out)
    }

    /// A whole value already rendered as JSON text (a `JSONValueText`), written as is where a
    /// value is expected, separator and indentation before it included.
    func rendered(_ text: [UInt8]) throws {
        guard !text.isEmpty else { throw JSONWriter.Misuse(message: "an empty value") }
        try text.withUnsafeBytes { try atom($0, "value") }
    }

    /// Bytes that another generator, in the state this one is in, wrote from here on (the
    /// spilled members of an object): written as they are, the state left as it is. The
    /// caller guarantees that they leave the other generator in this state too.
    func continuation(_ bytes: UnsafeRawBufferPointer) { put(bytes) }

    func integer(_ value: Int) throws {
        try beforeValue("integer")
        if value >= 0 && value < 1000 {
            reserve(4)
            let entry = Self.smallDigits + 4 * value
            UnsafeMutableRawPointer(buffer + count).copyMemory(from: entry, byteCount: 4)
            count += Int(entry[3])
        } else if value.magnitude < 1 << 53 {
            reserve(24)
            count += writeJSONNumber(Double(value), to: buffer + count)
        } else {
            var text = String(value)
            text.withUTF8 { put(UnsafeRawBufferPointer($0)) }
        }
        afterValue()
    }

    /// Bytes generated and not yet drained.
    var pendingBytes: Int { count }

    /// Hands what was generated to `sink` and empties the buffer (even if the sink throws).
    func drain(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard count > 0 else { return }
        defer { count = 0 }
        try sink(UnsafeRawBufferPointer(start: buffer, count: count))
    }

    /// Ends a complete top-level value with a newline and lets a new one begin, keeping the
    /// bytes (JSON lines, several to a drain).
    func endLine() {
        put(0x0A)
        if depth != 0 { states.update(repeating: .start, count: Self.maxDepth) }
        depth = 0
        states[0] = .start
    }

    /// Drops what was generated after `mark` (a `pendingBytes` taken at the start of a line)
    /// and lets a new top-level value begin there.
    func rollback(to mark: Int) {
        count = min(count, mark)
        states.update(repeating: .start, count: Self.maxDepth)
        depth = 0
    }

    /// Lets the generator start a new top-level value (JSON lines); drops what was not drained.
    func reset() {
        count = 0
        depth = 0
        states.update(repeating: .start, count: Self.maxDepth)
    }
}
