import Foundation
import Testing
@testable import AiCOCO

// Errors are the same (kind, message, place, path) however the input is split into chunks:
// the fuzzer's chunking findings of issue 14, each cause checked with several splits.

/// Every problem of a validating parse of `bytes` fed in chunks of `sizes` (cycled), the error
/// that stopped it last.
func chunkedProblems(_ bytes: [UInt8], sizes: [Int], limits: DocumentParsing.Limits) -> [DocumentError] {
    var parser = DocumentParser(visitor: ProblemList(), options: DocumentParsing.Options(limits: limits, validate: true))
    do {
        var position = 0
        var turn = 0
        while position < bytes.count {
            let end = min(bytes.count, position + max(1, sizes[turn % sizes.count]))
            try parser.feed(bytes[position..<end])
            position = end
            turn += 1
        }
        try parser.finish()
        return parser.visitor.problems
    } catch let error as DocumentError {
        return parser.visitor.problems + [error]
    } catch {
        return parser.visitor.problems
    }
}

/// The fuzz harness's small limits (Fuzz/Sources/AiCOCOFuzz/Harness.swift).
let harnessLimits: DocumentParsing.Limits = {
    var limits = DocumentParsing.Limits()
    limits.maxDepth = 8
    limits.maxStringBytes = 48
    limits.maxNumberBytes = 24
    limits.maxRecordBytes = 400
    limits.maxCoordinatesPerRecord = 40
    return limits
}()

/// The first differing problems, shortly (a message may quote a long key).
private func brief(_ problems: [DocumentError]) -> String {
    problems.map { "\($0.kind) \($0.location.line):\($0.location.column) @\($0.location.offset) \($0.path.prefix(30)) \($0.message.prefix(60))" }
        .joined(separator: "; ")
}

/// Splits worth trying: tiny, odd, around the 4 KiB the engine keeps of earlier pieces.
let awkwardSplits: [[Int]] = [[1], [2], [3], [5], [7, 2, 6, 6, 5, 4, 73, 5], [64], [4095], [4097], [5000, 1]]

/// Checks that every split gives exactly the problems of the whole input, placed by the bytes;
/// returns the whole input's problems.
@discardableResult
func expectSameWhateverTheSplit(_ bytes: [UInt8], limits: DocumentParsing.Limits, _ context: String,
                                sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [DocumentError] {
    let whole = chunkedProblems(bytes, sizes: [bytes.count], limits: limits)
    for problem in whole { expectPlaced(problem, in: bytes, context, sourceLocation: sourceLocation) }
    for sizes in awkwardSplits {
        let chunked = chunkedProblems(bytes, sizes: sizes, limits: limits)
        #expect(chunked == whole, "\(context), chunks \(sizes): \(brief(chunked)) vs whole \(brief(whole))",
                sourceLocation: sourceLocation)
    }
    return whole
}

@Suite("Chunking never moves an error (issue 14 fuzz findings)")
struct ChunkPlacementTests {
    @Test("the findings, with the harness's split and others", arguments: ["unexpected-string-longer-than-history.json", "limit-string-longer-than-history.json",
                                          "limit-escaped-extra-string.json", "bbox-place-depends-on-chunks.json"])
    func findings(name: String) throws {
        let bytes = try Paths.bytes(Paths.fixtures.appendingPathComponent("fuzz/\(name)").path)
        for limits in [DocumentParsing.Limits(), harnessLimits] {
            expectSameWhateverTheSplit(bytes, limits: limits, name)
        }
    }

    /// Each cause by itself: a token longer than the bytes kept from earlier pieces (4 KiB),
    /// escaped or not, reached after a long run of whitespace or not; `start` is where the error
    /// must be (the token's first byte).
    static let longTokens: [(name: String, bytes: [UInt8], start: Int, kind: DocumentError.Kind)] = {
        let backslashes = String(repeating: #"\\"#, count: 3000)
        let quotes = String(repeating: #"\""#, count: 3000)
        let digits = String(repeating: "1234567890", count: 700)
        let spaces = String(repeating: " ", count: 5000)
        let long = String(repeating: "x", count: 6000)
        // `@` marks the token's first byte; it is removed from the text.
        func case_(_ name: String, _ text: String, _ kind: DocumentError.Kind) -> (name: String, bytes: [UInt8], start: Int, kind: DocumentError.Kind) {
            let utf8 = Array(text.utf8)
            let at = utf8.firstIndex(of: UInt8(ascii: "@"))!
            var bytes = utf8
            bytes.remove(at: at)
            return (name, bytes, at, kind)
        }
        return [
            case_("escaped string over the limit, top level", #"[@"\#(backslashes)"]"#, .limit),
            case_("escaped string over the limit, in an extra field", #"{"tables":[{"x":@"\#(backslashes)"}]}"#, .limit),
            case_("escaped key, unknown at the top level", #"{@"\#(quotes)":1}"#, .schema),
            case_("escaped duplicate key in a record",
                  #"{"images":[{"id":"a","file_name":"f","index":0,"category_ids":null,"regressions":null,"\#(quotes)":1,@"\#(quotes)":2}]}"#, .semantic),
            case_("a string where a colon must be", #"{"a" @"\#(quotes)"}"#, .syntax),
            case_("a number where a colon must be", #"{"bbox"@\#(digits)}"#, .syntax),
            case_("a string after a value in an object", #"{"a":1 @"\#(long)"}"#, .syntax),
            case_("a number after an array element", #"[1 @\#(digits)]"#, .syntax),
            case_("a long string after the document", #"{} @"\#(quotes)""#, .syntax),
            case_("a long number after the document", #"{}\#(spaces)@\#(digits)"#, .syntax),
            case_("a string after long whitespace", #"{"images":\#(spaces)@"\#(long)"}"#, .schema),
            case_("a string after a colon and long whitespace", #"{"images"\#(spaces):\#(spaces)@"\#(quotes)"}"#, .schema),
            case_("a string in a polygon after long whitespace",
                  #"{"annotations":[{"segmentation":[[1,2,\#(spaces)@"\#(quotes)"]]}]}"#, .schema),
            case_("a string in a bbox after a cut number",
                  #"{"annotations":[{"bbox":[[1,2,3\#(spaces),@"\#(long)"]]}]}"#, .schema),
        ]
    }()

    @Test("a token longer than the bytes kept is placed on its first byte, whatever the split",
          arguments: 0..<longTokens.count)
    func longToken(index: Int) throws {
        let (name, bytes, start, kind) = Self.longTokens[index]
        for limits in [DocumentParsing.Limits(), harnessLimits] {
            let problems = expectSameWhateverTheSplit(bytes, limits: limits, name)
            // The string limit is the harness's; under its limits other errors may come first.
            guard (kind == .limit) == (limits == harnessLimits) else { continue }
            let error = try #require(problems.first { $0.kind == kind }, "\(name): \(problems.map(\.message))")
            #expect(error.location.offset == start, "\(name): \(error.kind) at \(error.location.offset), not \(start): \(error.message)")
        }
    }

    @Test("a token cut by the end of input after the document: placed on its first byte, whatever the split")
    func cutAfterDocument() throws {
        for (text, start) in [("{} 12", 3), ("{}\n\n -1.5e7", 5), ("{} tru", 3), ("{}\t-", 3), ("{} 0.", 3)] {
            let bytes = Array(text.utf8)
            let problems = expectSameWhateverTheSplit(bytes, limits: DocumentParsing.Limits(), text)
            let error = try #require(problems.last, "\(text)")
            #expect(error.kind == .syntax && error.location.offset == start, "\(text): \(error)")
        }
    }
}
