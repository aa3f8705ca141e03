/// A place in the input: byte offset (0-based), line (1-based) and column (1-based, in bytes).
public struct SourceLocation: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Bytes before the place.
    public var offset: Int
    /// Line, from 1.
    public var line: Int
    /// Column in bytes, from 1.
    public var column: Int

    /// A place.
    public init(offset: Int, line: Int, column: Int) {
        self.offset = offset
        self.line = line
        self.column = column
    }

    /// `LINE:COLUMN (byte OFFSET)`.
    public var description: String { "\(line):\(column) (byte \(offset))" }
}

/// Why an input is not a usable AiCOCO document, and where.
public struct DocumentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The family of the problem.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// Not JSON (RFC 8259) at all.
        case syntax
        /// JSON, but not what the AiCOCO schema requires (type, required key, enum...).
        case schema
        /// An id that points nowhere, or an id used twice in one section.
        case reference
        /// A rule of the format the schema leaves out (polygon in x,y pairs, finite numbers, ...).
        case semantic
        /// A rule of FLaVor's own output models beyond the schema (`validate --strict` only).
        case strict
        /// A configured limit was reached (nesting depth, string length, record size...).
        case limit
        /// The input could not be read.
        case io
        /// A compressed (gzip) input is cut short or corrupt.
        case compression
    }

    /// The family of the problem.
    public var kind: Kind
    /// What is wrong, in a sentence.
    public var message: String
    /// JSON path of the offending value, e.g. `$.annotations[1042].segmentation[0][7]`.
    public var path: String
    /// Where the offending value starts.
    public var location: SourceLocation
    /// The file the place is in when it is not the input itself: the records artifact of a
    /// tabular output (its path as it was opened). `nil` for the input.
    public var file: String?
    /// For an I/O error, what the failed system call said (nil for every other kind).
    public var errno: Errno? = nil

    /// An error; `file` only for a place outside the input.
    public init(kind: Kind, message: String, path: String, location: SourceLocation, file: String? = nil) {
        self.kind = kind
        self.message = message
        self.path = path
        self.location = location
        self.file = file
    }

    /// `[FILE:]LINE:COLUMN: KIND error: MESSAGE (PATH, byte OFFSET)`.
    public var description: String {
        (file.map { "\($0):" } ?? "")
            + "\(location.line):\(location.column): \(kind.rawValue) error: \(message) (\(path), byte \(location.offset))"
    }
}

extension DocumentError {
    /// Said once, by the first error placed in a decompressed input.
    public static let decompressedNote = " [gzip input: lines, columns and offsets are in the decompressed text]"
}

/// Writes a JSON path member access: `.name` for plain names, `["odd name"]` otherwise.
func appendPathKey(_ key: String, to path: inout String) {
    let isPlain = !key.isEmpty && key.utf8.allSatisfy { byte in
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A)
            || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F
    } && !(key.utf8.first! >= 0x30 && key.utf8.first! <= 0x39)
    if isPlain {
        path += "."
        path += key
    } else {
        path += "["
        path += jsonQuoted(key)
        path += "]"
    }
}

/// JSON text helpers for programs that print JSON by hand.
package enum JSONText {
    /// `text` as a JSON string literal, with quotes and escapes.
    package static func quoted(_ text: String) -> String { jsonQuoted(text) }

    /// `value` as a JSON number (`130`, not `130.0`).
    package static func number(_ value: Double) -> String { formatJSONNumber(value) }
}

/// `text` as a JSON string literal.
func jsonQuoted(_ text: String) -> String {
    "\"" + escaped(text) { scalar in
        switch scalar {
        case "\"": return "\\\""
        case "\\": return "\\\\"
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: return nil
        }
    } + "\""
}

/// `text` scalar by scalar (never `Character` by `Character`: an escaped character followed by a
/// combining mark is still escaped), each scalar `replacement` has a text for written as that text.
package func escaped(_ text: String, _ replacement: (Unicode.Scalar) -> String?) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        if let replaced = replacement(scalar) { out += replaced } else { out.unicodeScalars.append(scalar) }
    }
    return out
}
