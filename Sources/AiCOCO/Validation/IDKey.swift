/// Ids as compact keys for the spilling tables: a nanoid (21 characters over A-Za-z0-9_-,
/// 126 bits) in 16 bytes whose first byte has its high bit set; any other id as a 0 byte
/// followed by its UTF-8 bytes. Equal ids give equal keys and keys decode back to the id.
enum IDKey {
    static let nanoidLength = 21
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-".utf8)
    /// 6-bit value of each byte of the alphabet, 255 for others.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 255, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// The 6-bit value of each byte (255 for bytes outside the alphabet), in one flat table
    /// that callers keep (a pointer read per byte, no lazy-global check per access).
    nonisolated(unsafe) static let sextets: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        table.initialize(repeating: 255, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return UnsafePointer(table)
    }()

    /// Bytes `encode(_:into:sextets:)` may write for an id of `count` bytes.
    static func maxKeyCount(idCount count: Int) -> Int { max(16, count + 1) }

    /// Writes the key of `id` at `key` (room for `maxKeyCount(idCount:)` bytes); returns its
    /// length. `sextets` is `IDKey.sextets`. The same key as `encode(_:into:)`.
    @inline(__always)
    static func encode(_ id: UnsafeBufferPointer<UInt8>, into key: UnsafeMutableRawPointer,
                       sextets: UnsafePointer<UInt8>) -> Int {
        if id.count == nanoidLength {
            var high: UInt64 = 0, low: UInt64 = 0, check: UInt8 = 0
            let bytes = id.baseAddress!
            for index in 0..<nanoidLength {
                let value = sextets[Int(bytes[index])]
                check |= value
                high = high << 6 | low >> 58
                low = low << 6 | UInt64(value)
            }
            if check & 0x80 == 0 {
                high |= 1 << 63
                key.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
                key.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
                return 16
            }
        }
        key.storeBytes(of: 0, as: UInt8.self)
        if id.count > 0 { (key + 1).copyMemory(from: id.baseAddress!, byteCount: id.count) }
        return id.count + 1
    }

    /// Writes the key of `id` into `key` (cleared first).
    static func encode(_ id: UnsafeBufferPointer<UInt8>, into key: inout [UInt8]) {
        let room = maxKeyCount(idCount: id.count)
        key.removeAll(keepingCapacity: true)
        key.append(contentsOf: repeatElement(0, count: room))
        let count = key.withUnsafeMutableBytes { encode(id, into: $0.baseAddress!, sextets: sextets) }
        key.removeLast(room - count)
    }

    /// The id a key was made from.
    static func decode(_ key: UnsafeRawBufferPointer) -> String {
        guard let first = key.first else { return "" }
        if first == 0 {
            return String(decoding: UnsafeRawBufferPointer(rebasing: key[1...]), as: UTF8.self)
        }
        var high: UInt64 = 0, low: UInt64 = 0
        for index in 0..<8 { high = high << 8 | UInt64(key[index]) }
        for index in 8..<16 { low = low << 8 | UInt64(key[index]) }
        high &= ~(1 << 63)
        var text = [UInt8](repeating: 0, count: nanoidLength)
        for index in stride(from: nanoidLength - 1, through: 0, by: -1) {
            text[index] = alphabet[Int(low & 63)]
            low = low >> 6 | (high & 63) << 58
            high >>= 6
        }
        return String(decoding: text, as: UTF8.self)
    }
}
