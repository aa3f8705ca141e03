/// A JSON number kept as the text the file wrote, so that nothing is lost
/// (`12345678901234567890`, `1.50`, `1e-3` stay as they were).
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The number's literal text, e.g. `-1.5e3`.
    public let literal: String

    /// The number whose text is `literal` (not checked).
    public init(literal: String) { self.literal = literal }

    /// `value` written as the writers write a `Double` (`130`, not `130.0`).
    public init(_ value: Double) { self.literal = formatJSONNumber(value) }

    /// The number as a `Double` (`nil` if it overflows one).
    public var doubleValue: Double? {
        let value = literal.utf8.withContiguousStorageIfAvailable { parseJSONNumber($0) } ?? nil
        if let value { return value }
        var copy = literal
        return copy.withUTF8 { parseJSONNumber($0) }
    }

    /// `literal`.
    public var description: String { literal }
}

/// Any JSON value: how fields that the format does not name are kept.
public indirect enum JSONValue: Sendable, Equatable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as the file wrote it.
    case number(JSONNumber)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, its members in file order.
    case object([JSONMember])
}

/// A key and its value inside a JSON object, in file order.
public struct JSONMember: Sendable, Equatable, Hashable {
    /// The member's name.
    public var key: String
    /// The member's value.
    public var value: JSONValue

    /// A member `key: value`.
    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

extension Array where Element == JSONMember {
    /// The value of the first member named `key`.
    public subscript(key key: String) -> JSONValue? {
        first(where: { $0.key == key })?.value
    }
}
