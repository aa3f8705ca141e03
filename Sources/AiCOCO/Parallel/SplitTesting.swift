/// The CLI's split paths (`package`), for the fuzzer, a package of its own.
@_spi(Testing) public enum SplitTesting {
    /// `checkSplitting`: `validate`'s verdict with `annotations` split among threads, when it gives one.
    public static func check(_ input: DocumentSource, options: DocumentParsing.Options,
                             split: SplitOptions) throws -> (form: DocumentForm?, bytes: Int)? {
        try checkSplitting(input, options: options, split: split)
    }

    /// `writeRecordLinesSplitting`: `records`' lines with `annotations` split among threads.
    public static func writeLines(_ input: DocumentSource, options: RecordReader.Options, envelope: Bool,
                                  sections: Set<Section>, split: SplitOptions,
                                  write: (UnsafeRawBufferPointer) throws -> Void) throws -> Int? {
        try writeRecordLinesSplitting(input, options: options, envelope: envelope, sections: sections,
                                      split: split, write: write)
    }
}
