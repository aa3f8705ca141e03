/// Writes AiCOCO records as JSON lines: one compact JSON object per line, either the record
/// itself or, with `envelope`, `{"section":"images","record":{...}}`.
public final class RecordLineWriter {
    /// The JSON writer underneath.
    public let json: JSONWriter
    /// Whether each line wraps its record as `{"section":...,"record":...}`.
    public let envelope: Bool
    private let output: FileOutput?

    /// Writes to `sink`, a line at a time.
    public init(envelope: Bool, sink: @escaping JSONWriter.Sink) {
        json = JSONWriter(sink: sink)
        self.envelope = envelope
        output = nil
    }

    /// Writes to `output`; call `flush()` at the end.
    public init(envelope: Bool, output: FileOutput) {
        json = JSONWriter(output: output)
        self.envelope = envelope
        self.output = output
    }

    /// Writes the record and its newline; a record that cannot be written leaves nothing of
    /// itself behind (no partial line), whatever failed. With a sink, each line is handed to it
    /// at once; with a `FileOutput` (which needs `flush()` anyway), lines gather in the
    /// writer's buffer first.
    public func write(_ record: Record) throws {
        if output != nil {
            let mark = json.generator.pendingBytes
            do {
                try body(record)
            } catch {
                json.generator.rollback(to: mark)
                throw error
            }
            json.generator.endLine()
            try json.flushIfNeeded()
            return
        }
        do {
            try body(record)
        } catch {
            json.discard()
            throw error
        }
        try json.endLine()
    }

    private func body(_ record: Record) throws {
        do {
            if envelope {
                try json.beginObject()
                try json.name("section")
                try json.sectionName(record.section)
                try json.name("record")
                try json.record(record)
                try json.generator.mapClose()
            } else {
                try json.record(record)
            }
        }
    }

    /// Hands the buffered lines to the sink or output, and flushes the output.
    public func flush() throws {
        try json.flush()
        try output?.flush()
    }
}
