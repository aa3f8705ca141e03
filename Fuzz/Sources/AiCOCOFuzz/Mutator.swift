// A structure-aware mutation for libFuzzer (`LLVMFuzzerCustomMutator`): one time in two, the
// input is edited as JSON rather than as bytes, so that the cases byte mutations almost never
// reach come up within minutes from the real samples in the corpus (scripts/fuzz.sh seeds it
// from Fixtures/): a value wrapped in arrays up to and past the limits (yajl's generator stops
// at 128 levels, the reader at 8 or 512), an extra field holding a deep or long value, strings
// of escapes and numbers around every length limit, long runs of whitespace, a record
// duplicated or moved.
// Otherwise, and whenever the input is not JSON enough to edit, libFuzzer's own mutations run
// (with the dictionary).

/// libFuzzer's own mutations (dictionary included), for the inputs this mutator leaves alone.
@_silgen_name("LLVMFuzzerMutate")
func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int) -> Int

@_cdecl("LLVMFuzzerCustomMutator")
public func LLVMFuzzerCustomMutator(_ data: UnsafeMutablePointer<UInt8>?, _ size: Int, _ maxSize: Int,
                                    _ seed: UInt32) -> Int {
    var random = SplitMix(state: UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(size))
    guard let data, random.below(2) == 0 else { return LLVMFuzzerMutate(data, size, maxSize) }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let output = mutateStructure(input, maxSize: maxSize, random: &random),
          output.count <= maxSize, output != input else {
        return LLVMFuzzerMutate(data, size, maxSize)
    }
    output.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: $0.count) }
    return output.count
}

struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Where the values, strings, numbers and objects of a JSON text are (a tolerant scan: it stops
/// at the first byte that cannot be JSON, keeping what it found before).
struct JSONLayout {
    /// Ranges of whole values (containers, strings, numbers, literals) that are array elements
    /// or member values.
    var values: [Range<Int>] = []
    /// Which of those are array elements (can be duplicated or removed with their comma).
    var elements: [Range<Int>] = []
    /// Ranges of string contents (between the quotes), keys included.
    var strings: [Range<Int>] = []
    var numbers: [Range<Int>] = []
    /// Offsets just past an object's `{`.
    var objectStarts: [Int] = []

    init(_ bytes: [UInt8]) {
        var position = 0
        _ = scanValue(bytes, &position, depth: 0, isElement: false)
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    private func skipSpace(_ bytes: [UInt8], _ position: inout Int) {
        while position < bytes.count, Self.isSpace(bytes[position]) { position += 1 }
    }

    /// Scans one value at `position` (after spaces); returns false where the text stops being JSON.
    private mutating func scanValue(_ bytes: [UInt8], _ position: inout Int, depth: Int, isElement: Bool) -> Bool {
        skipSpace(bytes, &position)
        guard position < bytes.count, depth < 2000 else { return false }
        let start = position
        switch bytes[position] {
        case UInt8(ascii: "{"):
            position += 1
            objectStarts.append(position)
            skipSpace(bytes, &position)
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
            } else {
                while true {
                    skipSpace(bytes, &position)
                    guard scanString(bytes, &position) else { return false }
                    skipSpace(bytes, &position)
                    guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return false }
                    position += 1
                    guard scanValue(bytes, &position, depth: depth + 1, isElement: false) else { return false }
                    skipSpace(bytes, &position)
                    guard position < bytes.count else { return false }
                    if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                    guard bytes[position] == UInt8(ascii: "}") else { return false }
                    position += 1
                    break
                }
            }
        case UInt8(ascii: "["):
            position += 1
            skipSpace(bytes, &position)
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
            } else {
                while true {
                    guard scanValue(bytes, &position, depth: depth + 1, isElement: true) else { return false }
                    skipSpace(bytes, &position)
                    guard position < bytes.count else { return false }
                    if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                    guard bytes[position] == UInt8(ascii: "]") else { return false }
                    position += 1
                    break
                }
            }
        case UInt8(ascii: "\""):
            guard scanString(bytes, &position) else { return false }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            while position < bytes.count, Self.isNumberByte(bytes[position]) { position += 1 }
            numbers.append(start..<position)
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            while position < bytes.count, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[position]) { position += 1 }
        default:
            return false
        }
        if depth > 0 {
            values.append(start..<position)
            if isElement { elements.append(start..<position) }
        }
        return true
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
    }

    private mutating func scanString(_ bytes: [UInt8], _ position: inout Int) -> Bool {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return false }
        position += 1
        let start = position
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "\\"): position += 2
            case UInt8(ascii: "\""):
                strings.append(start..<position)
                position += 1
                return true
            default: position += 1
            }
        }
        return false
    }
}

/// Lengths around each limit: the fuzzer's small limits (8 levels, strings of 48 bytes,
/// numbers of 24), yajl's generator (128 levels), the defaults (512 levels, numbers of 1024).
private let depths = [1, 2, 7, 8, 9, 63, 125, 126, 127, 128, 129, 130, 255, 509, 510, 511, 512, 513]
private let lengths = [1, 23, 24, 25, 47, 48, 49, 1023, 1024, 1025, 2000, 4095, 4097, 20_000]

