extension LabelNumbering {
    /// The largest name map read (a few thousand names at most in practice).
    package static let maxMapBytes = 1 << 20

    /// Reads a name map, a JSON object of category names and integer values:
    /// `{"Liver": 1, "Spleen": 2}`. Throws `LabelVolumeError` (usage) when it is not one.
    package static func names(readingFile path: String) throws -> LabelNumbering {
        let bytes = try readFilePrefix(path, count: maxMapBytes + 1)
        guard bytes.count <= maxMapBytes else {
            throw LabelVolumeError(.usage, "--values \(path): larger than \(maxMapBytes) bytes; a name map is a JSON object of names and values")
        }
        do {
            return .names(try parseNameMap(bytes))
        } catch let error as NameMapError {
            throw LabelVolumeError(.usage, "--values \(path): byte \(error.offset + 1): \(error.message); expected a JSON object of category names and integer values, e.g. {\"Liver\": 1}")
        }
    }

    struct NameMapError: Error {
        let offset: Int
        let message: String
    }

    /// `{"name": integer, ...}`, whitespace anywhere JSON allows it; a name given twice is an error.
    static func parseNameMap(_ bytes: [UInt8]) throws -> [String: Int] {
        var at = 0
        func fail(_ message: String) -> NameMapError { NameMapError(offset: at, message: message) }
        func skipSpace() {
            while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
        }
        func expect(_ byte: UInt8) throws {
            skipSpace()
            guard at < bytes.count, bytes[at] == byte else { throw fail("expected \(Character(Unicode.Scalar(byte)))") }
            at += 1
        }
        func string() throws -> String {
            try expect(UInt8(ascii: "\""))
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() throws {
                guard !raw.isEmpty else { return }
                guard let text = String(validating: raw, as: UTF8.self) else { throw fail("not UTF-8") }
                scalars.append(contentsOf: text.unicodeScalars)
                raw.removeAll()
            }
            while true {
                guard at < bytes.count else { throw fail("unterminated string") }
                let byte = bytes[at]
                at += 1
                if byte == UInt8(ascii: "\"") { break }
                if byte < 0x20 { throw fail("a control character in a string") }
                guard byte == UInt8(ascii: "\\") else { raw.append(byte); continue }
                try flush()
                guard at < bytes.count else { throw fail("unterminated string") }
                let escape = bytes[at]
                at += 1
                let simple: [UInt8: Unicode.Scalar] = [0x22: "\"", 0x5C: "\\", 0x2F: "/", 0x62: "\u{8}", 0x66: "\u{C}", 0x6E: "\n", 0x72: "\r", 0x74: "\t"]
                if let scalar = simple[escape] { scalars.append(scalar); continue }
                guard escape == UInt8(ascii: "u"), at + 4 <= bytes.count,
                      let code = UInt32(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16) else { throw fail("a bad escape") }
                at += 4
                var value = code
                if (0xD800..<0xDC00).contains(code), at + 6 <= bytes.count, bytes[at] == 0x5C, bytes[at + 1] == UInt8(ascii: "u"),
                   let low = UInt32(String(decoding: bytes[at + 2..<at + 6], as: UTF8.self), radix: 16), (0xDC00..<0xE000).contains(low) {
                    value = 0x10000 + (code - 0xD800) << 10 + (low - 0xDC00)
                    at += 6
                }
                guard let scalar = Unicode.Scalar(value) else { throw fail("a lone surrogate") }
                scalars.append(scalar)
            }
            try flush()
            return String(scalars)
        }
        var map: [String: Int] = [:]
        try expect(UInt8(ascii: "{"))
        skipSpace()
        if at < bytes.count, bytes[at] == UInt8(ascii: "}") {
            at += 1
        } else {
            while true {
                let name = try string()
                try expect(UInt8(ascii: ":"))
                skipSpace()
                let start = at
                while at < bytes.count, bytes[at] == UInt8(ascii: "-") || (0x30...0x39).contains(bytes[at]) { at += 1 }
                guard at - start <= 19, let value = Int(String(decoding: bytes[start..<at], as: UTF8.self)) else {
                    at = start
                    throw fail("the value of \(jsonQuoted(name)) is not an integer")
                }
                guard map.updateValue(value, forKey: name) == nil else { throw fail("\(jsonQuoted(name)) is given twice") }
                skipSpace()
                guard at < bytes.count else { throw fail("unterminated object") }
                if bytes[at] == UInt8(ascii: "}") { at += 1; break }
                try expect(UInt8(ascii: ","))
            }
        }
        skipSpace()
        guard at == bytes.count else { throw fail("more after the object") }
        return map
    }
}
