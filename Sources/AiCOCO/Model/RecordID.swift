/// A record id held without a heap allocation in the common cases: up to 15 UTF-8 bytes
/// inline, or a 21-character nanoid (`[A-Za-z0-9_-]`, what FLaVor writes) packed 6 bits a
/// character into 16 bytes. Any other id is kept as a `String`.
public struct RecordID: Hashable, Sendable, CustomStringConvertible {
    private var low: UInt64 = 0
    /// Top two bits: 0b00 an inline id (its length in the top byte), 0b11 a nanoid, 0b10 a `String`.
    private var high: UInt64 = 0
    private var other: String?

    /// The id whose text is `text`.
    public init(_ text: String) {
        var text = text
        self = text.withUTF8 { RecordID(bytes: $0) }
        if high >> 62 == 0b10 { other = text }
    }

    /// The id whose UTF-8 text is `bytes`.
    init(bytes: UnsafeBufferPointer<UInt8>) {
        if let words = RecordID.packedWords(bytes) {
            high = words.high
            low = words.low
            return
        }
        high = 0b10 << 62
        other = String(decoding: bytes, as: UTF8.self)
    }

    /// The `packedWords` of the id whose UTF-8 text is `bytes`, without making the id (no
    /// allocation whatever the id); nil when it is held as a `String`.
    @inline(__always)
    static func packedWords(_ bytes: UnsafeBufferPointer<UInt8>) -> (high: UInt64, low: UInt64)? {
        let count = bytes.count
        var low: UInt64 = 0, high: UInt64 = 0
        if count <= 15 {
            var index = 0
            while index < min(count, 8) {
                low |= UInt64(bytes[index]) << (8 * UInt64(index))
                index += 1
            }
            while index < count {
                high |= UInt64(bytes[index]) << (8 * UInt64(index - 8))
                index += 1
            }
            high |= UInt64(count) << 56
            return (high, low)
        }
        guard count == 21 else { return nil }
        // Branch-free (ids are random, so a branch per character would mispredict): a table
        // gives each byte's value, 255 outside the alphabet.
        let sextets = RecordID.sextets
        var first: UInt64 = 0, second: UInt64 = 0, invalid: UInt64 = 0
        for index in 0..<10 {
            let value = UInt64(sextets[Int(bytes[index])])
            invalid |= value
            first |= value << UInt64(6 * index)
        }
        for index in 10..<20 {
            let value = UInt64(sextets[Int(bytes[index])])
            invalid |= value
            second |= value << UInt64(6 * (index - 10))
        }
        let last = UInt64(sextets[Int(bytes[20])])
        invalid |= last
        guard invalid < 64 else { return nil }
        // The last character: 4 bits in `low`'s top, 2 in `high` under the tag.
        low = first | (last & 0xF) << 60
        high = second | (last >> 4) << 60 | (0xC0 << 56)
        return (high, low)
    }

    /// Calls `body` with the id's UTF-8 bytes (decoded into a temporary buffer: no `String`).
    public func withUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let kind = high >> 62
        if kind == 0b10 {
            var text = other ?? ""
            return try text.withUTF8(body)
        }
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { buffer in
            let count = decode(into: buffer.baseAddress!)
            return try body(UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// `withUTF8` for a body that returns nothing, not generic: a caller in another module pays
    /// no generic dispatch per id (the C ABI copies three ids per annotation).
    public func withUTF8Bytes(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if high >> 62 == 0b10 {
            var text = other ?? ""
            text.withUTF8(body)
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 21) { buffer in
            let count = decode(into: buffer.baseAddress!)
            body(UnsafeBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// A nanoid: its text (21 bytes of `[A-Za-z0-9_-]`) never needs an escape in JSON.
    var isNanoid: Bool { high >> 62 == 0b11 }

    /// Writes the text of an inline id or a nanoid (at most 21 bytes) at `out`; returns its length.
    @inline(__always)
    func decode(into out: UnsafeMutablePointer<UInt8>) -> Int {
        if high >> 62 == 0 {
            let count = Int(high >> 56)
            for index in 0..<count {
                out[index] = UInt8(truncatingIfNeeded: index < 8 ? low >> (8 * UInt64(index))
                                                                : high >> (8 * UInt64(index - 8)))
            }
            return count
        }
        let alphabet = RecordID.alphabet.utf8Start
        for index in 0..<10 {
            out[index] = alphabet[Int(truncatingIfNeeded: (low >> UInt64(6 * index)) & 63)]
            out[10 + index] = alphabet[Int(truncatingIfNeeded: (high >> UInt64(6 * index)) & 63)]
        }
        out[20] = alphabet[Int(truncatingIfNeeded: (low >> 60) | (((high >> 60) & 3) << 4))]
        return 21
    }

    /// The id as text.
    public var string: String {
        if high >> 62 == 0b10 { return other ?? "" }
        return String(unsafeUninitializedCapacity: 21) { decode(into: $0.baseAddress!) }
    }

    /// A byte key for tables: equal ids give equal keys, different ids different keys. An id
    /// held inline or as a nanoid is its 16 bytes; any other is a 0 byte and its UTF-8 (17 or more).
    func withKeyBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if high >> 62 == 0b10 {
            var text = other ?? ""
            return try text.withUTF8 { utf8 in
                try withUnsafeTemporaryAllocation(byteCount: utf8.count + 1, alignment: 1) { key in
                    key[0] = 0
                    UnsafeMutableRawBufferPointer(rebasing: key[1...]).copyMemory(from: UnsafeRawBufferPointer(utf8))
                    return try body(UnsafeRawBufferPointer(key))
                }
            }
        }
        var words = (low, high)
        return try withUnsafeBytes(of: &words) { try body($0) }
    }

    /// The id's two words when it is held without a `String` (inline or a nanoid): equal
    /// words, equal ids. Nil for any other id.
    var packedWords: (high: UInt64, low: UInt64)? {
        high >> 62 == 0b10 ? nil : (high, low)
    }

    /// The id whose `packedWords` are these.
    init(packedHigh high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The id as text.
    public var description: String { string }

    private static let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

    /// The nanoid value of each byte, 255 for bytes outside the alphabet (a flat table read
    /// once per call: no lazy-global check per byte).
    private nonisolated(unsafe) static let sextets: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        table.initialize(repeating: 255, count: 256)
        for index in 0..<alphabet.utf8CodeUnitCount { table[Int(alphabet.utf8Start[index])] = UInt8(index) }
        return UnsafePointer(table)
    }()
}
