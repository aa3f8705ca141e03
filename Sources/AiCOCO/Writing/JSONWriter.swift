extension JSONWriter {
    /// Where written JSON goes: called with bytes to write, in order.
    public typealias Sink = (UnsafeRawBufferPointer) throws -> Void
}

/// A streaming JSON writer, byte for byte what yajl's generator writes: values go out as they
/// are written, through a buffer of about `flushThreshold` bytes, so any size of document takes
/// constant memory.
/// Compact by default; `pretty` indents by two spaces.
///
/// ```swift
/// let out = FileOutput(descriptor: 1)
/// let json = JSONWriter(sink: { try out.write($0) })
/// try json.beginObject(); try json.key("n"); try json.number(130); try json.endObject()
/// try json.flush(); try out.flush()
/// ```
public final class JSONWriter {
    let generator: JSONGenerator
    private let sink: JSONWriter.Sink
    private var valueText: JSONValueText
    /// Buffered bytes past which `flushIfNeeded()` hands them to the sink.
    public var flushThreshold = 1 << 16

    /// Writes to `sink`, compact or (with `pretty`) indented as yajl's beautifier does.
    public init(pretty: Bool = false, sink: @escaping JSONWriter.Sink) {
        generator = JSONGenerator(pretty: pretty)
        valueText = JSONValueText(indent: pretty ? Array("  ".utf8) : nil)
        self.sink = sink
    }

    /// Writes to `output` (whose own buffer still needs `output.flush()` at the end).
    public convenience init(pretty: Bool = false, output: FileOutput) {
        self.init(pretty: pretty, sink: { try output.write($0) })
    }

    /// Whether the output is indented.
    public var pretty: Bool { generator.pretty }

    /// Writes non-finite numbers as Python does (`NaN`, `Infinity`, `-Infinity`) instead of
    /// refusing them: for what was read with `DocumentParsing.Options.allowNonFinite`. Off by default.
    public var allowsNonFinite: Bool {
        get { generator.allowsNonFinite }
        set { generator.allowsNonFinite = newValue }
    }

    /// `{`.
    public func beginObject() throws { try generator.mapOpen() }
    /// `}`.
    public func endObject() throws { try generator.mapClose(); try flushIfNeeded() }
    /// `[`.
    public func beginArray() throws { try generator.arrayOpen() }
    /// `]`.
    public func endArray() throws { try generator.arrayClose(); try flushIfNeeded() }
    /// An object's key (a value must follow).
    public func key(_ key: String) throws { try generator.string(key) }
    /// A string value.
    public func string(_ text: String) throws { try generator.string(text) }
    /// `null`.
    public func null() throws { try generator.null() }
    /// `true` or `false`.
    public func bool(_ value: Bool) throws { try generator.bool(value) }
    /// Integral values as integers (`130`, not `130.0`), others in the shortest exact form.
    public func number(_ value: Double) throws { try generator.number(value) }
    /// An integer.
    public func number(_ value: Int) throws { try generator.integer(value) }
    /// A number as its literal text, kept exactly.
    public func number(_ value: JSONNumber) throws { try generator.numberLiteral(value.literal) }

    /// Numbers from a buffer, each formatted in a reused scratch buffer (no allocation per number).
    public func numbers(_ values: UnsafeBufferPointer<Double>) throws {
        try generator.numberList(values)
    }

    /// `"key": value` for a string or `null`.
    public func field(_ key: String, _ text: String?) throws {
        try generator.string(key)
        if let text { try generator.string(text) } else { try generator.null() }
    }

    /// Any JSON value, numbers exactly as their literal, nested as deep as it is (arrays and
    /// objects are rendered here, as yajl would, since yajl's generator stops at 128 levels).
    public func value(_ value: JSONValue) throws {
        switch value {
        case .null: try generator.null()
        case .bool(let flag): try generator.bool(flag)
        case .number(let number): try generator.numberLiteral(number.literal)
        case .string(let text): try generator.string(text)
        case .array, .object:
            valueText.render(value, depth: generator.depth)
            try generator.rendered(valueText.bytes)
        }
    }

    /// Hands the buffered bytes to the sink once there are more than `flushThreshold`.
    public func flushIfNeeded() throws {
        if generator.pendingBytes >= flushThreshold { try flush() }
    }

    /// Hands every buffered byte to the sink.
    public func flush() throws { try generator.drain(sink) }

    /// Drops what was generated and not yet handed to the sink, and starts a new top-level value.
    public func discard() { generator.reset() }

    /// Ends the current top-level value with a newline and lets a new one begin (JSON lines).
    public func endLine() throws {
        try generator.drain(sink)
        generator.reset()
        try newline.withUnsafeBytes { try sink($0) }
    }

    private let newline: [UInt8] = [0x0A]
}
