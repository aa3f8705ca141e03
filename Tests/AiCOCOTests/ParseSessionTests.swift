import Foundation
import Testing
@testable import AiCOCO

/// Every driver runs the one `ParseSession`: the push parser (`feed`, then
/// `finish(readingRecordsArtifactOf:)`), `parse(_:)`, `RecordReader` (a slice at a time) and
/// `RecordReader` over an asynchronous sequence give the same records, the same placed problems
/// and the same error, for a tabular output whose records artifact is read after the document.
@Suite("one parse session for every driver")
struct ParseSessionTests {
    /// What one parse gave: its records, the problems collected (validation on) and the error that ended it.
    struct Outcome: Equatable {
        var records: [Record] = []
        var problems: [DocumentError] = []
        var error: DocumentError?
    }

    final class Gathered {
        var outcome = Outcome()
    }

    static let document = "flavor-tabular-classification.json"
    static let artifact = "records_b3UbJp42tMFsBzD8Ucw9W.jsonl"

    /// A copy of the tabular sample in `directory` (a scratch one, `inScratchDirectory`);
    /// `artifactTail` is appended to its artifact.
    static func copy(into path: String, artifactTail: String = "") throws -> (document: String, artifact: String) {
        let directory = URL(fileURLWithPath: path)
        let document = directory.appendingPathComponent(document).path
        let artifact = directory.appendingPathComponent(artifact).path
        try Data(Paths.bytes(Paths.flavor.appendingPathComponent(Self.document).path)).write(to: URL(fileURLWithPath: document))
        let lines = try Paths.bytes(Paths.flavor.appendingPathComponent(Self.artifact).path) + Array(artifactTail.utf8)
        try Data(lines).write(to: URL(fileURLWithPath: artifact))
        return (document, artifact)
    }

    static func builder(_ gathered: Gathered, _ options: DocumentParsing.Options) -> RecordBuilder {
        RecordBuilder(maxCoordinates: options.limits.maxCoordinatesPerRecord,
                      collectProblem: { gathered.outcome.problems.append($0) }) { record, _ in
            gathered.outcome.records.append(record)
        }
    }

    /// `bytes` fed in chunks of 4,093 bytes, then finished with the artifact of `document`.
    static func pushed(_ bytes: [UInt8], document: DocumentSource?, options: DocumentParsing.Options) -> Outcome {
        let gathered = Gathered()
        var parser = DocumentParser(visitor: builder(gathered, options), options: options)
        do {
            for start in stride(from: 0, to: bytes.count, by: 4093) {
                try parser.feed(bytes[start..<min(bytes.count, start + 4093)])
            }
            try parser.finish(readingRecordsArtifactOf: document)
        } catch {
            gathered.outcome.error = error as? DocumentError
        }
        return gathered.outcome
    }

    static func parsed(_ input: DocumentSource, options: DocumentParsing.Options) -> Outcome {
        let gathered = Gathered()
        var parser = DocumentParser(visitor: builder(gathered, options), options: options)
        do { try parser.parse(input) } catch { gathered.outcome.error = error as? DocumentError }
        return gathered.outcome
    }

    static func pulled(_ input: DocumentSource, options: DocumentParsing.Options) -> Outcome {
        let reader = RecordReader(input, options: RecordReader.Options(parser: options, sliceBytes: 1000))
        var outcome = Outcome()
        do {
            while let record = try reader.next() { outcome.records.append(record) }
        } catch {
            outcome.error = error as? DocumentError
        }
        outcome.problems = reader.problems
        return outcome
    }

    static func awaited(_ bytes: [UInt8], options: DocumentParsing.Options) async -> Outcome {
        let reader = RecordReader(chunks: ChunkSequence(bytes: bytes, size: 777),
                                  options: RecordReader.Options(parser: options, sliceBytes: 500))
        var outcome = Outcome()
        do {
            while let record = try await reader.nextAsync() { outcome.records.append(record) }
        } catch {
            outcome.error = error as? DocumentError
        }
        outcome.problems = reader.problems
        return outcome
    }

    @Test("the drivers agree on a tabular output and its artifact, intact and with a bad line appended")
    func driversAgree() async throws {
        for tail in ["", "{\"id\": 1}\n"] {
            try await inScratchDirectory { scratch in
                let (document, artifact) = try Self.copy(into: scratch, artifactTail: tail)
                let bytes = try Paths.bytes(document)
                var options = DocumentParsing.Options(validate: true)
                let beside = Self.parsed(.file(document), options: options)
                #expect(beside.error == nil)
                #expect(beside.records.filter { if case .tabularRecord = $0 { true } else { false } }.count == 60)
                #expect(beside.problems.isEmpty == tail.isEmpty)
                #expect(beside.problems.allSatisfy { $0.file == artifact }, "\(beside.problems)")
                #expect(Self.pulled(.file(document), options: options) == beside)
                #expect(Self.pushed(bytes, document: .file(document), options: options) == beside)
                // In memory or from a sequence, the artifact has no directory to be found in: it is named.
                options.recordsArtifact = .file(artifact)
                #expect(Self.parsed(.bytes(bytes), options: options) == beside)
                #expect(Self.pulled(.bytes(bytes), options: options) == beside)
                #expect(Self.pushed(bytes, document: nil, options: options) == beside)
                #expect(await Self.awaited(bytes, options: options) == beside)
            }
        }
    }

    @Test("without a path to its artifact, an in-memory tabular output is the same error from every driver")
    func artifactNotFound() async throws {
        let bytes = try Paths.bytes(Paths.flavor.appendingPathComponent(Self.document).path)
        let options = DocumentParsing.Options(validate: true)
        let parsed = Self.parsed(.bytes(bytes), options: options)
        #expect(parsed.error?.kind == .io)
        #expect(parsed.error?.message.contains("--records FILE") == true)
        #expect(Self.pulled(.bytes(bytes), options: options) == parsed)
        #expect(Self.pushed(bytes, document: .bytes(bytes), options: options) == parsed)
        // Bytes from a sequence have no name: the message says "this input".
        let unnamed = Self.pushed(bytes, document: nil, options: options)
        #expect(unnamed.error?.message.contains("beside this input") == true)
        #expect(await Self.awaited(bytes, options: options) == unnamed)
    }

    @Test("a gzip input cut short, or with its text cut short, is one placed error whether parsed or pulled")
    func gzipErrorsPlaced() throws {
        try inScratchDirectory { scratch in
            let (document, artifact) = try Self.copy(into: scratch)
            let text = try Paths.bytes(document)
            var options = DocumentParsing.Options(validate: true)
            options.recordsArtifact = .file(artifact)
            let whole = try GzipInputTests.gzip(text)
            let cutText = try GzipInputTests.gzip(Array(text[..<(text.count * 2 / 3)]))
            for input in [Array(whole[..<(whole.count / 2)]), cutText] {
                let parsed = Self.parsed(.bytes(input), options: options)
                let error = try #require(parsed.error)
                #expect(error.location.line > 0, "\(error)")
                #expect(error.message.contains("decompressed"), "\(error)")
                #expect(Self.pulled(.bytes(input), options: options) == parsed)
            }
            let intact = Self.parsed(.bytes(whole), options: options)
            #expect(intact.error == nil && intact.problems.isEmpty)
            #expect(intact == Self.parsed(.file(document), options: options))
        }
    }
}
