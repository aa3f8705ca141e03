import Foundation
import Testing
@_spi(Testing) @testable import AiCOCO

// The document engine as one value: the visitor's own errors, coordinate chunks lent through
// the public API, and a parser that fails keeps failing with the same error.

/// An error of the visitor's own, not the parser's.
private struct Refused: Error, Equatable {
    let annotation: Int
}

/// Throws its own error from the annotation's second polygon.
private struct RefusingVisitor: DocumentVisitor {
    var numbers: [Double] = []
    mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
        chunk.append(to: &numbers)
        if chunk.polygonIndex == 1 { throw Refused(annotation: chunk.annotationIndex) }
    }
}

private let twoPolygons = #"""
{"images":[{"id":"i","file_name":"a.dcm","index":0,"category_ids":null,"regressions":null}],
 "annotations":[{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"bbox":null,
   "segmentation":[[1,2,3,4,5,6],[7.5,8,9,10,11,12]]}],
 "categories":[],"regressions":[],"objects":[{"id":"o","category_ids":null,"regressions":null}],
 "meta":{"category_ids":null,"regressions":null}}
"""#

@Test("a visitor's own error comes out of the parse as itself, on the scanner's path and yajl's",
      arguments: [true, false])
func visitorErrorPropagatesAsItself(scanner: Bool) throws {
    var options = DocumentParsing.Options()
    options.readsPolygonsWithoutYajl = scanner
    var parser = DocumentParser(visitor: RefusingVisitor(), options: options)
    #expect(throws: Refused(annotation: 0)) { try parser.feed(Array(twoPolygons.utf8)) }
    // Every later call throws the same error again.
    #expect(throws: Refused(annotation: 0)) { try parser.finish() }
    #expect(parser.visitor.numbers == [1, 2, 3, 4, 5, 6, 7.5, 8, 9, 10, 11, 12])
}

@Test("a coordinate chunk lends its numbers by index, span, forEach and append")
func coordinateChunkAccessors() throws {
    struct Lender: DocumentVisitor {
        var viaIndex: [Double] = [], viaSpan: [Double] = [], viaForEach: [Double] = [], viaAppend: [Double] = []
        mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
            for index in 0..<chunk.count { viaIndex.append(chunk[index]) }
            chunk.withValues { span in for index in span.indices { viaSpan.append(span[index]) } }
            chunk.forEach { viaForEach.append($0) }
            chunk.append(to: &viaAppend)
        }
    }
    let visitor = try parseDocument(.bytes(Array(twoPolygons.utf8)), visitor: Lender())
    let expected: [Double] = [1, 2, 3, 4, 5, 6, 7.5, 8, 9, 10, 11, 12]
    #expect(visitor.viaIndex == expected)
    #expect(visitor.viaSpan == expected)
    #expect(visitor.viaForEach == expected)
    #expect(visitor.viaAppend == expected)
}

@Test("a syntax error stops the parse once, and every later feed throws it again")
func failureIsSticky() throws {
    struct Quiet: DocumentVisitor {}
    var parser = DocumentParser(visitor: Quiet())
    var first: DocumentError?
    do { try parser.feed(Array(#"{"images": [}"#.utf8)) } catch let error as DocumentError { first = error }
    let error = try #require(first)
    #expect(error.kind == .syntax)
    #expect(throws: error) { try parser.feed(Array("]".utf8)) }
    #expect(throws: error) { try parser.finish() }
}