/// A value of the chosen kind and size, as JSON text.
private func generatedValue(_ random: inout SplitMix, budget: Int) -> [UInt8] {
    switch random.below(5) {
    case 0, 1:
        // Nested arrays (or objects), a scalar or an empty container innermost.
        let depth = min(random.pick(depths), max(1, budget / 8))
        let objects = random.below(3) == 0
        let inner: [UInt8] = random.pick([Array("0".utf8), Array("[]".utf8), Array("{}".utf8), Array(#""é\n""#.utf8)])
        var text: [UInt8] = []
        for _ in 0..<depth { text += objects ? Array(#"{"o":"#.utf8) : [UInt8(ascii: "[")] }
        text += inner
        for _ in 0..<depth { text.append(objects ? UInt8(ascii: "}") : UInt8(ascii: "]")) }
        return text
    case 2:
        return [UInt8(ascii: "\"")] + longStringContent(&random, budget: budget) + [UInt8(ascii: "\"")]
    default:
        return longNumber(&random, budget: budget)
    }
}

/// String content (escaped) of about one of the `lengths`.
private func longStringContent(_ random: inout SplitMix, budget: Int) -> [UInt8] {
    let unit: [UInt8] = random.pick([Array(#"\u00e9"#.utf8), Array(#"\""#.utf8), Array(#"\\"#.utf8),
                                     Array(#"\ud83d\ude00"#.utf8), Array("é".utf8), Array("a".utf8), Array(#"\n"#.utf8)])
    let length = min(random.pick(lengths), max(1, budget))
    var text: [UInt8] = []
    while text.count + unit.count <= length { text += unit }
    return text
}

/// A number literal of about one of the `lengths`: an integer, a decimal or with an exponent.
private func longNumber(_ random: inout SplitMix, budget: Int) -> [UInt8] {
    let length = max(1, min(random.pick(lengths), budget))
    var digits: [UInt8] = []
    for index in 0..<length { digits.append(UInt8(ascii: "0") + UInt8((index * 7 + 1) % 10)) }
    if digits[0] == UInt8(ascii: "0") { digits[0] = UInt8(ascii: "1") }
    switch random.below(4) {
    case 0: return digits
    case 1: return Array("1.".utf8) + digits
    case 2: return Array("-0.".utf8) + digits + Array("e-5".utf8)
    default: return digits + Array("e+400".utf8)
    }
}

/// One structural edit of `input`, or nil when it is not JSON enough to edit.
func mutateStructure(_ input: [UInt8], maxSize: Int, random: inout SplitMix) -> [UInt8]? {
    let layout = JSONLayout(input)
    let budget = maxSize - input.count
    guard budget > 8 else { return nil }
    var output = input
    switch random.below(7) {
    case 0:
        // Wrap a value in arrays.
        guard !layout.values.isEmpty else { return nil }
        let value = random.pick(layout.values)
        let depth = min(random.pick(depths), budget / 2)
        guard depth > 0 else { return nil }
        output.replaceSubrange(value, with: [UInt8](repeating: UInt8(ascii: "["), count: depth) + input[value]
                                   + [UInt8](repeating: UInt8(ascii: "]"), count: depth))
    case 1:
        // An extra field at the start of an object (an unknown key keeps most records valid).
        guard !layout.objectStarts.isEmpty else { return nil }
        let at = random.pick(layout.objectStarts)
        var rest = at
        while rest < input.count, input[rest] == 0x20 || input[rest] == 0x0A { rest += 1 }
        let empty = rest < input.count && input[rest] == UInt8(ascii: "}")
        let member = Array(#""x\#(random.below(100))":"#.utf8) + generatedValue(&random, budget: budget - 16)
            + (empty ? [] : [UInt8(ascii: ",")])
        output.insert(contentsOf: member, at: at)
    case 2:
        // A string's content made long.
        guard !layout.strings.isEmpty else { return nil }
        output.replaceSubrange(random.pick(layout.strings), with: longStringContent(&random, budget: budget))
    case 3:
        // A number (a coordinate, most often) made long.
        guard !layout.numbers.isEmpty else { return nil }
        output.replaceSubrange(random.pick(layout.numbers), with: longNumber(&random, budget: budget))
    case 4:
        // A record (or any element) repeated after itself.
        guard !layout.elements.isEmpty else { return nil }
        let element = random.pick(layout.elements)
        let copies = min(1 + random.below(4), budget / max(1, element.count + 1))
        guard copies > 0 else { return nil }
        var insert: [UInt8] = []
        for _ in 0..<copies { insert += [UInt8(ascii: ",")] + input[element] }
        output.insert(contentsOf: insert, at: element.upperBound)
    case 5:
        // A long run of whitespace before or after a value (past the 4 KiB kept of earlier
        // pieces, the coordinate scanner's carry, the engine's hold threshold).
        guard !layout.values.isEmpty else { return nil }
        let value = random.pick(layout.values)
        let unit: [UInt8] = random.pick([Array(" ".utf8), Array("\n".utf8), Array("\r\n".utf8), Array("\t ".utf8)])
        let length = min(random.pick(lengths), budget)
        var run: [UInt8] = []
        while run.count + unit.count <= length { run += unit }
        guard !run.isEmpty else { return nil }
        output.insert(contentsOf: run, at: random.below(2) == 0 ? value.lowerBound : value.upperBound)
    default:
        // A value replaced by another from elsewhere in the document (records and sections moved).
        guard layout.values.count >= 2 else { return nil }
        let target = random.pick(layout.values)
        let source = random.pick(layout.values)
        guard source.count - target.count <= budget else { return nil }
        output.replaceSubrange(target, with: input[source])
    }
    return output.count <= maxSize ? output : nil
}
