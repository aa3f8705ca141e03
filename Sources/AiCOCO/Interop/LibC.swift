// The C library's byte and number routines: the rest of the library calls these typed wrappers.
import Glibc

/// Index of the first `byte` in `bytes[from..<to]`, if any (`memchr`).
@inline(__always)
func firstIndex(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
    guard from < to, let base = bytes.baseAddress else { return nil }
    guard let found = memchr(base + from, Int32(byte), to - from) else { return nil }
    return UnsafePointer<UInt8>(found.assumingMemoryBound(to: UInt8.self)) - base
}

/// Index of the first form feed (0x0C) or vertical tab (0x0B) in `bytes`, if any.
func firstFormFeedOrVerticalTab(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    let formFeed = firstIndex(of: 0x0C, in: bytes, from: 0, to: bytes.count)
    let verticalTab = firstIndex(of: 0x0B, in: bytes, from: 0, to: formFeed ?? bytes.count)
    return verticalTab ?? formFeed
}

/// Whether `bytes` holds exactly the UTF-8 of `literal` (`memcmp`).
@inline(__always)
func bytesEqual(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
    bytes.count == literal.utf8CodeUnitCount && memcmp(bytes.baseAddress!, literal.utf8Start, bytes.count) == 0
}

/// The correctly rounded value of a JSON number's text (`strtod`), or `nil` when it does not
/// fit a finite `Double`.
func correctlyRoundedDouble(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: text.count + 1) { buffer in
        for i in 0..<text.count { buffer[i] = CChar(bitPattern: text[i]) }
        buffer[text.count] = 0
        let value = strtod(buffer.baseAddress!, nil)
        return value.isFinite ? value : nil
    }
}

/// A new empty file named `prefix` and six unique characters (`mkstemp`), open for reading
/// and writing: its descriptor and path.
func makeUniqueFile(prefix: String) -> Result<(descriptor: Int32, path: String), Errno> {
    var template = Array((prefix + "XXXXXX").utf8CString)
    return valueOrErrno { template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) } }.map { descriptor in
        (descriptor, template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
    }
}
