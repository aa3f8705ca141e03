/// An incremental, push-style AiCOCO parser: feed it bytes in chunks of any size, then
/// `finish()`. It calls the visitor as the document is read and keeps no more than the
/// record being read, whatever the size of the input. It is not copyable (a copy would read
/// on from the same place as the original): pass it `inout`, or `consume` it.
///
/// ```swift
/// var parser = DocumentParser(visitor: MyVisitor())
/// try parser.feed(chunk1); try parser.feed(chunk2)
/// try parser.finish()
/// print(parser.visitor)
/// ```
public struct DocumentParser<Visitor: DocumentVisitor>: ~Copyable {
    /// The visitor, adapted to what the engine reports to (the engine's delegate).
    private let adapter: VisitorAdapter<Visitor>
    private var engine: DocumentEngine
    /// The options the parser was made with.
    public let options: DocumentParsing.Options
    /// `NaN`, `Infinity` and `-Infinity` read in the records artifact (once read).
    private var artifactNonFiniteCounts = NonFiniteCounts()

    /// A parser that reports to `visitor`, at the start of a document.
    public init(visitor: Visitor, options: DocumentParsing.Options = DocumentParsing.Options()) {
        self.options = options
        adapter = VisitorAdapter(visitor)
        engine = DocumentEngine(options: options, delegate: adapter)
    }

    /// What the document is (its kind and, for a tabular output, the form of its records, which
    /// tells the FLaVor releases that write it), once it has ended with the keys of a kind.
    public var documentForm: DocumentForm? { engine.documentForm }

    /// `NaN`, `Infinity` and `-Infinity` read (with `allowNonFinite`), in the document and its
    /// artifact (once read).
    public var nonFiniteCounts: NonFiniteCounts { engine.nonFinite.counts + artifactNonFiniteCounts }

    /// The visitor, with whatever it has gathered so far.
    public var visitor: Visitor { adapter.visitor }

    /// Bytes fed so far.
    public var bytesFed: Int { engine.places.bytesFed }

    /// The tables that check ids and references (validation on).
    var referenceChecker: ReferenceChecker? { engine.checker }

    /// Problems' places are in decompressed text: the first one placed says so.
    func noteDecompressedPlaces() { adapter.decompressedNotePending = true }

    /// `error` thrown while reading decompressed input: a failure of the compressed stream placed
    /// where the text fed so far ends, the first error placed in the text noted as such.
    /// A JSON error in the text of a corrupt stream is that corruption (looked for a little ahead
    /// in `reader`), placed where the text went wrong.
    mutating func placedInDecompressedText(_ error: any Error, from reader: ChunkReader? = nil) -> any Error {
        guard var error = error as? DocumentError else { return error }
        if error.kind == .compression && error.location.line == 0 {
            (error.location, error.path) = engine.endOfInput()
        } else if error.kind != .compression && error.kind != .io && error.file == nil,
                  let gzip = reader as? GzipReader, let corrupt = gzip.failureAhead() {
            error.message = corrupt.message + ", found after the text went wrong here: " + error.message
            error.kind = .compression
        }
        return adapter.notingDecompressed(error)
    }

    /// Reads the next chunk of the document.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws {
        try engine.feed(UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                            count: bytes.count))
    }

    /// Reads the next chunk of the document.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws {
        let done: Void? = try bytes.withContiguousStorageIfAvailable { try engine.feed($0) }
        if done == nil {
            try Array(bytes).withUnsafeBufferPointer { try engine.feed($0) }
        }
    }

    /// Ends the input: reports a document cut short, and references that were never resolved.
    public mutating func finish() throws {
        try engine.finish()
    }

    /// Ends the input like `finish()`, then, for a tabular output, reads its records artifact
    /// from where `options.recordsArtifact` says (`document` is where the document came from, to
    /// look beside it): its records reach the visitor as section `rows` (`TabularRecord`s), its
    /// problems are placed in it (`DocumentError.file`). References are checked last, the
    /// artifact's with the document's. `parse(_:)` does this; with `feed`, call it instead of `finish()`.
    public mutating func finish(readingRecordsArtifactOf document: DocumentSource?) throws {
        var session = ParseSession(suppliedFor: document)
        try session.run(&self)
    }

    /// The document's end, without the reference problems (`finishArtifact` reports them).
    /// `ParseSession` calls this and the two below, in order.
    mutating func finishDocument() throws {
        try engine.finish(checkingReferences: false)
    }

    /// After `finishDocument()`: the artifact of a tabular output, opened, its section begun;
    /// nil when there is none to read.
    mutating func openRecordsArtifact(documentAt document: DocumentSource?) throws -> RecordsArtifactStream? {
        guard let artifact = engine.tabularArtifact, options.recordsArtifact != .skip else { return nil }
        guard let path = options.recordsArtifact.path(for: artifact.reference, documentAt: document) else {
            throw DocumentError(kind: .io, message: "the records of this tabular output are in \(jsonQuoted(artifact.reference.fileName)) (\(artifact.reference.locationKey)), which cannot be looked for beside \(document?.displayName ?? "this input"): give its path (--records FILE)",
                              path: "$." + artifact.reference.locationKey, location: SourceLocation(offset: 0, line: 1, column: 1))
        }
        let delegate: EngineDelegate = adapter
        let stream: RecordsArtifactStream
        do {
            stream = try RecordsArtifactStream(
                path: path, reference: artifact.reference, windowSize: artifact.windowSize, options: options,
                checker: artifact.checker, report: { try delegate.engineProblem($0) },
                deliver: { try delegate.engineRecord(.tabularRecord($0), index: $1) })
        } catch let error as DocumentError where error.kind == .io {
            throw DocumentError(kind: .io, message: error.message + " (the records artifact named by \(artifact.reference.locationKey))",
                              path: "$." + artifact.reference.locationKey, location: error.location, file: path)
        }
        try delegate.engineSectionStart(.rows)
        return stream
    }

    /// Ends the artifact's section (when there was one) and reports the reference problems.
    mutating func finishArtifact(_ artifact: RecordsArtifactStream?) throws {
        if let artifact {
            artifactNonFiniteCounts = artifact.nonFiniteCounts
            try adapter.engineSectionEnd(.rows, count: artifact.delivered)
        }
        try engine.finishReferences(artifact: artifact?.path)
    }
}
