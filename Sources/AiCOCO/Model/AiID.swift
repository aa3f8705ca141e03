/// A record id held without a heap allocation in the common cases: up to 15 UTF-8 bytes
/// inline, or a 21-character nanoid (`[A-Za-z0-9_-]`, what FLaVor writes) packed 6 bits a
/// character into 16 bytes. Any other id is kept as a `String`.
public struct AiID: Hashable, Sendable, CustomStringConvertible {
    private var low: UInt64 = 0
    /// Top two bits: 0b00 an inline id (its length in the top byte), 0b11 a nanoid, 0b10 a `String`.
    private var high: UInt64 = 0
    private var other: String?

    public init(_ text: String) {
        var text = text
        self = text.withUTF8 { AiID(bytes: $0) }
        if high >> 62 == 0b10 { other = text }
    }

    /// The id whose UTF-8 text is `bytes`.
    init(bytes: UnsafeBufferPointer<UInt8>) {
        let count = bytes.count
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
            return
        }
        if count == 21 {
            var packed = (UInt64(0), UInt64(0))
            var valid = true
            for index in 0..<21 {
                let value = AiID.sextet(bytes[index])
                if value > 63 {
                    valid = false
                    break
                }
                let bit = 6 * index
                if bit < 60 {
                    packed.0 |= value << UInt64(bit)
                } else if bit < 120 {
                    packed.1 |= value << UInt64(bit - 60)
                } else {
                    // The last character: 4 bits in `low`'s top, 2 in `high` under the tag.
                    packed.0 |= (value & 0xF) << 60
                    packed.1 |= (value >> 4) << 60
                }
            }
            if valid {
                low = packed.0
                high = packed.1 | (0xC0 << 56)
                return
            }
        }
        high = 0b10 << 62
        other = String(decoding: bytes, as: UTF8.self)
    }

    /// The id as text.
    public var string: String {
        let kind = high >> 62
        if kind == 0 {
            let tag = high >> 56
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { buffer in
                for index in 0..<Int(tag) {
                    buffer[index] = UInt8(truncatingIfNeeded: index < 8 ? low >> (8 * UInt64(index))
                                                                       : high >> (8 * UInt64(index - 8)))
                }
                return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<Int(tag)]), as: UTF8.self)
            }
        }
        if kind == 0b10 { return other ?? "" }
        return String(unsafeUninitializedCapacity: 21) { buffer in
            for index in 0..<21 {
                let bit = 6 * index
                let value: UInt64
                if bit < 60 {
                    value = (low >> UInt64(bit)) & 63
                } else if bit < 120 {
                    value = (high >> UInt64(bit - 60)) & 63
                } else {
                    value = (low >> 60) | (((high >> 60) & 3) << 4)
                }
                buffer[index] = AiID.alphabet[Int(value)]
            }
            return 21
        }
    }

    public var description: String { string }

    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-".utf8)

    /// The nanoid value of `byte`, or more than 63.
    @inline(__always)
    private static func sextet(_ byte: UInt8) -> UInt64 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt64(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt64(byte - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(byte - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "_"): 62
        case UInt8(ascii: "-"): 63
        default: 64
        }
    }
}
