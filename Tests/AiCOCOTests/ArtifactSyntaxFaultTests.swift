import Foundation
import Testing
@testable import AiCOCO

/// A syntax error in a records artifact's line is told as the same bytes in a document are: the
/// same words (never yajl's text), the same byte named, placed on the same byte of the token;
/// a line longer than a read chunk too, where the fault lies past a backslash run whose parity
/// only the lexer's state kept across pieces can tell.
@Suite struct ArtifactSyntaxFaultTests {
    static let document = "flavor-tabular-classification.json"
    static let linePrefix = Array(#"{"id":"#.utf8)
    static let lineSuffix = Array(#","table_id":"t","row_indexes":[0],"category_ids":null,"regressions":null}"#.utf8) + [0x0A]
    static let documentPrefix = Array(#"{"images":[{"id":"#.utf8)
    static let documentSuffix = Array(#"}]}"#.utf8)

    /// The error that stops the reading of an artifact whose one line has `value` as its `id`.
    static func artifactError(_ value: [UInt8]) throws -> DocumentError {
        let bytes = linePrefix + value + lineSuffix
        do {
            _ = try TabularArtifactTests.read("artifact.jsonl", document: document, bytes: bytes)
        } catch let error as DocumentError {
            return error
        }
        Issue.record("no error in the artifact")
        return DocumentError(kind: .io, message: "", path: "", location: SourceLocation(offset: -1, line: 0, column: 0))
    }

    static let faults: [(String, [UInt8])] = [
        ("invalid character", Array("@".utf8)),
        ("invalid literal", Array("nul1".utf8)),
        ("invalid escape", Array(#""a\qb""#.utf8)),
        ("invalid hex digit", Array(#""a\u12G4""#.utf8)),
        ("control character", [0x22, 0x61, 0x09, 0x62, 0x22]),
        ("invalid UTF-8", [0x22, 0x61, 0xFF, 0x62, 0x22]),
        ("malformed number", Array("1.}".utf8)),
        ("comment", Array("/x".utf8)),
        ("after a member", Array(#""a" "b""#.utf8)),
        ("unallowed token", Array("]".utf8)),
        ("string after a key", Array(#""a", 1"#.utf8)),
    ]

    @Test("an artifact line's syntax error has a document's words and place", arguments: faults)
    func toldAsInADocument(name: String, value: [UInt8]) throws {
        let inArtifact = try Self.artifactError(value)
        let inDocument = try #require(firstError(.bytes(Self.documentPrefix + value + Self.documentSuffix)))
        #expect(inArtifact.kind == .syntax, "\(name): \(inArtifact)")
        #expect(inDocument.kind == .syntax, "\(name): \(inDocument)")
        #expect(inArtifact.message == inDocument.message, "\(name)")
        #expect(!inArtifact.message.contains("lexical error") && !inArtifact.message.contains("parse error"), "\(name)")
        // The same byte of the value, whatever came before it on the line.
        #expect(inArtifact.location.column - Self.linePrefix.count == inDocument.location.column - Self.documentPrefix.count,
                "\(name): \(inArtifact.location) in the artifact, \(inDocument.location) in the document")
    }

    @Test("past a backslash run longer than a read chunk, a tab's fault is told by the run's parity",
          arguments: [300_000, 300_001])
    func backslashRunAcrossPieces(run: Int) throws {
        let value = [0x22] + [UInt8](repeating: UInt8(ascii: "\\"), count: run) + [0x09, 0x62, 0x22]
        let error = try Self.artifactError(value)
        #expect(error.kind == .syntax)
        // An odd run's last backslash escapes the tab; an even run escapes itself, the tab stands bare.
        let expected = run % 2 == 1 ? "invalid escape in a string (byte 0x9)" : "unescaped control character in a string (byte 0x9)"
        #expect(error.message == expected, "\(error)")
        #expect(error.location.column == Self.linePrefix.count + 1 + run + 1, "\(error.location)")
        let inDocument = try #require(firstError(.bytes(Self.documentPrefix + value + Self.documentSuffix)))
        #expect(inDocument.message == expected)
    }
}
