@testable import AiCOCO
import CYajl
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `JSONGenerator` against yajl's own generator (yajl_gen), call for call: the same bytes,
/// compact and beautified, and the same calls refused.
@Suite("JSON generator")
struct JSONGeneratorTests {
    /// One generator call, applied to both.
    enum Call {
        case mapOpen, mapClose, arrayOpen, arrayClose, null, bool(Bool), integer(Int)
        case string([UInt8]), numbers([Double]), rendered([UInt8]), reset
        /// A key known at compile time (`JSONGenerator.key`), a plain string to yajl.
        case key(StaticString)
    }

    static let keys: [StaticString] = ["id", "image_id", "segmentation", "a", "category_ids", "regression_id"]

    /// A seeded generator (SplitMix64), so that a failure can be replayed.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 { splitMixNext(&state) }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    }

    /// Strings with every kind of byte yajl escapes or copies: controls, quotes, backslashes,
    /// slashes, DEL, multi-byte UTF-8.
    static func randomString(_ random: inout Random) -> [UInt8] {
        let pieces: [[UInt8]] = [[0x22], [0x5C], [0x2F], [0x7F], [0x00], [0x08], [0x09], [0x0A], [0x0C], [0x0D],
                                 [0x1F], [0x01], [0x1B], Array("é".utf8), Array("漢".utf8), Array("😀".utf8),
                                 Array("abc".utf8), Array("RIx_a3_Q_QJzquwd7spOb".utf8), [0x20],
                                 Array("series/IM00001.dcm".utf8), Array("0123456789abcdef".utf8), [0x5D], [0x21], [0x23]]
        var bytes: [UInt8] = []
        // Up to 12 pieces: escapes fall at every place of the eight-byte words the scan reads.
        for _ in 0..<random.below(13) { bytes += pieces[random.below(pieces.count)] }
        return bytes
    }

