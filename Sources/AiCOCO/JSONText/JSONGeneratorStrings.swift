// JSON strings and keys as yajl's generator writes them: UTF-8 as it is, escapes for quotes,
// backslashes and control characters (and `/` never escaped), eight bytes checked at a time.

extension JSONGenerator {
    func string(_ text: String) throws {
        var text = text
        try text.withUTF8 { try string(bytes: $0) }
    }

    /// A string (or key) from its UTF-8 bytes, escaped as yajl does: `\"`, `\\`, `\b`, `\f`,
    /// `\n`, `\r`, `\t`, other control bytes as `\u00XX` (upper-case hex); nothing else.
    func string(bytes: UnsafeBufferPointer<UInt8>) throws {
        try beforeValue("string", isString: true)
        reserve(bytes.count + 2)
        buffer[count] = UInt8(ascii: "\"")
        count += 1
        let raw = UnsafeRawBufferPointer(bytes)
        var start = 0
        var index = 0
        while index < bytes.count {
            // Eight bytes at a time while none needs an escape (most strings: ids, names).
            while index + 8 <= bytes.count && !Self.needsEscape(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                index += 8
            }
            if index == bytes.count { break }
            let byte = bytes[index]
            if byte < 0x20 || byte == 0x22 || byte == 0x5C {
                put(UnsafeRawBufferPointer(rebasing: raw[start..<index]))
                escape(byte)
                start = index + 1
            }
            index += 1
        }
        put(UnsafeRawBufferPointer(rebasing: raw[start..<bytes.count]))
        put(UInt8(ascii: "\""))
        afterValue()
    }

    /// Whether any of the eight bytes is a control byte, `"` or `\\` (exact, no false positive
    /// matters: a word flagged is then read byte by byte).
    @inline(__always)
    private static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (0x22 &* ones), backslash = word ^ (0x5C &* ones)
        let control = (word &- 0x20 &* ones) & ~word
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        return (control | zeroQuote | zeroBackslash) & highs != 0
    }

    /// A string of at most `capacity` bytes that need no escape, which `body` writes straight
    /// into the buffer (returning how many it wrote).
    func plainString(capacity: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) throws {
        try beforeValue("string", isString: true)
        reserve(capacity + 2)
        buffer[count] = UInt8(ascii: "\"")
        let length = body(buffer + count + 1)
        buffer[count + 1 + length] = UInt8(ascii: "\"")
        count += length + 2
        afterValue()
    }

    /// A key known at compile time to need no escape (ASCII letters, digits, `_`).
    func key(_ text: StaticString) throws {
        try beforeValue("string", isString: true)
        let length = text.utf8CodeUnitCount
        reserve(length + 2)
        buffer[count] = UInt8(ascii: "\"")
        (buffer + count + 1).update(from: text.utf8Start, count: length)
        buffer[count + 1 + length] = UInt8(ascii: "\"")
        count += length + 2
        afterValue()
    }

    private func escape(_ byte: UInt8) {
        let letter: UInt8
        switch byte {
        case 0x0D: letter = UInt8(ascii: "r")
        case 0x0A: letter = UInt8(ascii: "n")
        case 0x5C: letter = UInt8(ascii: "\\")
        case 0x22: letter = UInt8(ascii: "\"")
        case 0x0C: letter = UInt8(ascii: "f")
        case 0x08: letter = UInt8(ascii: "b")
        case 0x09: letter = UInt8(ascii: "t")
        default:
            let hex: StaticString = "0123456789ABCDEF"
            reserve(6)
            buffer[count] = UInt8(ascii: "\\")
            buffer[count + 1] = UInt8(ascii: "u")
            buffer[count + 2] = UInt8(ascii: "0")
            buffer[count + 3] = UInt8(ascii: "0")
            buffer[count + 4] = hex.utf8Start[Int(byte >> 4)]
            buffer[count + 5] = hex.utf8Start[Int(byte & 0x0F)]
            count += 6
            return
        }
        reserve(2)
        buffer[count] = UInt8(ascii: "\\")
        buffer[count + 1] = letter
        count += 2
    }
}
