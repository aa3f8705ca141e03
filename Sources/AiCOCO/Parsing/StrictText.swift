/// Strict UTF-8 and strict `\u` escapes, which yajl does not check: it takes bytes of UTF-8's
/// shape for UTF-8 (overlong forms, encoded surrogates and code points above U+10FFFF pass), and
/// decodes a lone surrogate escape to "?" (a high one followed by another escape is paired with
/// it whatever it is). The scanner runs over the input before yajl reads it and notes the first
/// such sequence; the reader reports it when yajl hands out the string that holds it (an error
/// yajl finds earlier comes first). Only strings can hold non-ASCII bytes or backslashes in
/// valid JSON, so the scan needs no idea of where strings are: any other place is yajl's error.
/// Backslashes are found with memchr, high bits 32 bytes at a time.
struct StrictTextScanner {
    /// Absolute offset of the first bad sequence (`Int.max` while there is none).
    private(set) var firstBad = Int.max
    private(set) var message = ""

    private enum State {
        case text
        /// In a multi-byte character: continuation bytes still `needed`, the range the next one
        /// must lie in (`low...high`, narrower after some lead bytes), and whether it is bad.
        case character(needed: Int, low: UInt8, high: UInt8, bad: BadCharacter?)
        /// After a backslash.
        case escape
        /// In `\uXXXX`: hex digits read so far and their value; `high` is a high surrogate
        /// that this escape must pair with (its offset in `highStart`).
        case hex(digits: Int, value: UInt32, high: UInt32?)
        /// After a high surrogate: 0 expects a backslash, 1 a `u`.
        case afterHigh(stage: Int, high: UInt32)
    }

    private enum BadCharacter { case overlong, surrogate, tooLarge }

    private var state = State.text
    /// Where the current character or escape began, and its bytes so far (for the message).
    private var start = 0
    /// The character's bytes so far, first in the high byte (no allocation per character).
    private var packed: UInt32 = 0
    private var packedCount = 0
    private var highStart = 0