    static func randomNumber(_ random: inout Random) -> Double {
        // Integers of -999...999 take a table; their edges and near-integers must not.
        let edges: [Double] = [999, -999, 1000, -1000, 999.5, -999.5, 0.5, -0.5, 1023, 1024, 0.1, 1e-300,
                               5e-324, 0x1p52, 0x1p52 + 1, 0x1p53, 1e21, 1e22, 123.000001, 2.5, -3.5]
        switch random.below(7) {
        case 0: return Double(random.below(1000))
        case 1: return -Double(random.below(100_000))
        case 2: return Double(random.below(1_000_000)) / 64
        case 3: return Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF)
        case 4: return -Double(random.below(1000))
        case 5: return edges[random.below(edges.count)]
        default: return -0.0
        }
    }

    /// Calls for one random value `depth` levels deep; objects get string keys.
    static func value(_ random: inout Random, depth: Int, into calls: inout [Call]) {
        let kind = depth >= 6 ? 4 + random.below(6) : random.below(10)
        switch kind {
        case 0, 1:
            calls.append(.mapOpen)
            for _ in 0..<random.below(4) {
                calls.append(random.below(3) == 0 ? .key(keys[random.below(keys.count)]) : .string(randomString(&random)))
                value(&random, depth: depth + 1, into: &calls)
            }
            calls.append(.mapClose)
        case 2, 3:
            calls.append(.arrayOpen)
            for _ in 0..<random.below(4) { value(&random, depth: depth + 1, into: &calls) }
            calls.append(.arrayClose)
        case 4: calls.append(.null)
        case 5: calls.append(.bool(random.below(2) == 0))
        case 6:
            let values = [0, 1, -1, 42, Int.max, Int.min, 1 << 53, -(1 << 53) - 1, 9_007_199_254_740_993, 999, 1000, -999, 100, 10, 9]
            switch random.below(3) {
            case 0: calls.append(.integer(values[random.below(values.count)]))
            case 1: calls.append(.integer(random.below(2000) - 1000))
            default: calls.append(.integer(random.below(1 << 40) - (1 << 39)))
            }
        case 7: calls.append(.string(randomString(&random)))
        case 8: calls.append(.numbers((0..<(1 + random.below(6))).map { _ in randomNumber(&random) }))
        default: calls.append(.rendered(Array("[1,{\"a\":null}]".utf8)))
        }
    }

    /// Applies `calls` to a `JSONGenerator`; the bytes and, per call, whether it was refused.
    static func ours(_ calls: [Call], pretty: Bool) -> ([UInt8], [Bool]) {
        let generator = JSONGenerator(pretty: pretty)
        var out: [UInt8] = []
        var refused: [Bool] = []
        for call in calls {
            do {
                switch call {
                case .mapOpen: try generator.mapOpen()
                case .mapClose: try generator.mapClose()
                case .arrayOpen: try generator.arrayOpen()
                case .arrayClose: try generator.arrayClose()
                case .null: try generator.null()
                case .bool(let value): try generator.bool(value)
                case .integer(let value): try generator.integer(value)
                case .string(let bytes): try bytes.withUnsafeBufferPointer { try generator.string(bytes: $0) }
                case .key(let key): try generator.key(key)
                case .numbers(let values): try values.withUnsafeBufferPointer { try generator.numberList($0) }
                case .rendered(let text): try generator.rendered(text)
                case .reset:
                    try generator.drain { out += $0 }
                    generator.reset()
                }
                refused.append(false)
            } catch {
                refused.append(true)
            }
        }
        try? generator.drain { out += $0 }
        return (out, refused)
    }

    /// Applies `calls` to yajl_gen (numbers as one literal, as the project always wrote them).
    static func yajls(_ calls: [Call], pretty: Bool) -> ([UInt8], [Bool]) {
        let generator = YajlGenerator(pretty: pretty)
        var out: [UInt8] = []
        var refused: [Bool] = []
        for call in calls {
            do {
                switch call {
                case .mapOpen: try generator.mapOpen()
                case .mapClose: try generator.mapClose()
                case .arrayOpen: try generator.arrayOpen()
                case .arrayClose: try generator.arrayClose()
                case .null: try generator.null()
                case .bool(let value): try generator.bool(value)
                case .integer(let value): try generator.integer(value)
                case .string(let bytes): try generator.string(bytes: bytes)
                case .key(let key):
                    try generator.string(bytes: Array(UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)))
                case .numbers(let values):
                    var text: [UInt8] = []
                    let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
                    for value in values {
                        if !text.isEmpty { text.append(UInt8(ascii: ",")) }
                        text += UnsafeBufferPointer(start: scratch, count: writeJSONNumber(value, to: scratch))
                    }
                    scratch.deallocate()
                    try generator.literal(text)
                case .rendered(let text): try generator.literal(text)
                case .reset:
                    generator.drain { out += $0 }
                    generator.reset()
                }
                refused.append(false)
            } catch {
                refused.append(true)
            }
        }
        generator.drain { out += $0 }
        return (out, refused)
    }

    @Test("random documents: the same bytes as yajl_gen, compact and beautified", arguments: [false, true])
    func randomDocuments(pretty: Bool) {
        var random = Random(state: pretty ? 7 : 11)
        for round in 0..<400 {
            var calls: [Call] = []
            for _ in 0..<(1 + random.below(3)) {
                Self.value(&random, depth: 0, into: &calls)
                calls.append(.reset)
            }
            let (ours, oursRefused) = Self.ours(calls, pretty: pretty)
            let (theirs, theirsRefused) = Self.yajls(calls, pretty: pretty)
            #expect(ours == theirs, "round \(round): \(String(decoding: ours, as: UTF8.self)) vs \(String(decoding: theirs, as: UTF8.self))")
            #expect(oursRefused == theirsRefused, "round \(round)")
            if ours != theirs { return }
        }
    }

    @Test("calls out of order are refused as yajl_gen refuses them, and what was written stays the same")
    func misuse() {
        let sequences: [[Call]] = [
            [.mapOpen, .null],                          // a value where a key goes
            [.mapOpen, .integer(1)],
            [.mapOpen, .string([0x61]), .mapOpen, .mapClose, .arrayOpen, .arrayClose],  // key then container
            [.null, .null],                             // after the top-level value
            [.arrayOpen, .arrayClose, .string([0x61])],
            [.mapOpen, .string([0x61]), .null, .numbers([1, 2])],
            [.arrayOpen, .mapOpen, .string([0x6B]), .mapClose, .arrayClose],  // a key left without value
        ]
        for pretty in [false, true] {
            for calls in sequences {
                let (ours, oursRefused) = Self.ours(calls, pretty: pretty)
                let (theirs, theirsRefused) = Self.yajls(calls, pretty: pretty)
                #expect(oursRefused == theirsRefused, "\(calls) pretty \(pretty)")
                #expect(ours == theirs, "\(calls) pretty \(pretty): \(String(decoding: ours, as: UTF8.self)) vs \(String(decoding: theirs, as: UTF8.self))")
            }
        }
    }

    @Test("containers nest 127 deep, as in yajl_gen; the 128th is refused")
    func depth() {
        let calls = [Call](repeating: .arrayOpen, count: 128)
        let (ours, oursRefused) = Self.ours(calls, pretty: false)
        let (theirs, theirsRefused) = Self.yajls(calls, pretty: false)
        #expect(oursRefused == theirsRefused)
        #expect(oursRefused == Array(repeating: false, count: 127) + [true])
        #expect(ours == theirs)
    }

    @Test("ids written from their packed form: the same bytes as their text through string(bytes:)")
    func ids() throws {
        let texts = ["RIx_a3_Q_QJzquwd7spOb", "--------------------_", "AAAAAAAAAAAAAAAAAAAAA", "zzzzzzzzzzzzzzzzzzzz9",
                     "", "a", "short id", "quote\"back\\slash", "tab\tnew\nline", "exactly15bytes!", "sixteen bytes!!!",
                     "RIx_a3_Q_QJzquwd7spO!", "RIx_a3_Q_QJzquwd7spObX", "é漢😀", "\u{01}\u{1F}"]
        var random = Random(state: 5)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-".utf8)
        let nanoids = (0..<200).map { _ in String(decoding: (0..<21).map { _ in alphabet[random.below(64)] }, as: UTF8.self) }
        for text in texts + nanoids {
            var ours: [UInt8] = []
            let writer = JSONWriter(sink: { ours += $0 })
            try writer.beginArray(); try writer.id(RecordID(text)); try writer.id(RecordID(text)); try writer.endArray()
            try writer.flush()
            let reference = JSONGenerator(pretty: false)
            try reference.arrayOpen()
            for _ in 0..<2 { try Array(text.utf8).withUnsafeBufferPointer { try reference.string(bytes: $0) } }
            try reference.arrayClose()
            var theirs: [UInt8] = []
            try reference.drain { theirs += $0 }
            #expect(ours == theirs, "\(text)")
        }
    }

    @Test("a non-finite number is refused and leaves nothing behind")
    func nonFinite() throws {
        let generator = JSONGenerator(pretty: false)
        try generator.arrayOpen()
        try generator.integer(1)
        #expect(throws: JSONWriter.Misuse.self) {
            try [2, Double.nan].withUnsafeBufferPointer { try generator.numberList($0) }
        }
        try generator.integer(3)
        try generator.arrayClose()
        var out: [UInt8] = []
        try generator.drain { out += $0 }
        #expect(String(decoding: out, as: UTF8.self) == "[1,3]")
    }
}

