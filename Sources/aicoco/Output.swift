import AiCOCO
import ArgumentParser

/// `-o/--output FILE` of the subcommands that write a document.
struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .long], help: ArgumentHelp(
        "Write the document to this file instead of standard output: whole or not at all (through a temporary file beside it, renamed on success; an existing file stays as it was on any failure or interruption). A name ending in .gz is written gzip-compressed.",
        valueName: "file"), completion: .file())
    var output: String?

    /// Where the document goes: standard output, or the file through a temporary file.
    func open() throws -> Destination {
        if let output, output != "-" {
            StandardStreams.ignoreBrokenPipe()
            let file = try ReplacingFile(path: output, compressed: output.hasSuffix(".gz"))
            return Destination(output: file.output, file: file)
        }
        return Destination(output: dataOutput(), file: nil)
    }
}

/// The output of a document-writing subcommand.
final class Destination {
    let output: FileOutput
    private let file: ReplacingFile?

    init(output: FileOutput, file: ReplacingFile?) {
        self.output = output
        self.file = file
    }

    /// The document is complete: flush it, and put the file in place.
    func commit() throws {
        if let file {
            try file.commit()
        } else {
            try output.flush()
        }
    }

    /// The document is not complete: the file (if any) stays as it was.
    func discard() { file?.discard() }
}
