/// With `allowNonFinite`: rewrites `NaN`, `Infinity` and `-Infinity` outside strings into
/// number text of the same length before yajl (which cannot lex them, and whose handle
/// cannot resume after an error), and remembers where each was: the number yajl then hands
/// out at such an offset is that token. Input goes through chunk by chunk; a chunk that ends
/// inside what may be a token keeps those bytes back for the next one.
struct NonFiniteRewriter {
    private var inString = false
    private var escaped = false
    /// Offsets and tokens rewritten, not yet handed out (from `head` on).
    private var offsets: [Int] = []
    private var tokens: [NonFiniteToken] = []
    private var head = 0
    private(set) var counts = NonFiniteCounts()

    /// Tokens rewritten and not yet taken (0 on every input without them): a stored count,
    /// checked at each number.
    private(set) var pending = 0

    /// Rewrites `bytes` (whose first byte is at absolute offset `base`) in place; returns how
    /// many bytes at its end are held back (the start of a token the next chunk may complete),
    /// none when `final`.
    mutating func rewrite(_ bytes: UnsafeMutableBufferPointer<UInt8>, base: Int, final: Bool) -> Int {
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inString = false }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "N"), UInt8(ascii: "I"), UInt8(ascii: "-"):
                let token: NonFiniteToken = byte == UInt8(ascii: "N") ? .nan
                    : byte == UInt8(ascii: "I") ? .infinity : .negativeInfinity
                let text = token.text
                let length = text.utf8CodeUnitCount
                let available = min(length, count - index)
                let matches = (0..<available).allSatisfy { bytes[index + $0] == text.utf8Start[$0] }
                if !matches { break }
                if available < length {
                    if final { return 0 }
                    return count - index
                }
                let standIn = token.standIn.utf8Start
                for offset in 0..<length { bytes[index + offset] = standIn[offset] }
                offsets.append(base + index)
                tokens.append(token)
                counts.add(token)
                pending += 1
                index += length
                continue
            default:
                break
            }
            index += 1
        }
        return 0
    }

    /// Starts a new JSON text (an artifact's line, whose offsets start at 0 again).
    mutating func startText() {
        inString = false
        escaped = false
        offsets.removeAll(keepingCapacity: true)
        tokens.removeAll(keepingCapacity: true)
        head = 0
        pending = 0
    }

    /// The token rewritten at absolute offset `start`, if any (earlier ones never handed out,
    /// e.g. after an error, are dropped).
    mutating func take(at start: Int) -> NonFiniteToken? {
        while head < offsets.count && offsets[head] < start { head += 1 }
        defer { pending = offsets.count - head }
        guard head < offsets.count, offsets[head] == start else { return nil }
        let token = tokens[head]
        head += 1
        if head == offsets.count {
            offsets.removeAll(keepingCapacity: true)
            tokens.removeAll(keepingCapacity: true)
            head = 0
        }
        return token
    }
}
