import Testing
@_spi(Testing) @testable import AiCOCO

/// The engine reads whole records itself (keys, strings, numbers, literals, structure) and
/// hands back to yajl at anything else: these tests hold it to exactly what yajl alone does,
/// records, problems and errors with their places, for every chunk size.
@Suite("Records read without yajl")
struct RecordScanTests {
    typealias Transcript = PolygonScanTests.Transcript

    static func transcript(_ text: [UInt8], chunk: Int, fast: Bool) -> [String] {
        PolygonScanTests.transcript(text, chunk: chunk, fast: fast)
    }

    static func document(annotation: String, image: String = #"{"id":"i","file_name":"a.dcm","index":0}"#) -> [UInt8] {
        Array("""
        {"images":[\(image)],"categories":[{"id":"c","name":"Liver","supercategory_id":null,"color":"#ff0000"}],
        "regressions":[],"objects":[{"id":"o","category_ids":["c"],"regressions":null}],
        "meta":{"category_ids":null,"regressions":null},
        "annotations":[\(annotation),
        {"id":"b","image_id":"i","object_id":"o","iscrowd":0,"bbox":[[1,2,3,4]],"segmentation":[[5,6,7,8,9,10]]}]}
        """.utf8)
    }

    static let good = #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"bbox":null,"segmentation":[[1,2,3,4,5,6]]}"#

    /// Annotations (and images) the scanner reads, and ones it must hand back to yajl.
    static let annotations: [String] = [
        good,
        "{ \"id\" : \"a\" , \"image_id\":\"i\",\t\"object_id\":\"o\",\r\n  \"iscrowd\":0 ,\"bbox\":null, \"segmentation\":[[1,2,3,4,5,6]] }",
        #"{"id":"a\"b","image_id":"i","object_id":"o","iscrowd":0,"bbox":null,"segmentation":null}"#,
        #"{"id":"\u0061","image_id":"i","object_id":"o","iscrowd":0,"bbox":null,"segmentation":null}"#,
        #"{"id":"é","image_id":"i","object_id":"o","iscrowd":0,"bbox":null,"segmentation":null}"#,
        "{\"id\":\"a\u{7F}\",\"image_id\":\"i\",\"object_id\":\"o\",\"iscrowd\":0,\"bbox\":null,\"segmentation\":null}",
        "{\"id\":\"a\tb\",\"image_id\":\"i\",\"object_id\":\"o\",\"iscrowd\":0,\"bbox\":null,\"segmentation\":null}",
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":1.0,"bbox":null,"segmentation":null}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":2,"bbox":null,"segmentation":null}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":01,"bbox":null,"segmentation":null}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":-,"bbox":null,"segmentation":null}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":1e400,"bbox":null,"segmentation":null}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0x,"bbox":null,"segmentation":null}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":true,"bbox":nul,"segmentation":null}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"bbox":nullx,"segmentation":null}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"bbox":falsey,"segmentation":[]}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"bbox":false,"segmentation":true}"#,
        #"{"id":1,"image_id":null,"object_id":["o"],"iscrowd":{},"bbox":{"a":[1]},"segmentation":"x"}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"segmentation":null,"extra":{"k":[1,{"n":null}],"t":true}}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"segmentation":null,"extra":[1,"2",[3]],"e2":"x"}"#,
        #"{"id":"a","id":"b","image_id":"i","object_id":"o","iscrowd":0,"segmentation":null}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"segmentation":null,}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"segmentation":null"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0,,"segmentation":null}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0 "segmentation":null}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"segmentation"null}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"segmentation"::null}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"segmentation":null]"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"segmentation":null}}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0,segmentation:null}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"segmentation":[[1,2,3,4]],"bbox":[[1,2,3,4]],"z":1}"#,
        #"{"id":"a","image_id":"i","object_id":"o","iscrowd":0,"segmentation":[[1,2]]"confidence":1}"#,
        #"{}"#, #"{ }"#, #"[]"#, #"1"#, #""a""#, #"null"#, #"{"a"}"#, #"{"a":}"#, #"{:1}"#, #"{,}"#,
    ]

    @Test("the same records, problems and errors as yajl alone, whatever the chunk size", arguments: annotations)
    func sameAsYajl(annotation: String) {
        for text in [Self.document(annotation: annotation), Self.document(annotation: Self.good, image: annotation)] {
            let reference = Self.transcript(text, chunk: text.count, fast: false)
            #expect(!reference.isEmpty)
            for chunk in [1, 2, 3, 5, 7, 16, 64, text.count] {
                let fast = Self.transcript(text, chunk: chunk, fast: true)
                #expect(fast == reference, "\(annotation.prefix(60)) in chunks of \(chunk)")
            }
        }
    }

    /// Every one-byte deletion, and a few replacements at every place, of a small document:
    /// the scanner and yajl alone agree on every one of them.
    @Test("one-byte mutations everywhere in a document: the same as yajl alone")
    func mutations() {
        let text = Self.document(annotation: Self.good)
        var cases = 0
        for at in 0..<text.count {
            var variants: [[UInt8]] = []
            var deleted = text
            deleted.remove(at: at)
            variants.append(deleted)
            for byte in Array(#"",:{}[]0-.e"#.utf8) + [0x5C, 0x20, 0xC3] where byte != text[at] {
                var replaced = text
                replaced[at] = byte
                variants.append(replaced)
            }
            for variant in variants {
                let reference = Self.transcript(variant, chunk: variant.count, fast: false)
                for chunk in [variant.count, 11] {
                    let fast = Self.transcript(variant, chunk: chunk, fast: true)
                    #expect(fast == reference, "at \(at): \(String(decoding: variant, as: UTF8.self))")
                    cases += 1
                }
            }
        }
        #expect(cases > 10_000)
    }

    /// Integers of every length the scanner reads eight bytes at a time, next to the ends of pieces.
    @Test("integers of 1 to 9 digits, leading zeros and other bytes after them: the same as yajl alone")
    func integers() {
        var polygons = ["[0,1,22,333,4444,55555,666666,7777777,88888888,999999999]", "[10,0]", "[00,1]",
                        "[1234567x]", "[1234567/]", "[1234567:]", "[123,\u{FF}]", "[7,1234567 ,89]", "[5,\n6]"]
        polygons.append("[" + (0..<400).map { String($0 * 7919 % 10_000_000) }.joined(separator: ",") + "]")
        for polygon in polygons {
            let text = PolygonScanTests.document(polygon)
            let reference = Self.transcript(text, chunk: text.count, fast: false)
            for chunk in [1, 5, 8, 9, 13, 64, text.count] {
                #expect(Self.transcript(text, chunk: chunk, fast: true) == reference, "\(polygon.prefix(40)) in chunks of \(chunk)")
            }
        }
    }
}
