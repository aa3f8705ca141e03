/// Parses the text of a JSON number (already checked by the lexer) into a `Double`.
/// Integers of up to 15 digits take a loop over the digits; anything else goes to `strtod`,
/// which rounds correctly. Returns `nil` when the value does not fit a finite `Double`.
@inline(__always)
func parseJSONNumber(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
    let count = text.count
    var index = 0
    var negative = false
    if count > 0 && text[0] == UInt8(ascii: "-") {
        negative = true
        index = 1
    }
    if count - index <= 15 {
        var value: Int64 = 0
        var allDigits = true
        while index < count {
            let digit = text[index] &- 48
            if digit > 9 {
                allDigits = false
                break
            }
            value = value &* 10 &+ Int64(digit)
            index += 1
        }
        if allDigits {
            return negative ? -Double(value) : Double(value)
        }
        // A plain decimal (`12.75`) of at most 15 digits: the digits and the power of ten are
        // both exact doubles, so one division rounds correctly (Clinger's fast path).
        if text[index] == UInt8(ascii: ".") && index + 1 < count && count - (negative ? 2 : 1) <= 15 {
            var scale = 1.0
            index += 1
            while index < count {
                let digit = text[index] &- 48
                if digit > 9 { return parseJSONNumberSlow(text) }
                value = value &* 10 &+ Int64(digit)
                scale *= 10
                index += 1
            }
            let result = Double(value) / scale
            return negative ? -result : result
        }
    }
    return parseJSONNumberSlow(text)
}

@inline(never)
func parseJSONNumberSlow(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
    // `NaN`, `Infinity`, `-Infinity` come here only when `allowNonFinite` read them.
    if text.count >= 3, text[0] == UInt8(ascii: "N") || text[0] == UInt8(ascii: "I") || text[1] == UInt8(ascii: "I"),
       let token = NonFiniteToken(text) {
        return token.value
    }
    return correctlyRoundedDouble(text)
}

/// Formats a `Double` as a JSON number: integral values within ±2^53 as integers
/// (`130`, not `130.0`), others in the shortest form that reads back to the same value.
func formatJSONNumber(_ value: Double) -> String {
    if value == value.rounded(.towardZero) && abs(value) < 9_007_199_254_740_992 {
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        return String(Int64(value))
    }
    return value.description
}

/// "00" to "99": two digits per division when writing integers.
private let digitPairs: StaticString = """
0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849\
5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899
"""

/// Writes the JSON text of a finite `value` at `out` (room for 25 bytes), as `formatJSONNumber`
/// does, without allocating for integral values; returns its length.
@inline(__always)
func writeJSONNumber(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
    if abs(value) < 9_007_199_254_740_992, Double(Int64(value)) == value {
        let integer = Int64(value)
        var length = 0
        if integer < 0 || (integer == 0 && value.sign == .minus) {
            out[0] = UInt8(ascii: "-")
            length = 1
        }
        var magnitude = integer.magnitude
        if magnitude < 10 {
            out[length] = UInt8(truncatingIfNeeded: magnitude) &+ 48
            return length + 1
        }
        var digits = 2
        var bound: UInt64 = 100
        while magnitude >= bound && digits < 19 {
            digits += 1
            bound &*= 10
        }
        let pairs = digitPairs.utf8Start
        var position = length + digits
        while magnitude >= 100 {
            let pair = Int(magnitude % 100) * 2
            magnitude /= 100
            position -= 2
            out[position] = pairs[pair]
            out[position + 1] = pairs[pair + 1]
        }
        if magnitude >= 10 {
            let pair = Int(magnitude) * 2
            out[position - 2] = pairs[pair]
            out[position - 1] = pairs[pair + 1]
        } else {
            out[position - 1] = UInt8(truncatingIfNeeded: magnitude) &+ 48
        }
        return length + digits
    }
    var text = value.description
    return text.withUTF8 { bytes in
        out.update(from: bytes.baseAddress!, count: bytes.count)
        return bytes.count
    }
}

/// The text to keep for a number read as `value`: nil when the writers write `value` as that
/// same text (no allocation then), else the text.
func numberText(_ text: UnsafeBufferPointer<UInt8>, _ value: Double) -> JSONNumber? {
    // Plain integers of up to 15 digits (most numbers) are written back as they are.
    if text.count <= 15, text.allSatisfy({ $0 &- 0x30 < 10 }) { return nil }
    if value.isFinite && text.count <= 32 {
        let same = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buffer in
            let length = writeJSONNumber(value, to: buffer.baseAddress!)
            return length == text.count && (0..<length).allSatisfy { buffer[$0] == text[$0] }
        }
        if same { return nil }
    }
    return JSONNumber(literal: String(decoding: text, as: UTF8.self))
}
