/// `NaN`, `Infinity` and `-Infinity`: not JSON, but what Python's `json.dumps` writes for
/// non-finite floats (FLaVor's `write_jsonl` uses it). Read only with
/// `DocumentParsing.Options.allowNonFinite`, as Python's `json.loads` reads them.
public enum NonFiniteToken: UInt8, Sendable, CaseIterable {
    /// `NaN`.
    case nan
    /// `Infinity`.
    case infinity
    /// `-Infinity`.
    case negativeInfinity

    /// The token as Python writes it.
    public var text: StaticString {
        switch self {
        case .nan: "NaN"
        case .infinity: "Infinity"
        case .negativeInfinity: "-Infinity"
        }
    }

    /// The `Double` the token stands for.
    public var value: Double {
        switch self {
        case .nan: .nan
        case .infinity: .infinity
        case .negativeInfinity: -.infinity
        }
    }

    /// Number text of the same length that yajl reads in its place.
    var standIn: StaticString {
        switch self {
        case .nan: "0e0"
        case .infinity: "0.000000"
        case .negativeInfinity: "-0.000000"
        }
    }

    /// The token `text` is, if any.
    init?(_ text: UnsafeBufferPointer<UInt8>) {
        for token in Self.allCases where bytesEqual(text, token.text) {
            self = token
            return
        }
        return nil
    }

    /// The token of a non-finite `Double` (nil for a finite one).
    init?(_ value: Double) {
        if value.isNaN { self = .nan } else if value == .infinity { self = .infinity }
        else if value == -.infinity { self = .negativeInfinity } else { return nil }
    }
}

/// How many of each non-finite token were read.
public struct NonFiniteCounts: Sendable, Equatable {
    /// `NaN`s read.
    public var nan = 0
    /// `Infinity`s read.
    public var infinity = 0
    /// `-Infinity`s read.
    public var negativeInfinity = 0

    /// No token read.
    public init() {}

    /// All three together.
    public var total: Int { nan + infinity + negativeInfinity }

    mutating func add(_ token: NonFiniteToken) {
        switch token {
        case .nan: nan += 1
        case .infinity: infinity += 1
        case .negativeInfinity: negativeInfinity += 1
        }
    }

    /// The counts of two reads added.
    public static func + (a: NonFiniteCounts, b: NonFiniteCounts) -> NonFiniteCounts {
        var sum = a
        sum.nan += b.nan
        sum.infinity += b.infinity
        sum.negativeInfinity += b.negativeInfinity
        return sum
    }
}

/// The error for a non-finite token read without `allowNonFinite`: what it is and where it
/// comes from. `near` is where yajl stopped; returns the token and its start, if one is there.
/// Only a token where a value may start counts (as in `possibleNonFiniteTail`, so that whether
/// it is named never depends on the chunks): `-NaN` or `1-Infinity` is a malformed number.
func nonFiniteToken(in bytes: UnsafeBufferPointer<UInt8>, near: Int) -> (token: NonFiniteToken, start: Int)? {
    var start = max(0, near - 9)
    while start <= min(near, bytes.count - 1) {
        defer { start += 1 }
        guard startsValue(at: start, in: bytes) else { continue }
        for token in [NonFiniteToken.negativeInfinity, .infinity, .nan] {
            let length = token.text.utf8CodeUnitCount
            if start + length <= bytes.count, start + length >= near,
               bytesEqual(UnsafeBufferPointer(rebasing: bytes[start..<(start + length)]), token.text) {
                return (token, start)
            }
        }
    }
    return nil
}

/// Whether a value may start at `bytes[start]`: after `:`, `,`, `[` or whitespace (or at the
/// start of `bytes`).
private func startsValue(at start: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard start > 0 else { return true }
    let before = bytes[start - 1]
    return before == UInt8(ascii: ":") || before == UInt8(ascii: ",") || before == UInt8(ascii: "[")
        || isJSONWhitespace(before)
}

func nonFiniteMessage(_ token: NonFiniteToken) -> String {
    "\(token.text) is not JSON: Python's json.dumps writes it for a non-finite float (FLaVor's write_jsonl does); read it with --allow-nan"
}

/// How many bytes at the end of `bytes` are a proper beginning of `NaN`, `Infinity` or
/// `-Infinity` that starts a value (after `:`, `,`, `[` or whitespace); 0 when none.
func possibleNonFiniteTail(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
    let count = bytes.count
    var start = max(0, count - 8)
    while start < count {
        let byte = bytes[start]
        if byte == UInt8(ascii: "N") || byte == UInt8(ascii: "I") || byte == UInt8(ascii: "-") {
            if startsValue(at: start, in: bytes) {
                let rest = UnsafeBufferPointer(rebasing: bytes[start...])
                for token in NonFiniteToken.allCases where rest.count < token.text.utf8CodeUnitCount
                    && (0..<rest.count).allSatisfy({ rest[$0] == token.text.utf8Start[$0] }) {
                    return count - start
                }
            }
        }
        start += 1
    }
    return 0
}
