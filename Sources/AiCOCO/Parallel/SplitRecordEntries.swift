/// Writes the lines `RecordLines` gives for `input` (`envelope`, `sections` as there) to
/// `write`, the long `annotations` array of a big regular file split among `split.threads`
/// threads (see `SplitRecordLines`). Returns nil when every line was written and the document
/// had no problem; otherwise how many bytes were written, always the first bytes of what the
/// one-thread path writes: the caller then reads the input in order and writes what comes
/// after them (and reports the problem). Throws only what `write` throws.
package func writeRecordLinesSplitting(
    _ input: DocumentSource, options: RecordReader.Options, envelope: Bool, sections: Set<Section>,
    split: SplitOptions, progress: ((Int) -> Void)? = nil, write: (UnsafeRawBufferPointer) throws -> Void
) throws -> Int? {
    // Stretches of at most 1 MiB: their lines are held until written (2 stretches a thread).
    guard let (file, points) = try? splitCandidate(input, split: split, maxStretchBytes: 1 << 20) else { return 0 }
    // Numbers are written as the input wrote them, as `RecordLines` does.
    var parser = options.parser
    parser.keepsNumberText = true
    let run = SplitRecordLines(file: file, points: points, threads: split.threads, options: parser,
                               envelope: envelope, sections: sections)
    return try run.run(progress: progress, write: write) ? nil : run.bytesWritten
}

/// `validate` on one big regular file, its `annotations` split among `split.threads` threads:
/// every record checked by the workers' parsers as `records` reads them (see `SplitRecordLines`),
/// but no line rendered: the workers note only the ids, which the calling thread gives to the
/// reference tables in file order. Returns the document's form when it was read to the end with no problem at all; nil when
/// it must be read again in order, which finds and places its problems (nothing is reported
/// before). Not with `options.strict`.
package func checkSplitting(_ input: DocumentSource, options: DocumentParsing.Options,
                            split: SplitOptions, progress: ((Int) -> Void)? = nil) throws -> (form: DocumentForm?, bytes: Int)? {
    guard !options.strict, options.validate,
          // Stretches of at most 2 MiB: only their ids are held until checked (8 stretches a thread).
          let (file, points) = try? splitCandidate(input, split: split, maxStretchBytes: 2 << 20) else { return nil }
    // Rows only: a document's own sections are not rendered (the skeleton's records are built, not written).
    let run = SplitRecordLines(file: file, points: points, threads: split.threads, options: options,
                               envelope: false, sections: [.rows], rendersLines: false)
    guard try run.run(progress: progress, write: { _ in }) else { return nil }
    return (run.documentForm, file.size)
}
