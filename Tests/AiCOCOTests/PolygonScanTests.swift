import Testing
@_spi(Testing) @testable import AiCOCO
import AiCOCOGen

/// The engine reads polygons' numbers itself and hands back to yajl at anything else: these
/// tests hold it to exactly what yajl alone does, for every chunk size.
@Suite("Polygons read without yajl")
struct PolygonScanTests {
    /// Everything a parse reports: records (as text) and problems, in order.
    struct Transcript: DocumentVisitor, Equatable {
        var events: [String] = []
        mutating func visitCoordinates(_ chunk: CoordinateChunk) throws {
            events.append("\(chunk.kind) \(chunk.polygonIndex) @\(chunk.offset) \(chunk.withValues { span in (0..<span.count).map { span[$0] } }) end:\(chunk.endsPolygon)")
        }
        mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
            events.append("annotation \(index) \(fields)")
        }
        mutating func visitAnnotationDropped(index: Int) throws { events.append("dropped \(index)") }
        mutating func visitProblem(_ error: DocumentError) throws { events.append("problem \(error)") }
    }

    static func transcript(_ text: [UInt8], chunk: Int, fast: Bool, limits: DocumentParsing.Limits = DocumentParsing.Limits()) -> [String] {
        var options = DocumentParsing.Options(limits: limits, validate: true)
        options.readsPolygonsWithoutYajl = fast
        var parser = DocumentParser(visitor: Transcript(), options: options)
        var position = 0
        do {
            while position < text.count {
                try parser.feed(text[position..<min(text.count, position + chunk)])
                position += chunk
            }
            try parser.finish()
            return parser.visitor.events
        } catch {
            return parser.visitor.events + ["stopped: \(error)"]
        }
    }

    static let polygons: [String] = [
        "[1,2,3,4,5,6]", "[ 1 , 2 ,\n 3,\t4,\r\n5 ,6 ]", "[]", "[ ]", "[\n]", "[0,-0,-1.5,2.25e3,1E+2,-3e-2]",
        "[12345678901234567890,1.5,0.1]", "[1e999,2]", "[1,\"2\",3,4]", "[1,[2],3]", "[1,{},3]", "[true,1]",
        "[null]", "[1 2]", "[1,,2]", "[,1]", "[1,]", "[01]", "[1.]", "[-]", "[1e]", "[1.e5]", "[.5]", "[+1]",
        "[1,2", "[1,", "[1", "[-", "[1e", "[", "[1x]", "[1,2]x", "[1]]", "[NaN]", "[Infinity]", "[1,\u{0C}2]",
        "[" + String(repeating: "7,", count: 5000) + "7]", "[" + String(repeating: " ", count: 9000) + "1]",
        "[1," + String(repeating: "\n  ", count: 3000) + "2]", "[" + String(repeating: "9", count: 80) + "]",
        "[1,2,3,4,5,6],[7,8,9,10,11,12]", "[1,2,3,4,5,6],7", "[1,2,3,4,5,6],[\"a\"]",
        // The outer list, read by the scanner too.
        "", " ", "\n[1,2]\n,\n[3,4]\n", "[[1]]", "[1,2],[]", "[1,2],null", "[1,2],{}", "[1,2] [3,4]", "[1,2],",
        ",[1]", "[1],,[2]", "[1,2]" + String(repeating: " ", count: 5000) + ",[3]", "[1,2],[3" , "[1,2],",
    ]

    static func document(_ segmentation: String) -> [UInt8] {
        Array("""
        {"images":[],"categories":[],"regressions":[],"objects":[],"meta":{"category_ids":null,"regressions":null},
        "annotations":[{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"bbox":null,"segmentation":[\(segmentation)]},
        {"id":"b","image_id":"i","object_id":"o","iscrowd":0,"bbox":[[1,2,3,4]],"segmentation":[[5,6,7,8,9,10]]}]}
        """.utf8)
    }

    @Test("the same records and problems as yajl alone, whatever the chunk size", arguments: polygons)
    func sameAsYajl(polygon: String) {
        let text = Self.document(polygon)
        let reference = Self.transcript(text, chunk: text.count, fast: false)
        #expect(!reference.isEmpty)
        for chunk in [1, 2, 3, 5, 7, 16, 4096, text.count] {
            let fast = Self.transcript(text, chunk: chunk, fast: true)
            #expect(fast == reference, "\(polygon.prefix(40)) in chunks of \(chunk)")
            if chunk <= 3 {
                #expect(Self.transcript(text, chunk: chunk, fast: false) == reference, "yajl alone, chunks of \(chunk)")
            }
        }
    }

    @Test("generated documents: identical records with and without the scanner")
    func generated() throws {
        for (pretty, shape) in [(false, GeneratorOptions.Shape.noisy), (true, .noisy), (false, .long), (true, .long)] {
            let (bytes, _) = generate(bytes: 300_000, seed: 31, pretty: pretty, shape: shape)
            let reference = Self.transcript(bytes, chunk: 65_536, fast: false)
            #expect(Self.transcript(bytes, chunk: 65_536, fast: true) == reference)
            #expect(Self.transcript(bytes, chunk: 1_000, fast: true) == reference)
        }
    }

    /// Numbers past `maxNumberBytes` (24 here): whole, cut across pieces, malformed after the
    /// limit, or cut by the end of the input.
    static let longNumbers: [String] = {
        let digits = String(repeating: "7", count: 30)
        return [
            "[\(digits)]", "[1,\(digits),2]", "[-\(digits).5]", "[1.\(digits)]", "[\(digits)e5]",
            "[\(digits).x]", "[\(digits)e]", "[\(digits)e+]", "[-\(digits).]", "[\(digits)x]",
            "[\(digits),\"a\"]", "[1,\(digits)", "[\(digits).", "[\(digits)e-", "[12345678901234567890123]",
            "[123456789012345678901234]", "[1234567890123456789012345]", "[0.00000000000000000000001]",
        ]
    }()

    @Test("numbers past maxNumberBytes: the same limit and syntax errors as yajl alone", arguments: longNumbers)
    func longNumbersSameAsYajl(polygon: String) {
        var limits = DocumentParsing.Limits()
        limits.maxNumberBytes = 24
        let text = Self.document(polygon)
        let reference = Self.transcript(text, chunk: text.count, fast: false, limits: limits)
        #expect(!reference.isEmpty)
        for chunk in [1, 2, 3, 5, 7, 16, 4096, text.count] {
            let fast = Self.transcript(text, chunk: chunk, fast: true, limits: limits)
            #expect(fast == reference, "\(polygon.prefix(40)) in chunks of \(chunk)")
        }
    }

    @Test("a 2,000-character and a 16.7 MB number in a polygon are limit errors with a short message")
    func hugeNumbers() throws {
        for number in [String(repeating: "1", count: 1_000) + "." + String(repeating: "5", count: 999),
                       String(repeating: "9", count: 16_700_000)] {
            let text = Self.document("[1,\(number),2]")
            do {
                _ = try parseDocument(.bytes(text), visitor: Transcript())
                Issue.record("no error")
            } catch let error as DocumentError {
                #expect(error.kind == .limit)
                #expect(error.message.contains("maxNumberBytes"))
                #expect(error.path == "$.annotations[0].segmentation[0][1]")
                let marker = Array("[[1,".utf8)
                let at = (0...(text.count - marker.count)).first { Array(text[$0..<$0 + marker.count]) == marker }!
                #expect(error.location.offset == at + marker.count)
                #expect(error.description.utf8.count < 1024)
            }
        }
    }
}
