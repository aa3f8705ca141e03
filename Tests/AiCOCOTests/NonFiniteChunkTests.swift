import Testing
@testable import AiCOCO

// The fuzzer's JSONTestSuite seed `[-NaN]`: fed whole it was "NaN is not JSON", fed a byte at a
// time "a digit is required after the minus sign". A non-finite token is named only where a
// value may start, whatever the chunks; every other spelling is a malformed number or literal.

@Suite("Non-finite tokens and chunk boundaries")
struct NonFiniteChunkTests {
    /// Where a number may stand in a fixture: `@` is replaced by the token.
    static let contexts = [
        "[@]", "[ @ ]", "[1,@]", "{\"a\":@}", "{\"a\":\n@\n}", "@",
        #"{"images":[{"id":"a","file_name":"x.dcm","index":0,"category_ids":null,"regressions":[{"regression_id":"r","value":@}]}]}"#,
        #"{"images":[{"id":"a","file_name":"x.dcm","index":0,"category_ids":null,"regressions":null,"extra":[1,@]}]}"#,
        #"{"annotations":[{"id":"n","image_id":"a","object_id":"o","iscrowd":0,"bbox":[[1,2,@,4]],"segmentation":null}]}"#,
        #"{"annotations":[{"id":"n","image_id":"a","object_id":"o","iscrowd":0,"bbox":null,"segmentation":[[1,@,3,4,5,6]]}]}"#,
        #"{"meta":{"category_ids":null,"regressions":[{"regression_id":"r","value":@}]}}"#,
    ]

    /// The tokens, and the message each must give without `allowNonFinite` (its start; a cut
    /// number at the very end says "unexpected end of input (...)" around it).
    static let tokens: [(text: String, message: String)] = [
        ("-NaN", "malformed number: a digit is required after the minus sign"),
        ("-Infinity", "-Infinity is not JSON"),
        ("-Inf", "malformed number: a digit is required after the minus sign"),
        ("NaN", "NaN is not JSON"),
        ("Infinity", "Infinity is not JSON"),
        ("-", "malformed number: a digit is required after the minus sign"),
        ("--Infinity", "malformed number: a digit is required after the minus sign"),
        ("-NaN1", "malformed number: a digit is required after the minus sign"),
    ]

    @Test("the same problems, message and place at every chunk boundary", arguments: 0..<tokens.count)
    func everyBoundary(index: Int) {
        let (token, message) = Self.tokens[index]
        for context in Self.contexts {
            let bytes = Array(context.replacingOccurrences("@", with: token).utf8)
            for allowNonFinite in [false, true] {
                var options = DocumentParsing.Options(validate: true)
                options.allowNonFinite = allowNonFinite
                let whole = chunkedProblems(bytes, sizes: [bytes.count], options: options)
                let name = "\(String(decoding: bytes, as: UTF8.self)) allowNonFinite \(allowNonFinite)"
                #expect(!whole.isEmpty || (allowNonFinite && !token.hasPrefix("-N") && !token.hasPrefix("--")
                                           && token != "-" && token != "-Inf"), "\(name): accepted")
                for problem in whole { expectPlaced(problem, in: bytes, name) }
                if !allowNonFinite {
                    let said = whole.last?.message ?? ""
                    let cut = said.hasPrefix("unexpected end of input") && said.contains(message.replacingOccurrences("malformed number: ", with: ""))
                    #expect(whole.last?.kind == .syntax && (said.hasPrefix(message) || cut),
                            "\(name): \(whole.last.map { "\($0)" } ?? "no error")")
                }
                // Two chunks cut at every byte, and a byte at a time.
                var splits = (1..<bytes.count).map { [$0, bytes.count] }
                splits.append([1])
                for sizes in splits {
                    let chunked = chunkedProblems(bytes, sizes: sizes, options: options)
                    #expect(chunked == whole, "\(name), chunks \(sizes): \(chunked) vs whole \(whole)")
                }
            }
        }
    }
}
