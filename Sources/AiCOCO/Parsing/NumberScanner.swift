/// JSON numbers read in one pass over their bytes: the end of the token, its grammar
/// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, matched greedily as yajl's lexer does) and,
/// for up to 15 digits without an exponent, the value, all at once.

/// Where the grammar of a number stands after some of its bytes.
enum NumberState: UInt8 {
    case start, minus, zero, integer, dot, fraction, exponent, exponentSign, exponentDigits

    /// The bytes so far are a whole number (it may go on).
    var isComplete: Bool {
        self == .zero || self == .integer || self == .fraction || self == .exponentDigits
    }

    /// A complete number with a fraction or an exponent (not an integer token).
    var hasFractionOrExponent: Bool { self == .fraction || self == .exponentDigits }

    /// The state after `byte`, or `nil` when `byte` is not part of the number: it then ends
    /// before `byte` if `isComplete`, else `byte` is an error (`yajlError`).
    @inline(__always)
    func next(_ byte: UInt8) -> NumberState? {
        let digit = byte &- 0x30 < 10
        switch self {
        case .start:
            if byte == UInt8(ascii: "-") { return .minus }
            return byte == 0x30 ? .zero : digit ? .integer : nil
        case .minus:
            return byte == 0x30 ? .zero : digit ? .integer : nil
        case .zero:
            return byte == UInt8(ascii: ".") ? .dot : byte | 0x20 == UInt8(ascii: "e") ? .exponent : nil
        case .integer:
            return digit ? .integer : byte == UInt8(ascii: ".") ? .dot
                : byte | 0x20 == UInt8(ascii: "e") ? .exponent : nil
        case .dot:
            return digit ? .fraction : nil
        case .fraction:
            return digit ? .fraction : byte | 0x20 == UInt8(ascii: "e") ? .exponent : nil
        case .exponent:
            return byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") ? .exponentSign : digit ? .exponentDigits : nil
        case .exponentSign, .exponentDigits:
            return digit ? .exponentDigits : nil
        }
    }

    /// yajl's lexical error for a number that stops in this (incomplete) state.
    var yajlError: String { "lexical error: malformed number, a digit is required after the \(missingDigitPlace)" }

    /// That error in plain words.
    var malformedMessage: String { "malformed number: a digit is required after the \(missingDigitPlace)" }

    private var missingDigitPlace: String {
        switch self {
        case .dot: "decimal point"
        case .exponent, .exponentSign: "exponent"
        default: "minus sign"
        }
    }
}

/// One number read from a buffer by `scanNumber`.
struct ScannedNumber {
    /// Index just past the bytes read (the end of the token, or of the buffer).
    var end: Int
    var state: NumberState
    /// The value, when the token ended within the buffer, is complete and has at most 15
    /// digits and no exponent (the other values: `parseJSONNumber` on the token's text).
    var value: Double?
}

private let exactPowersOfTen: [Double] = (0...22).map { exponent in
    var value = 1.0
    for _ in 0..<exponent { value *= 10 }
    return value
}

/// Reads the number that starts at `start` (a `-` or a digit) in `bytes`, in one pass.
@inline(__always)
func scanNumber(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> ScannedNumber {
    let count = bytes.count
    var index = start
    var negative = false
    if bytes[index] == UInt8(ascii: "-") {
        negative = true
        index += 1
        if index == count { return ScannedNumber(end: index, state: .minus) }
    }
    var mantissa: UInt64 = 0
    var digits = 0
    // Integer part.
    var byte = bytes[index]
    if byte == 0x30 {
        index += 1
        digits = 1
    } else if byte &- 0x30 < 10 {
        repeat {
            mantissa = mantissa &* 10 &+ UInt64(byte &- 0x30)
            digits += 1
            index += 1
            if index == count { return ScannedNumber(end: index, state: .integer) }
            byte = bytes[index]
        } while byte &- 0x30 < 10
    } else {
        return ScannedNumber(end: index, state: .minus)
    }
    guard index < count else { return ScannedNumber(end: index, state: .zero) }
    byte = bytes[index]
    var fractionDigits = 0
    var state: NumberState = digits == 1 && mantissa == 0 ? .zero : .integer
    if byte == UInt8(ascii: ".") {
        index += 1
        state = .dot
        while index < count {
            byte = bytes[index]
            guard byte &- 0x30 < 10 else { break }
            mantissa = mantissa &* 10 &+ UInt64(byte &- 0x30)
            digits += 1
            fractionDigits += 1
            index += 1
        }
        if fractionDigits > 0 { state = .fraction }
        if index == count || state == .dot { return ScannedNumber(end: index, state: state) }
    }
    if byte | 0x20 == UInt8(ascii: "e") {
        // Rare in coordinates: the grammar byte by byte, the value from the text.
        state = .exponent
        index += 1
        while index < count, let next = state.next(bytes[index]) {
            state = next
            index += 1
        }
        return ScannedNumber(end: index, state: state)
    }
    guard digits <= 15 else { return ScannedNumber(end: index, state: state) }
    // At most 15 digits and a power of ten up to 10^15: both exact, one correctly rounded division.
    let magnitude = fractionDigits == 0 ? Double(mantissa) : Double(mantissa) / exactPowersOfTen[fractionDigits]
    return ScannedNumber(end: index, state: state, value: negative ? -magnitude : magnitude)
}