/// yajl's own generator (yajl_gen), the reference the library's `JSONGenerator` and
/// `JSONValueText` are held to.
final class YajlGenerator {
    private let handle: yajl_gen
    private let indent = strdup("  ")!

    init(pretty: Bool) {
        handle = yajl_gen_alloc(nil)!
        if pretty {
            _ = aicoco_yajl_gen_config_flag(handle, yajl_gen_beautify, 1)
            _ = aicoco_yajl_gen_config_string(handle, yajl_gen_indent_string, UnsafePointer(indent))
        }
    }

    deinit {
        yajl_gen_free(handle)
        free(indent)
    }

    private func check(_ status: yajl_gen_status) throws {
        guard status == yajl_gen_status_ok else { throw JSONWriter.Misuse(message: "yajl_gen status \(status.rawValue)") }
    }

    func mapOpen() throws { try check(yajl_gen_map_open(handle)) }
    func mapClose() throws { try check(yajl_gen_map_close(handle)) }
    func arrayOpen() throws { try check(yajl_gen_array_open(handle)) }
    func arrayClose() throws { try check(yajl_gen_array_close(handle)) }
    func null() throws { try check(yajl_gen_null(handle)) }
    func bool(_ value: Bool) throws { try check(yajl_gen_bool(handle, value ? 1 : 0)) }
    func integer(_ value: Int) throws { try check(yajl_gen_integer(handle, Int64(value))) }
    func string(_ text: String) throws { try string(bytes: Array(text.utf8)) }

    func string(bytes: [UInt8]) throws {
        if bytes.isEmpty { return try check(yajl_gen_string(handle, "", 0)) }
        try bytes.withUnsafeBufferPointer { try check(yajl_gen_string(handle, $0.baseAddress, $0.count)) }
    }

    /// Text written as is where a value goes (yajl_gen_number).
    func literal(_ text: [UInt8]) throws {
        try text.withUnsafeBufferPointer { bytes in
            try bytes.withMemoryRebound(to: CChar.self) { try check(yajl_gen_number(handle, $0.baseAddress, $0.count)) }
        }
    }

    func numberLiteral(_ literal: String) throws { try self.literal(Array(literal.utf8)) }

    func drain(_ sink: (UnsafeRawBufferPointer) -> Void) {
        var buffer: UnsafePointer<UInt8>?
        var length = 0
        yajl_gen_get_buf(handle, &buffer, &length)
        if let buffer { sink(UnsafeRawBufferPointer(start: buffer, count: length)) }
        yajl_gen_clear(handle)
    }

    func reset() {
        yajl_gen_clear(handle)
        yajl_gen_reset(handle, nil)
    }
}