    /// Scans `bytes`, whose first byte is at absolute offset `base`. Does nothing once a bad
    /// sequence was found.
    mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>, base: Int) {
        guard firstBad == Int.max, let pointer = bytes.baseAddress else { return }
        let count = bytes.count
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        // The next backslash at or after `index` (memchr), found again once passed.
        var backslash = -1
        while index < count {
            if case .text = state {
                if backslash < index {
                    backslash = firstIndex(of: UInt8(ascii: "\\"), in: bytes, from: index, to: count) ?? count
                }
                // Up to the backslash: no high bit, 32 then 8 bytes at a time.
                var at = index
                while at + 32 <= backslash {
                    let raw = UnsafeRawPointer(pointer + at)
                    let any = raw.loadUnaligned(as: UInt64.self) | raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                        | raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self) | raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
                    if any & highs != 0 { break }
                    at += 32
                }
                while at + 8 <= backslash, UnsafeRawPointer(pointer + at).loadUnaligned(as: UInt64.self) & highs == 0 { at += 8 }
                while at < backslash, pointer[at] < 0x80 { at += 1 }
                index = at
                guard index < count else { return }
            }
            step(pointer[index], at: base + index)
            if firstBad != Int.max { return }
            index += 1
        }
    }

    private mutating func step(_ byte: UInt8, at offset: Int) {
        switch state {
        case .text:
            if byte == UInt8(ascii: "\\") {
                state = .escape
                start = offset
            } else if byte >= 0xC0 {
                start = offset
                packed = UInt32(byte)
                packedCount = 1
                switch byte {
                case 0xC0, 0xC1: state = .character(needed: 1, low: 0x80, high: 0xBF, bad: .overlong)
                case 0xC2...0xDF: state = .character(needed: 1, low: 0x80, high: 0xBF, bad: nil)
                case 0xE0: state = .character(needed: 2, low: 0xA0, high: 0xBF, bad: nil)
                case 0xED: state = .character(needed: 2, low: 0x80, high: 0x9F, bad: nil)
                case 0xE1...0xEF: state = .character(needed: 2, low: 0x80, high: 0xBF, bad: nil)
                case 0xF0: state = .character(needed: 3, low: 0x90, high: 0xBF, bad: nil)
                case 0xF4: state = .character(needed: 3, low: 0x80, high: 0x8F, bad: nil)
                case 0xF1...0xF3: state = .character(needed: 3, low: 0x80, high: 0xBF, bad: nil)
                case 0xF5...0xF7: state = .character(needed: 3, low: 0x80, high: 0xBF, bad: .tooLarge)
                default: break  // Never UTF-8's shape: yajl rejects it.
                }
            }
        case .character(let needed, let low, let high, var bad):
            guard byte & 0xC0 == 0x80 else {
                // Cut short: yajl rejects it. Read the byte afresh.
                state = .text
                step(byte, at: offset)
                return
            }
            if bad == nil, byte < low || byte > high {
                let lead = UInt8(truncatingIfNeeded: packed >> (8 * UInt32(packedCount - 1)))
                bad = lead == 0xE0 || lead == 0xF0 ? .overlong : lead == 0xED ? .surrogate : .tooLarge
            }
            packed = packed << 8 | UInt32(byte)
            packedCount += 1
            if needed > 1 {
                state = .character(needed: needed - 1, low: 0x80, high: 0xBF, bad: bad)
            } else {
                state = .text
                if let bad { note(bad) }
            }
        case .escape:
            state = byte == UInt8(ascii: "u") ? .hex(digits: 0, value: 0, high: nil) : .text
        case .hex(let digits, let value, let high):
            guard let digit = hexValue(byte) else {
                // Not an escape yajl takes.
                state = .text
                return
            }
            let next = value << 4 | digit
            guard digits == 3 else {
                state = .hex(digits: digits + 1, value: next, high: high)
                return
            }
            if let high {
                if (0xDC00...0xDFFF).contains(next) {
                    state = .text
                } else {
                    noteLoneHigh(high)
                }
            } else if (0xD800...0xDBFF).contains(next) {
                highStart = start
                state = .afterHigh(stage: 0, high: next)
            } else if (0xDC00...0xDFFF).contains(next) {
                fail(at: start, "invalid \\u escape: \\u\(hex4(next)) is a lone low surrogate (not after a \\uD800-\\uDBFF escape); "
                     + "it stands for no character")
            } else {
                state = .text
            }
        case .afterHigh(let stage, let high):
            if stage == 0, byte == UInt8(ascii: "\\") {
                start = offset
                state = .afterHigh(stage: 1, high: high)
            } else if stage == 1, byte == UInt8(ascii: "u") {
                state = .hex(digits: 0, value: 0, high: high)
            } else {
                noteLoneHigh(high)
            }
        }
    }

    private mutating func noteLoneHigh(_ high: UInt32) {
        fail(at: highStart, "invalid \\u escape: \\u\(hex4(high)) is a lone high surrogate (not followed by a \\uDC00-\\uDFFF escape); "
             + "it stands for no character")
    }

    private mutating func note(_ bad: BadCharacter) {
        let sequence = (0..<packedCount).map { UInt8(truncatingIfNeeded: packed >> (8 * UInt32(packedCount - 1 - $0))) }
        let bytes = sequence.map { hex2($0) }.joined(separator: " ")
        var value: UInt32 = UInt32(sequence[0]) & (sequence.count == 2 ? 0x1F : sequence.count == 3 ? 0x0F : 0x07)
        for byte in sequence.dropFirst() { value = value << 6 | UInt32(byte & 0x3F) }
        let what: String
        switch bad {
        case .overlong: what = "an overlong encoding of U+\(hex4(value)) (UTF-8 has one encoding per character)"
        case .surrogate: what = "the UTF-16 surrogate U+\(hex4(value)) encoded as UTF-8 (not a character)"
        case .tooLarge: what = "a code point above U+10FFFF"
        }
        fail(at: start, "invalid UTF-8: bytes \(bytes) are \(what)")
    }

    private mutating func fail(at offset: Int, _ text: String) {
        firstBad = offset
        message = text
        state = .text
    }
}

@inline(__always)
private func hexValue(_ byte: UInt8) -> UInt32? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
    default: nil
    }
}

private func hex4(_ value: UInt32) -> String {
    let text = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - text.count)) + text
}

private func hex2(_ byte: UInt8) -> String {
    let text = String(byte, radix: 16, uppercase: true)
    return text.count < 2 ? "0" + text : text
}
