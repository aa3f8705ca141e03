/// The records of an AiCOCO input as JSON lines, what `RecordLineWriter` writes for each
/// record `RecordReader` reads, but rendered as the input is parsed: an annotation never
/// becomes a typed record (its coordinates go from the parser to the line), so this is the
/// fast way to turn a document into lines.
///
/// ```swift
/// let lines = RecordLines(.file("series.json"), envelope: true)
/// while try lines.next({ bytes, _ in try output.write(bytes) }) {}
/// ```
public final class RecordLines {
    private let reader: RecordReader

    /// `envelope` as in `RecordLineWriter`; only records of `sections` are written (all
    /// when empty).
    public init(_ input: DocumentSource, options: RecordReader.Options = RecordReader.Options(), envelope: Bool,
                sections: Set<Section> = []) {
        reader = RecordReader(input, options: options,
                                    renderer: RecordLineRenderer(envelope: envelope, sections: sections,
                                                                allowsNonFinite: options.parser.allowNonFinite))
    }

    /// Reads on until at least one record has ended, then calls `body` with the lines of those
    /// records (each ending in a newline; only the sections asked for) and how many records
    /// ended (of every section): the records `RecordReader.next()` would have returned
    /// one by one, in the same batches. False at the end of the input. Throws what ended the
    /// parse (or a record that could not be written), once the records before it were handed on.
    public func next(_ body: (_ lines: UnsafeRawBufferPointer, _ records: Int) throws -> Void) throws -> Bool {
        try reader.nextLines(body)
    }

    /// Stops reading: `next` returns false from then on.
    public func cancel() { reader.cancel() }

    /// Bytes of the input read so far.
    public var bytesRead: Int { reader.bytesRead }

    /// The size of the input, when known.
    public var totalBytes: Int? { reader.totalBytes }

    /// The problems found so far (validation on), as `RecordReader.problems`.
    public var problems: [DocumentError] { reader.problems }

    /// How many problems were found so far.
    public var problemCount: Int { reader.problemCount }

    /// Inside `next`'s `body`: how many of the bytes handed on are the lines of records that
    /// ended before the first problem was found (all of them while there is none). A writer
    /// that stops at the first problem writes these and no more.
    public var bytesBeforeFirstProblem: Int { reader.renderer?.batchBytesBeforeProblem ?? 0 }
}
