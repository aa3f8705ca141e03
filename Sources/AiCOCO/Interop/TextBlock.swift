/// A flat buffer of text bytes for writers of many short lines (`aicoco measure`'s CSV): bytes,
/// decimal integers and JSON numbers go in without allocating, and out to a `FileOutput` in big
/// blocks (past its own buffer: straight to the descriptor).
package final class TextBlock {
    private let output: FileOutput
    private let capacity: Int
    private let bytes: UnsafeMutablePointer<UInt8>
    private var count = 0
    /// Room a number may need (`writeJSONNumber`'s 25 bytes, and a sign).
    private static let numberRoom = 32

    /// A block of `capacity` bytes written to `output`.
    package init(output: FileOutput, capacity: Int = 1 << 20) {
        self.output = output
        self.capacity = max(capacity, 2 * Self.numberRoom)
        bytes = .allocate(capacity: self.capacity)
    }

    deinit { bytes.deallocate() }

    /// Appends `text`.
    @inline(__always)
    package func append(_ text: [UInt8]) throws {
        try text.withUnsafeBufferPointer { try append($0) }
    }

    /// Appends `text[range]`.
    @inline(__always)
    package func append(_ text: [UInt8], _ range: Range<Int>) throws {
        try text.withUnsafeBufferPointer { try append(UnsafeBufferPointer(rebasing: $0[range])) }
    }

    /// Appends one byte.
    @inline(__always)
    package func append(byte: UInt8) throws {
        if count == capacity { try flush() }
        bytes[count] = byte
        count += 1
    }

    @inline(__always)
    private func append(_ text: UnsafeBufferPointer<UInt8>) throws {
        if count + text.count > capacity {
            try flush()
            if text.count > capacity { return try output.write(UnsafeRawBufferPointer(text)) }
        }
        if let base = text.baseAddress { (bytes + count).update(from: base, count: text.count) }
        count += text.count
    }

    /// Appends `value` in decimal.
    @inline(__always)
    package func append(decimal value: Int) throws {
        if count + Self.numberRoom > capacity { try flush() }
        if value.magnitude < 1 << 53 {
            count += writeJSONNumber(Double(value), to: bytes + count)
        } else {
            try append(Array(String(value).utf8))
        }
    }

    /// Appends a finite `value` as JSON writes it (`formatJSONNumber`).
    @inline(__always)
    package func append(number value: Double) throws {
        if count + Self.numberRoom > capacity { try flush() }
        count += writeJSONNumber(value, to: bytes + count)
    }

    /// Hands the bytes so far to the output (which may keep them in its buffer until flushed).
    package func flush() throws {
        guard count > 0 else { return }
        defer { count = 0 }
        try output.write(UnsafeRawBufferPointer(start: bytes, count: count))
    }
}
