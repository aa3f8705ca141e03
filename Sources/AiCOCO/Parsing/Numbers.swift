#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: text.count + 1) { buffer in
        for i in 0..<text.count { buffer[i] = CChar(bitPattern: text[i]) }
        buffer[text.count] = 0
        let value = strtod(buffer.baseAddress!, nil)
        return value.isFinite ? value : nil
    }
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

/// Appends the JSON text of `value` to `out` without allocating for integral values.
@inline(__always)
func appendJSONNumber(_ value: Double, to out: inout [UInt8]) {
    if value == value.rounded(.towardZero) && abs(value) < 9_007_199_254_740_992 {
        var integer = Int64(value)
        if integer == 0 {
            if value.sign == .minus { out.append(UInt8(ascii: "-")) }
            out.append(UInt8(ascii: "0"))
            return
        }
        if integer < 0 {
            out.append(UInt8(ascii: "-"))
            integer = -integer
        }
        var digits: (UInt64, UInt64) = (0, 0)
        var length = 0
        withUnsafeMutableBytes(of: &digits) { raw in
            while integer > 0 {
                raw[15 - length] = UInt8(truncatingIfNeeded: integer % 10) &+ 48
                integer /= 10
                length += 1
            }
            out.append(contentsOf: raw[(16 - length)...])
        }
        return
    }
    out.append(contentsOf: value.description.utf8)
}
